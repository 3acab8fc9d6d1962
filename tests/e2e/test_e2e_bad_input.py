"""Bad input answered as anvil answers it, never with -32603 or Python's text: numbers beyond
their type, evm_mine's argument, typed data that is not JSON, calls that cannot start, bytes that
are no transaction, bad subscriptions and the subscription cap of one connection."""

from __future__ import annotations

import json
import time

import pytest
from web3 import Web3
from web3.exceptions import Web3RPCError

from node.errors import to_rpc_error
from node.filters import MAX_SUBSCRIPTIONS_PER_CONNECTION
from tests.e2e.e2e_helpers import A0, A1, ETH, GWEI, send_tx
from tests.support import ChainRpc, WsRpc
from xrollup.testing import DevnetThread

CHAIN = 901
HUGE = "0x" + "f" * 4000  # over 4,300 decimal digits


def invalid(rpc: ChainRpc, method: str, params: list[object], *, contains: str) -> str:
    """The -32602 answer of ``method(params)``, which names what is wrong."""
    error = rpc.err(CHAIN, method, params)
    assert error["code"] == -32602, (method, error)
    assert contains in error["message"], (method, error)
    assert len(error["message"]) < 400, error
    return str(error["message"])


def devnet_still_works(rpc: ChainRpc) -> None:
    """It mines an ordinary transaction and describes itself."""
    receipt = send_tx(rpc, CHAIN, {"from": A0, "to": A1, "value": hex(1)})
    assert receipt["status"] == "0x1"
    rpc.ok(CHAIN, "evm_mine")
    info = rpc.ok(CHAIN, "anvil_nodeInfo")
    assert info["environment"]["chainId"] == CHAIN
    assert rpc.ok(CHAIN, "anvil_dumpState").startswith("0x")


# -- numbers beyond their type ---------------------------------------------------------------------


def test_quantities_beyond_their_type_are_invalid_params(rpc):
    invalid(rpc, "eth_getBlockByNumber", [HUGE, False], contains="invalid params: block: hex number > 64 bits")
    invalid(rpc, "eth_getBlockByNumber", [hex(2**64), False], contains="block: hex number > 64 bits")
    invalid(rpc, "eth_getBalance", [A0, HUGE], contains="block: hex number > 64 bits")
    invalid(rpc, "eth_getStorageAt", [A0, hex(2**256), "latest"], contains="slot: hex number > 256 bits")
    invalid(rpc, "eth_getStorageAt", [A0, HUGE, "latest"], contains="slot: hex number > 256 bits")
    invalid(rpc, "anvil_setNonce", [A0, hex(2**64)], contains="nonce: hex number > 64 bits")
    invalid(rpc, "anvil_setBalance", [A0, hex(2**256)], contains="balance: hex number > 256 bits")
    invalid(rpc, "eth_getTransactionByBlockNumberAndIndex", ["latest", hex(2**64)], contains="index: hex number > 64")
    invalid(rpc, "eth_call", [{"from": A0, "to": A1, "value": hex(2**256)}], contains="value: hex number > 256 bits")
    invalid(rpc, "eth_call", [{"from": A0, "to": A1, "gas": hex(2**64)}], contains="gas: hex number > 64 bits")
    invalid(rpc, "eth_getLogs", [{"fromBlock": HUGE}], contains="hex number > 64 bits")
    invalid(rpc, "eth_getBalance", [A0, 2**300], contains="number > 64 bits")  # a JSON number
    # leading zeros are fine; the bound is on the value
    assert rpc.ok(CHAIN, "eth_getStorageAt", [A0, "0x" + "0" * 70 + "1", "latest"]) == "0x" + "00" * 32
    # a non-hex string is not echoed whole
    message = invalid(rpc, "eth_getBalance", [A0, "z" * 5000], contains="block: expected a 0x-prefixed hex quantity")
    assert "z" * 100 not in message
    assert rpc.ok(CHAIN, "anvil_setNonce", [A0, hex(2**64 - 1)]) is None


@pytest.mark.parametrize(("method", "params", "message"), [
    ("evm_increaseTime", [hex(2**64)], "seconds: hex number > 64 bits"),
    ("evm_increaseTime", [hex(2**63)], "seconds: 9223372036854775808 seconds is more than the largest offset"),
    ("evm_setTime", [HUGE], "timestamp: hex number > 64 bits"),
    ("evm_setNextBlockTimestamp", [hex(2**63)], "timestamp: timestamp 9223372036854775808 is beyond the last one"),
    ("evm_mine", [hex(2**300)], "options: hex number > 64 bits"),
    ("evm_mine", [{"timestamp": hex(2**64)}], "options: timestamp: hex number > 64 bits"),
    ("anvil_mine", ["0x1", hex(2**64)], "interval: hex number > 64 bits"),
    ("anvil_setNextBlockBaseFeePerGas", [hex(2**256)], "baseFee: hex number > 64 bits"),
    ("anvil_setNextBlockBaseFeePerGas", [hex(2**64)], "baseFee: hex number > 64 bits"),
], ids=lambda v: v if isinstance(v, str) and not v.startswith(("0x", "options", "seconds", "timestamp")) else "")
def test_values_that_would_break_the_devnet_are_refused(rpc, method, params, message):
    invalid(rpc, method, params, contains=message)
    devnet_still_works(rpc)


def test_large_accepted_time_values_leave_the_devnet_working(rpc):
    head = int(rpc.ok(CHAIN, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    rpc.ok(CHAIN, "evm_setNextBlockTimestamp", [hex(2**62)])
    rpc.ok(CHAIN, "evm_mine")
    assert int(rpc.ok(CHAIN, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16) == 2**62
    rpc.ok(CHAIN, "anvil_setNextBlockBaseFeePerGas", [hex(100 * GWEI)])
    devnet_still_works(rpc)
    assert head < 2**62


# -- evm_mine's argument ------------------------------------------------------------------------


@pytest.mark.parametrize("arg", [-2, True, "0xzz", [1], {"timestamp": "0xzz"}, {"blocks": -1}])
def test_evm_mine_bad_argument(rpc, arg):
    invalid(rpc, "evm_mine", [arg], contains="invalid params: options: ")


def test_evm_mine_block_count_is_capped_like_anvil_mine(rpc):
    start = int(rpc.ok(CHAIN, "eth_blockNumber"), 16)
    invalid(rpc, "evm_mine", [{"blocks": "0xffffffffffffffff"}], contains="blocks: at most 100000 blocks at once")
    invalid(rpc, "anvil_mine", [hex(100_001)], contains="count: at most 100000 blocks at once")
    assert int(rpc.ok(CHAIN, "eth_blockNumber"), 16) == start
    assert rpc.ok(CHAIN, "evm_mine", [{"blocks": "0x3"}]) == "0x0"
    assert int(rpc.ok(CHAIN, "eth_blockNumber"), 16) == start + 3
    head = int(rpc.ok(CHAIN, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    rpc.ok(CHAIN, "evm_mine", [hex(head + 100)])
    assert int(rpc.ok(CHAIN, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16) == head + 100


# -- typed data -------------------------------------------------------------------------------------

INVALID_TYPED = {  # web3.py's module test suite: Person[2] given one Person
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                         {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[2]"},
                 {"name": "contents", "type": "string"}],
    },
    "primaryType": "Mail",
    "domain": {"name": "Ether Mail", "version": "1", "chainId": "0x01",
               "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {"from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to": [{"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"}],
                "contents": "Hello, Bob!"},
}


def test_typed_data_as_deep_or_broken_json_text(rpc):
    invalid(rpc, "eth_signTypedData_v4", [A0, "[" * 200_000], contains="typedData: typed data is not valid JSON")
    invalid(rpc, "eth_signTypedData_v4", [A0, "{not json"], contains="typedData: typed data is not valid JSON")
    invalid(rpc, "eth_signTypedData_v4", [A0, "[1, 2]"], contains="typedData: expected typed data")
    invalid(rpc, "eth_signTypedData_v4", [A0, 5], contains="typedData: expected typed data")
    assert rpc.ok(CHAIN, "eth_chainId") == hex(CHAIN)  # alive


@pytest.mark.parametrize(("typed", "message"), [
    (INVALID_TYPED, "invalid typed data: Expected 2 items for array type Person[2], got 1 items"),
    ({"types": {}, "primaryType": "Nope"}, "invalid typed data: primaryType must name one of the types"),
    ({"types": [], "primaryType": "Mail"}, "invalid typed data: types must be an object"),
    ({**INVALID_TYPED, "types": {"Mail": [{"name": 1}]}}, "invalid typed data: types.Mail must be a list"),
    ({**INVALID_TYPED, "message": []}, "invalid typed data: message must be an object"),
    ({**INVALID_TYPED, "message": {"from": 5, "to": [], "contents": "x"}}, "invalid typed data: "),
])
def test_typed_data_errors(rpc, typed, message):
    invalid(rpc, "eth_signTypedData_v4", [A0, typed], contains=message)
    invalid(rpc, "eth_signTypedData_v4", [A0, json.dumps(typed)], contains=message)


def test_typed_data_errors_through_web3(w3s):
    """As web3.py's module test suite (test_invalid_eth_sign_typed_data) checks a node."""
    w3: Web3 = w3s[CHAIN]
    with pytest.raises(Web3RPCError, match=r".*Expected 2 items for array type Person\[2\], got 1 items.*"):
        w3.eth.sign_typed_data(A0, INVALID_TYPED)


# -- calls that cannot start ------------------------------------------------------------------------

CALLS = ("eth_call", "eth_estimateGas", "eth_createAccessList", "debug_traceCall")


@pytest.mark.parametrize("method", CALLS)
def test_call_value_above_balance_is_insufficient_funds(rpc, method):
    poor = "0x" + "12" * 20
    error = rpc.err(CHAIN, method, [{"from": poor, "to": A1, "value": hex(ETH)}, "latest"])
    assert error == {"code": -32003, "message": "insufficient funds for gas * price + value"}
    error = rpc.err(CHAIN, method, [{"to": A1, "value": hex(1)}, "latest"])  # from: the zero address
    assert error["code"] == -32003
    balance = int(rpc.ok(CHAIN, "eth_getBalance", [A0, "latest"]), 16)
    error = rpc.err(CHAIN, method, [{"from": A0, "to": A1, "value": hex(balance + 1)}, "latest"])
    assert error == {"code": -32003, "message": "insufficient funds for gas * price + value"}
    rpc.ok(CHAIN, method, [{"from": A0, "to": A1, "value": hex(balance)}, "latest"])


@pytest.mark.parametrize("method", CALLS)
def test_call_gas_below_intrinsic_is_intrinsic_gas_too_low(rpc, method):
    data = "0x" + "ff" * 4000  # 21,000 + 64,000 of calldata
    error = rpc.err(CHAIN, method, [{"from": A0, "to": A1, "gas": hex(30_000), "data": data}, "latest"])
    assert error == {"code": -32000, "message": "intrinsic gas too low"}
    error = rpc.err(CHAIN, method, [{"from": A0, "to": A1, "gas": hex(20_999)}, "latest"])
    assert error == {"code": -32000, "message": "intrinsic gas too low"}
    rpc.ok(CHAIN, method, [{"from": A0, "to": A1, "gas": hex(21_000)}, "latest"])


# -- bytes that are no transaction ----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "message"), [
    ("0x" + "00" * 32, "transaction type not supported"),
    ("0x7f" + "00" * 8, "transaction type not supported"),
    ("0x05c0", "transaction type not supported"),
    ("0x" + "ed" * 120_000, "failed to decode signed transaction: rlp: lists nest deeper than 8 levels"),
    ("0x02" + "ed" * 120_000, "failed to decode signed transaction: rlp: lists nest deeper than 8 levels"),
])
def test_raw_bytes_that_are_no_transaction(rpc, raw, message):
    error = rpc.err(CHAIN, "eth_sendRawTransaction", [raw])
    assert error == {"code": -32003, "message": message}
    assert rpc.ok(CHAIN, "eth_chainId") == hex(CHAIN)


# -- subscriptions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    (["logs", {"address": 5}], "invalid params: filter: expected 0x-prefixed hex data"),
    (["logs", {"topics": 5}], "invalid params: filter: topics: expected a list"),
    (["logs", {"fromBlock": HUGE}], "invalid params: filter: hex number > 64 bits"),
    (["logs", 7], "invalid params: filter: expected a filter object"),
    (["nope"], "unknown subscription type 'nope'"),
    ([5], "invalid params: kind: expected a string"),
])
def test_bad_subscriptions_over_websocket(urls, params, message):
    with WsRpc(urls[CHAIN]) as ws:
        reply = ws.request("eth_subscribe", params)
        assert reply["error"]["code"] == -32602 and reply["error"]["message"].startswith(message), reply
        assert ws.ok("eth_chainId") == hex(CHAIN)


@pytest.mark.parametrize("rid", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_ids_are_parse_errors(rpc, urls, rid):
    body = b'{"jsonrpc":"2.0","id":' + rid + b',"method":"eth_chainId"}'
    status, raw = rpc.post(CHAIN, body)
    assert status == 200
    reply = json.loads(raw)
    assert reply["id"] is None and reply["error"]["code"] == -32700, reply
    with WsRpc(urls[CHAIN]) as ws:
        ws.ws.send(body.decode())
        assert ws.recv()["error"]["code"] == -32700
        assert ws.ok("eth_chainId") == hex(CHAIN)


def _subscribe_many(ws: WsRpc, count: int) -> list[dict[str, object]]:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_subscribe", "params": ["newHeads"]} for i in range(count)]
    ws.send(batch)
    replies = ws.recv(timeout=30)
    assert isinstance(replies, list) and len(replies) == count
    return sorted(replies, key=lambda r: r["id"])


def test_subscriptions_per_connection_are_capped(urls, xrollup_server: DevnetThread):
    events = xrollup_server.devnet.events[CHAIN]

    def counts() -> tuple[int, int]:  # live subscriptions, and the sum of the per-connection counts
        return xrollup_server.run(lambda: (len(events.subs), sum(events.subs_per_connection.values())))

    before, counted = counts()
    assert before == counted
    limit = MAX_SUBSCRIPTIONS_PER_CONNECTION
    with WsRpc(urls[CHAIN]) as other:
        with WsRpc(urls[CHAIN]) as ws:
            replies = _subscribe_many(ws, limit)
            assert all("result" in r for r in replies)
            reply = ws.request("eth_subscribe", ["newHeads"])
            assert reply["error"] == {"code": -32000,
                                      "message": f"too many subscriptions on this connection: the limit is {limit}"}
            assert other.subscribe("newHeads")  # another connection has its own count
            assert ws.ok("eth_unsubscribe", [replies[0]["result"]]) is True  # room for one more
            assert ws.subscribe("newHeads")
            assert ws.request("eth_subscribe", ["newHeads"])["error"]["code"] == -32000
            assert counts() == (before + limit + 1, before + limit + 1)
        deadline = time.monotonic() + 10
        while counts()[0] != before + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # the closed connection's subscriptions are gone, and counted off
        assert counts() == (before + 1, before + 1)
        with WsRpc(urls[CHAIN]) as fresh:
            assert all("result" in r for r in _subscribe_many(fresh, limit))
    deadline = time.monotonic() + 10
    while counts()[0] != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counts() == (before, before)


# -- the mapping --------------------------------------------------------------------------------


def test_unknown_exceptions_answer_internal_error_without_their_text(caplog):
    error = to_rpc_error(RuntimeError("secret detail of the implementation"))
    assert (error.code, error.message, error.data) == (-32603, "internal error", None)
    assert "secret detail of the implementation" in caplog.text  # logged server-side
