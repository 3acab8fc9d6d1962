"""WebSocket JSON-RPC and eth_subscribe over the real devnet (websockets sync client, web3.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.e2e_helpers import A0, A1, VALUE_SET, calldata, deploy_counter, send_tx, word
from tests.support import WsRpc

TIMEOUT = 5.0


@pytest.fixture
def ws(urls, chain_id):
    client = WsRpc(urls[chain_id])
    yield client
    client.close()


def test_plain_requests_over_websocket(ws, rpc, chain_id):
    assert ws.ok("eth_chainId") == hex(chain_id)
    assert ws.ok("eth_blockNumber") == rpc.ok(chain_id, "eth_blockNumber")
    reply = ws.request("eth_nope")
    assert reply["error"]["code"] == -32601
    # a batch over the socket
    ws.send([{"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"},
             {"jsonrpc": "2.0", "id": "b", "method": "net_version"}])
    replies = ws.recv(timeout=TIMEOUT)
    assert {r["id"]: r["result"] for r in replies} == {"a": hex(chain_id), "b": str(chain_id)}
    ws.ws.send("{not json")
    assert ws.recv(timeout=TIMEOUT)["error"]["code"] == -32700
    # a notification (no id) gets no reply: the next message is the reply to the next request
    ws.send({"jsonrpc": "2.0", "method": "eth_chainId", "params": []})
    reply = ws.request("net_version")  # request() fails on any message that is neither its reply nor a notification
    assert reply["result"] == str(chain_id) and not ws.notifications


def test_new_heads(ws, rpc, chain_id, other_chain):
    sub = ws.subscribe("newHeads")
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    header = ws.next(sub)
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    expected = {k: v for k, v in block.items() if k != "transactions"}
    assert header == expected
    # a transaction on the other chain leaves this one idle (no head); the next one here does
    send_tx(rpc, other_chain, {"from": A0, "to": A1, "value": "0x1"})
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    header = ws.next(sub)
    assert header["number"] == receipt["blockNumber"]
    assert header["parentHash"] == block["hash"]
    # anvil_mine: one header per block, in order
    rpc.ok(chain_id, "anvil_mine", ["0x3"])
    numbers = [ws.next(sub)["number"] for _ in range(3)]
    start = int(receipt["blockNumber"], 16)
    assert numbers == [hex(start + 1), hex(start + 2), hex(start + 3)]


def test_logs_subscription_filters_by_address(ws, rpc, chain_id):
    mine = deploy_counter(rpc, chain_id, 0)
    other = deploy_counter(rpc, chain_id, 0)
    sub = ws.subscribe("logs", {"address": mine})
    topic_sub = ws.subscribe("logs", {"topics": [VALUE_SET, word(5)]})
    send_tx(rpc, chain_id, {"from": A0, "to": other, "data": calldata("setNumber(uint256)", ["uint256"], [5])})
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": mine,
                                      "data": calldata("setNumber(uint256)", ["uint256"], [6])})
    log = ws.next(sub)
    assert log == receipt["logs"][0]  # the other contract's earlier event was not sent
    assert log["address"].lower() == mine.lower() and log["removed"] is False
    # the topic filter got only the event whose oldValue is 5 (the second contract's second call)
    receipt2 = send_tx(rpc, chain_id, {"from": A0, "to": other,
                                       "data": calldata("setNumber(uint256)", ["uint256"], [7])})
    assert ws.next(topic_sub) == receipt2["logs"][0]
    assert ws.drain() == []
    # an event without a matching address or topic sends nothing
    send_tx(rpc, chain_id, {"from": A0, "to": other, "data": calldata("increment()")})
    assert ws.drain() == []


def test_logs_subscription_on_one_chain_only(ws, rpc, chain_id, other_chain):
    sub = ws.subscribe("logs", {})
    address = deploy_counter(rpc, other_chain, 0)
    send_tx(rpc, other_chain, {"from": A0, "to": address, "data": calldata("increment()")})
    assert ws.drain() == []
    here = deploy_counter(rpc, chain_id, 0)
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": here, "data": calldata("increment()")})
    assert ws.next(sub) == receipt["logs"][0]


def test_new_pending_transactions(ws, rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    hashes_sub = ws.subscribe("newPendingTransactions")
    full_sub = ws.subscribe("newPendingTransactions", True)
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x7"}])
    assert ws.next(hashes_sub) == tx_hash
    full = ws.next(full_sub)
    assert full["hash"] == tx_hash and full["value"] == "0x7" and full["blockHash"] is None
    assert full == rpc.ok(chain_id, "eth_getTransactionByHash", [tx_hash])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash]) is None


def test_unsubscribe(ws, rpc, chain_id):
    sub = ws.subscribe("newHeads")
    assert ws.ok("eth_unsubscribe", [sub]) is True
    assert ws.ok("eth_unsubscribe", [sub]) is False
    # evm_mine through the socket: its notifications would follow its reply
    ws.ok("evm_mine")
    assert ws.drain() == []
    reply = ws.request("eth_subscribe", ["nonsense"])
    assert reply["error"]["code"] == -32602


def test_xr_new_superblocks(ws, rpc, chain_id, other_chain):
    sub = ws.subscribe("xr_newSuperblocks")
    send_tx(rpc, other_chain, {"from": A0, "to": A1, "value": "0x1"})
    sb = ws.next(sub)
    assert sb == rpc.ok(chain_id, "xr_getSuperblockByNumber", ["latest", False])
    assert {int(b["chainId"], 16) for b in sb["blocks"]} == {other_chain}  # pushed here though this chain is idle
    rpc.ok(chain_id, "anvil_mine", ["0x2"])
    numbers = [ws.next(sub)["number"] for _ in range(2)]
    assert numbers == [hex(int(sb["number"], 16) + 1), hex(int(sb["number"], 16) + 2)]


def test_closing_the_socket_ends_its_subscriptions(urls, rpc, chain_id):
    client = WsRpc(urls[chain_id])
    client.subscribe("newHeads")
    client.close()
    rpc.ok(chain_id, "evm_mine")  # must not fail because a subscriber went away
    assert rpc.ok(chain_id, "eth_chainId") == hex(chain_id)
    fresh = WsRpc(urls[chain_id])
    try:
        assert fresh.ok("eth_chainId") == hex(chain_id)
    finally:
        fresh.close()


def test_subscribe_over_http_is_refused(rpc, chain_id):
    """geth answers -32601 "notifications not supported"; a subscription id over HTTP would be dead."""
    error = rpc.err(chain_id, "eth_subscribe", ["newHeads"])
    assert error["code"] == -32601 and "WebSocket" in error["message"]


def test_web3_websocket_provider(urls, rpc, chain_id):
    from web3 import AsyncWeb3, WebSocketProvider

    async def run() -> tuple[int, int, dict[str, Any]]:
        async with AsyncWeb3(WebSocketProvider(urls[chain_id].replace("http://", "ws://"))) as w3:
            cid = await w3.eth.chain_id
            number = await w3.eth.block_number
            sub_id = await w3.eth.subscribe("newHeads")
            await w3.provider.make_request("evm_mine", [])
            stream = w3.socket.process_subscriptions()
            message = await asyncio.wait_for(stream.__anext__(), TIMEOUT)
            assert message["subscription"] == sub_id
            assert await w3.eth.unsubscribe(sub_id) is True
            return cid, number, message["result"]

    cid, number, header = asyncio.run(run())
    assert cid == chain_id
    assert number == int(rpc.ok(chain_id, "eth_blockNumber"), 16) - 1
    assert header["number"] == number + 1
