"""Each fault mode end to end over the real server: web3.py and raw JSON-RPC over HTTP, a
WebSocket newHeads subscriber for the reorg. One devnet of three chains for the module; every
test clears the faults it set (the fixture checks that none is left)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from tests.support import WsRpc
from tests.xrollup_calls.xcall_helpers import (
    ADDRS,
    GWEI,
    KEYS,
    MAILBOX,
    MESSENGER,
    A,
    B,
    C,
    Net,
    error_string,
)
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

ONE = 10**15


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    srv = DevnetThread(DevnetConfig(chain_ids=(A, B, C), port=0, silent=True)).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def net(server: DevnetThread) -> Net:
    return Net(server.urls)


@pytest.fixture(autouse=True)
def _no_fault_left(net: Net) -> Iterator[None]:
    yield
    active = net.rpc(A, "xr_faults")["active"]
    for fault in active:
        net.rpc(A, "xr_clearFault", [fault["id"]])
    assert not active, f"a test left faults on: {active}"


def send(net: Net, cid: int, key_index: int, to: str | None = None, value: int = ONE, data: bytes = b"",
         gas: int = 100_000) -> str:
    """Sign and send (raw JSON-RPC); the hash. Under automine it is mined at once unless held."""
    raw = net.sign(cid, KEYS[key_index], to or ADDRS[9], data, value, gas)
    return str(net.rpc(cid, "eth_sendRawTransaction", [raw]))


def receipt(net: Net, cid: int, tx_hash: str) -> dict[str, Any] | None:
    return net.rpc(cid, "eth_getTransactionReceipt", [tx_hash])  # type: ignore[no-any-return]


def pooled(net: Net, cid: int) -> set[str]:
    content = net.rpc(cid, "txpool_content")
    return {tx["hash"] for part in ("pending", "queued") for by_nonce in content[part].values()
            for tx in by_nonce.values()}


def counter_on(net: Net, cid: int) -> str:
    return net.deploy(cid, KEYS[8], "Counter", 0)


def test_down_holds_everything_and_reads_keep_working(net: Net) -> None:
    w3: Web3 = net.w3[A]
    height, sb = w3.eth.block_number, int(net.rpc(A, "xr_blockNumber"), 16)
    fault = net.rpc(A, "xr_setFault", [{"kind": "down"}])
    assert fault["kind"] == "down" and isinstance(fault["id"], int)
    tx_a, tx_b = send(net, A, 1), send(net, B, 1)
    bundle = net.rpc(A, "xr_sendBundle", [{"txs": [net.sign(A, KEYS[2], ADDRS[9], b"", ONE, 21_000),
                                                   net.sign(C, KEYS[2], ADDRS[9], b"", ONE, 21_000)]}])
    assert bundle["status"] == "pending"
    # evm_mine answers that the sequencer is down; nothing advanced, reads still answer
    err = net.rpc_error(A, "evm_mine")
    assert err.code == -32000 and "sequencer is down" in err.message
    assert w3.eth.block_number == height and int(net.rpc(A, "xr_blockNumber"), 16) == sb
    assert w3.eth.get_balance(ADDRS[1]) > 0 and receipt(net, A, tx_a) is None
    assert tx_a in pooled(net, A) and tx_b in pooled(net, B)
    held = {h.get("hash") or h.get("bundleHash"): h["reason"] for h in net.rpc(A, "xr_faults")["held"]}
    assert held == {tx_a: "down", tx_b: "down", bundle["bundleHash"]: "down"}
    # cleared: everything that waited is mined
    assert net.rpc(A, "xr_clearFault", ["down"]) == [fault["id"]]
    assert receipt(net, A, tx_a)["status"] == "0x1" and receipt(net, B, tx_b)["status"] == "0x1"
    assert net.rpc(A, "xr_getBundleStatus", [bundle["bundleHash"]])["status"] == "included"
    periods = [p for p in net.rpc(A, "xr_faults")["periods"] if p["id"] == fault["id"]]
    assert periods and periods[0]["until"] == sb and not periods[0]["active"]


def test_censor_sender_contract_and_chain(net: Net) -> None:
    w3 = net.w3[A]
    target = counter_on(net, A)
    inc = net.calldata("Counter", "increment")
    fault = net.rpc(A, "xr_setFault", [{"kind": "censor", "senders": [ADDRS[3]], "contracts": [target],
                                        "chains": [C]}])
    censored = [send(net, A, 3), send(net, A, 3), send(net, A, 4, target, 0, inc), send(net, C, 5)]
    free = send(net, A, 5)
    assert receipt(net, A, free)["status"] == "0x1"
    assert all(receipt(net, cid, h) is None for cid, h in zip((A, A, A, C), censored, strict=True))
    assert set(censored[:3]) <= pooled(net, A) and censored[3] in pooled(net, C)
    # a bundle with one censored leg waits whole; even evm_mine leaves it and the pool alone
    bundle = net.rpc(A, "xr_sendBundle", [{"txs": [net.sign(B, KEYS[6], ADDRS[9], b"", ONE, 21_000),
                                                   net.sign(C, KEYS[6], ADDRS[9], b"", ONE, 21_000)]}])
    net.rpc(A, "evm_mine")
    assert bundle["status"] == "pending" and net.rpc(B, "eth_getTransactionCount", [ADDRS[6], "latest"]) == "0x0"
    assert net.contract(A, "Counter", target).functions.number().call() == 0
    net.rpc(A, "xr_clearFault", [fault["id"]])
    assert all(receipt(net, cid, h)["status"] == "0x1" for cid, h in zip((A, A, A, C), censored, strict=True))
    assert net.rpc(A, "xr_getBundleStatus", [bundle["bundleHash"]])["status"] == "included"
    assert w3.eth.get_transaction_count(ADDRS[3]) == 2


def test_censor_holds_relays_of_a_censored_target(net: Net) -> None:
    target = counter_on(net, B)
    inc = net.calldata("Counter", "increment")
    net.rpc(A, "xr_setFault", [{"kind": "censor", "contracts": [target]}])
    sent = net.tx(A, KEYS[7], "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, target, inc)
    assert sent["status"] == "0x1"
    net.rpc(A, "evm_mine")
    net.rpc(A, "evm_mine")
    assert net.number(B, target) == 0  # the relay waits
    net.rpc(A, "xr_clearFault", ["censor"])
    assert net.number(B, target) == 1


def test_delay_chain_by_superblocks(net: Net) -> None:
    fault = net.rpc(A, "xr_setFault", [{"kind": "delay", "chains": [B], "superblocks": 2}])
    start = int(net.rpc(A, "xr_blockNumber"), 16)
    tx = send(net, B, 1)
    other = send(net, A, 1)  # chain A is not delayed
    assert receipt(net, A, other) is not None and receipt(net, B, tx) is None
    mined = []
    for _ in range(4):
        net.rpc(A, "evm_mine")
        mined.append(receipt(net, B, tx))
    landed = next(i for i, r in enumerate(mined) if r is not None)
    sb = int(net.rpc(B, "xr_getSuperblockOfBlock", [mined[landed]["blockNumber"], False])["number"], 16)
    assert sb == start + 3  # pooled while the head was ``start``: not before start + 1 + 2
    net.rpc(A, "xr_clearFault", [fault["id"]])


def test_delay_sender_by_seconds_then_mined_by_automine(net: Net) -> None:
    sender = ADDRS[2]
    net.rpc(A, "xr_setFault", [{"kind": "delay", "senders": [sender], "seconds": 4}])  # long enough for a loaded machine to look first
    tx = send(net, A, 2)
    bundle = net.rpc(A, "xr_sendBundle", [{"txs": [net.sign(B, KEYS[2], ADDRS[9], b"", ONE, 21_000),
                                                   net.sign(C, KEYS[1], ADDRS[9], b"", ONE, 21_000)]}])
    assert receipt(net, A, tx) is None and bundle["status"] == "pending"
    held = net.rpc(A, "xr_faults")["held"]
    assert {"chainId": A, "hash": tx, "reason": "delayed"} in held
    assert {"chainId": None, "bundleHash": bundle["bundleHash"], "reason": "delayed"} in held
    # the mining service wakes when the delay ends (bounded wait, no timing assertion)
    deadline = time.monotonic() + 30
    while receipt(net, A, tx) is None or net.rpc(A, "xr_getBundleStatus", [bundle["bundleHash"]])["status"] != "included":
        assert time.monotonic() < deadline, "the delayed transaction or bundle was never mined"
        time.sleep(0.1)
    net.rpc(A, "xr_clearFault", ["delay"])


def test_reorg_reports_what_became_invalid(net: Net) -> None:
    """A new account funded in one superblock spends in the next; with its funder censored, a
    reorg of both leaves the spend without funds: dropped, and reported."""
    fresh = Account.create()
    funding = send(net, A, 0, fresh.address, 10**16, gas=21_000)
    raw = Account.sign_transaction({"chainId": A, "nonce": 0, "to": ADDRS[9], "value": 10**15, "gas": 21_000,
                                    "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI}, fresh.key)
    spend = net.rpc(A, "eth_sendRawTransaction", ["0x" + bytes(raw.raw_transaction).hex()])
    assert receipt(net, A, funding)["status"] == "0x1" and receipt(net, A, spend)["status"] == "0x1"
    net.rpc(A, "xr_setFault", [{"kind": "censor", "senders": [ADDRS[0]]}])
    result = net.rpc(A, "xr_reorg", [2])
    assert {funding, spend} <= {r["hash"] for r in result["requeued"]}
    invalid = {r["hash"]: r["reason"] for r in result["invalid"]}
    assert list(invalid) == [spend] and "insufficient funds" in invalid[spend]
    assert receipt(net, A, spend) is None and spend not in pooled(net, A)  # dropped
    assert funding in pooled(net, A)  # held by the censor
    net.rpc(A, "xr_clearFault", ["censor"])
    assert receipt(net, A, funding)["status"] == "0x1"


def test_delay_messages_by_superblocks(net: Net) -> None:
    target = counter_on(net, C)
    net.rpc(A, "xr_setFault", [{"kind": "delay", "messages": True, "superblocks": 2}])
    sent = net.tx(A, KEYS[7], "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", C, target,
                  net.calldata("Counter", "increment"))
    sent_sb = int(net.rpc(A, "xr_getSuperblockOfBlock", [sent["blockNumber"], False])["number"], 16)
    counts = []
    for _ in range(3):
        net.rpc(A, "evm_mine")
        counts.append(net.number(C, target))
    assert counts == [0, 0, 1]  # relayed in superblock sent + 1 + 2
    assert int(net.rpc(A, "xr_blockNumber"), 16) == sent_sb + 3
    net.rpc(A, "xr_clearFault", ["delay"])


def test_halt_stops_one_chain_and_fails_atomic_work_whole(net: Net) -> None:
    counter = counter_on(net, B)
    inc = net.calldata("Counter", "increment")
    height_b = net.w3[B].eth.block_number
    fault = net.rpc(A, "xr_setFault", [{"kind": "halt", "chainId": B}])
    # B makes no block; A goes on
    on_b, on_a = send(net, B, 1), send(net, A, 1)
    net.rpc(A, "evm_mine")
    assert receipt(net, A, on_a)["status"] == "0x1" and receipt(net, B, on_b) is None
    assert net.w3[B].eth.block_number == height_b
    # a bundle touching B fails as a whole, naming the chain
    nonce_a = net.w3[A].eth.get_transaction_count(ADDRS[4])
    legs = [net.sign(A, KEYS[4], ADDRS[9], b"", ONE, 21_000), net.sign(B, KEYS[4], ADDRS[9], b"", ONE, 21_000)]
    err = net.rpc_error(A, "xr_sendBundle", [{"txs": legs}])
    assert err.code == -32010 and err.data["chainId"] == B and err.data["failedLeg"] == 1
    assert net.w3[A].eth.get_transaction_count(ADDRS[4]) == nonce_a  # the leg on A did not go in
    # a cross-rollup call whose far side is B: eth_call says so; sent, it reverts on A, nothing on B
    data = net.xcall_data(B, counter, inc)
    err = net.rpc_error(A, "eth_call", [{"from": ADDRS[5], "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    assert err.code == -32010 and err.data["chainId"] == B
    sent = net.send(A, KEYS[5], MAILBOX, data, gas=2_000_000)
    assert sent["status"] == "0x0"
    assert sent["xrollupError"]["chainId"] in (B, hex(B))
    assert net.number(B, counter) == 0
    net.rpc(A, "xr_clearFault", [fault["id"]])
    assert receipt(net, B, on_b)["status"] == "0x1"
    assert net.tx(A, KEYS[5], "Mailbox", MAILBOX, "xcall", B, counter, inc, gas=2_000_000)["status"] == "0x1"
    assert net.number(B, counter) == 1


def test_reorg_rolls_back_every_chain_and_newheads_see_it(net: Net) -> None:
    counter = counter_on(net, B)
    inc = net.calldata("Counter", "increment")
    ws = WsRpc(net.urls[B])
    try:
        sub = ws.subscribe("newHeads")
        fork = int(net.rpc(A, "xr_blockNumber"), 16)
        head_b = net.w3[B].eth.block_number
        plain = send(net, A, 6)
        xcall = net.send(A, KEYS[6], MAILBOX, net.xcall_data(B, counter, inc), gas=2_000_000)
        assert xcall["status"] == "0x1" and net.number(B, counter) == 1
        old_b = net.rpc(B, "eth_getBlockByNumber", ["latest", False])
        assert int(old_b["number"], 16) == head_b + 1
        assert ws.next(sub)["hash"] == old_b["hash"]
        # a censor keeps the cross-rollup call out of the new history
        net.rpc(A, "xr_setFault", [{"kind": "censor", "contracts": [MAILBOX]}])
        result = net.rpc(A, "xr_reorg", [2])
        assert result["fork"] == fork and result["depth"] == 2 and len(result["dropped"]) == 2
        requeued = {r["hash"] for r in result["requeued"]}
        assert {plain, xcall["transactionHash"]} <= requeued
        # every side rolled back: the far side's effect and block are gone; newHeads shows B's new head
        assert net.number(B, counter) == 0
        new_b = ws.next(sub, timeout=10)
        assert int(new_b["number"], 16) == head_b + 1 and new_b["hash"] != old_b["hash"]
        assert net.rpc(B, "eth_getBlockByHash", [old_b["hash"], False]) is None
        assert receipt(net, A, xcall["transactionHash"]) is None and xcall["transactionHash"] in pooled(net, A)
        assert receipt(net, A, plain)["status"] == "0x1"  # sequenced again
        net.rpc(A, "xr_clearFault", ["censor"])
        assert receipt(net, A, xcall["transactionHash"])["status"] == "0x1" and net.number(B, counter) == 1
        assert net.rpc(A, "xr_faults")["reorgs"][-1]["fork"] == fork
    finally:
        ws.close()


def test_reorg_refuses_bad_depths(net: Net) -> None:
    head = int(net.rpc(A, "xr_blockNumber"), 16)
    err = net.rpc_error(A, "xr_reorg", [head + 1])
    assert err.code == -32602 and "safe" in err.message
    assert net.rpc_error(A, "xr_reorg", [0]).code == -32602
    assert net.rpc_error(A, "xr_setFault", [{"kind": "halt", "chainId": 999}]).code == -32602
    assert net.rpc_error(A, "xr_setFault", [{"kind": "sleep"}]).code == -32602
    assert net.rpc_error(A, "xr_clearFault", ["down"]).code == -32602


def test_halted_error_is_a_revert_a_contract_can_read() -> None:
    from shared_sequencer.faults import halted_error

    assert "0x" + halted_error(B).hex() == error_string(f"xrollup: chain {B} is halted")


def test_web3_sees_censorship_as_a_pending_transaction(net: Net) -> None:
    w3 = net.w3[A]
    account = Account.from_key(KEYS[1])
    net.rpc(A, "xr_setFault", [{"kind": "censor", "senders": [account.address]}])
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    signed = account.sign_transaction({"chainId": A, "nonce": nonce, "to": ADDRS[9], "value": 1, "gas": 21_000,
                                       "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI})
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert w3.eth.get_transaction(tx_hash)["blockNumber"] is None  # known, pending
    assert w3.eth.get_transaction_count(account.address, "pending") == nonce + 1
    net.rpc(A, "xr_clearFault", ["censor"])
    assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["status"] == 1

