"""Cross-rollup calls made by a contract (XCallProbe): try/catch on the near side, stale
responses, two calls in one transaction, nested calls (A -> B -> C) and calls back into the
source chain (A -> B -> A).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode

from tests.xrollup_calls.xcall_helpers import (
    A0,
    A2,
    CLEAR_RESPONSE_SELECTOR,
    EXECUTE_SELECTOR,
    K0,
    MAILBOX,
    PUT_RESPONSE_SELECTOR,
    SEQUENCER,
    XCALL_EXECUTED_TOPIC,
    A,
    B,
    C,
    Net,
    decode_xcall_executed,
    error_string,
    logs_with,
    request_id,
    selector,
    tx_input,
    word,
)


def w(value: int) -> bytes:
    return bytes.fromhex(word(value)[2:])


def block_txs(net: Net, cid: int, number: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(from, 4-byte selector, receipt) of every transaction of chain ``cid``'s block in the
    superblock that holds block ``number`` of chain A (none if ``cid`` did not advance in it)."""
    out = []
    block = net.block_in(net.superblock_of(A, number), cid)
    for tx in block["transactions"] if block is not None else []:
        out.append((tx["from"].lower(), tx_input(tx)[:10], net.receipt(cid, tx["hash"])))
    return out


def executed_logs(net: Net, cid: int, number: int) -> list[tuple[int, int, bytes, bool, bytes]]:
    return [decode_xcall_executed(lg) for _, _, rc in block_txs(net, cid, number)
            for lg in logs_with(rc, MAILBOX, XCALL_EXECUTED_TOPIC)]


def hop_data(net: Net, path: list[int], target: str, data: bytes) -> bytes:
    return net.calldata("XCallProbe", "hop", path, [net.probe] * len(path), target, data)


def test_caught_failure_is_recorded_and_a_later_identical_call_reexecutes(net: Net) -> None:
    token = net.deploy(B, K0, "TestToken", "Probe token", "PRB")
    transfer = net.calldata("TestToken", "transfer", A2, 5)
    rid = request_id(A, B, 0, net.probe, token, 0, transfer)
    insufficient = error_string("ERC20: insufficient balance")

    # 1. On 902 the mailbox (msg.sender of the target) has no tokens: the transfer fails, the
    #    probe's try/catch on 901 catches it and the transaction succeeds.
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "tryCall", B, token, transfer)
    assert receipt["status"] == "0x1"
    assert net.view(A, "XCallProbe", net.probe, "lastSuccess") is False
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == bytes.fromhex(insufficient[2:])
    assert net.view(A, "XCallProbe", net.probe, "outcomes") == 1
    assert "xcalls" not in receipt  # the caught xcall reverted: no XCall event
    number = int(receipt["blockNumber"], 16)
    # 901: pre-fill, the user's transaction, then the unconsumed response is cleared.
    txs_a = block_txs(net, A, number)
    assert [(f, s) for f, s, _ in txs_a] == [
        (SEQUENCER.lower(), PUT_RESPONSE_SELECTOR),
        (A0.lower(), selector("tryCall(uint256,address,bytes)")),
        (SEQUENCER.lower(), CLEAR_RESPONSE_SELECTOR)]
    assert txs_a[1][2]["transactionHash"] == receipt["transactionHash"]
    assert net.view(A, "Mailbox", MAILBOX, "getResponse", rid) == [False, False, b""]
    assert net.view(A, "Mailbox", MAILBOX, "outNonce", B) == 0
    # 902: the failed execute is there for attribution, and did not count as executed.
    assert executed_logs(net, B, number) == [(A, 0, rid, False, bytes.fromhex(insufficient[2:]))]
    assert net.view(B, "Mailbox", MAILBOX, "executed", rid) is False
    assert net.view(B, "TestToken", token, "balanceOf", A2) == 0
    net.assert_mailboxes_agree()

    # 2. Fund the mailbox on 902; the *same* request (same nonce, same id) now succeeds: it
    #    is executed again on 902 instead of meeting the stale failure on 901.
    net.tx(B, K0, "TestToken", token, "mint", MAILBOX, 5)
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "tryCall", B, token, transfer)
    assert receipt["status"] == "0x1"
    assert net.view(A, "XCallProbe", net.probe, "lastSuccess") is True
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == w(1)  # transfer() returned true
    assert net.view(A, "XCallProbe", net.probe, "outcomes") == 2
    [xc] = receipt["xcalls"]
    assert xc["requestId"] == "0x" + rid.hex() and xc["success"] is True
    assert executed_logs(net, B, int(receipt["blockNumber"], 16)) == [(A, 0, rid, True, w(1))]
    assert net.view(B, "TestToken", token, "balanceOf", A2) == 5
    assert net.view(B, "Mailbox", MAILBOX, "executed", rid) is True
    assert net.view(A, "Mailbox", MAILBOX, "responseConsumed", rid) is True
    net.assert_mailboxes_agree()


def test_nested_failure_is_caught_and_nothing_sticks(net: Net) -> None:
    data = hop_data(net, [C], net.counter, net.calldata("Counter", "failWithReason"))
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "tryCall", B, net.probe, data)
    assert receipt["status"] == "0x1"
    assert net.view(A, "XCallProbe", net.probe, "lastSuccess") is False
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == bytes.fromhex(error_string("Counter: boom")[2:])
    for cid in (B, C):
        assert net.view(cid, "XCallProbe", net.probe, "hops") == 0
        assert net.view(cid, "Mailbox", MAILBOX, "outNonce", C if cid == B else A) == 0
    assert net.view(A, "Mailbox", MAILBOX, "outNonce", B) == 0
    net.assert_mailboxes_agree()


def test_two_xcalls_in_one_transaction_run_in_order(net: Net) -> None:
    inc, number = net.calldata("Counter", "increment"), net.calldata("Counter", "number")
    # Simulated: the second call sees the first one's effect on 902.
    ret = net.view(A, "XCallProbe", net.probe, "callTwo", B, net.counter, inc, B, net.counter, number)
    assert ret == [b"", w(1)]

    receipt = net.tx(A, K0, "XCallProbe", net.probe, "callTwo", B, net.counter, inc, B, net.counter, number)
    assert receipt["status"] == "0x1"
    assert net.number(B) == 1
    assert [(x["destinationChainId"], x["nonce"], x["success"]) for x in receipt["xcalls"]] == [
        (hex(B), "0x0", True), (hex(B), "0x1", True)]
    number_ = int(receipt["blockNumber"], 16)
    rid0 = request_id(A, B, 0, net.probe, net.counter, 0, inc)
    rid1 = request_id(A, B, 1, net.probe, net.counter, 0, number)
    # Executed on 902 in the order 901 consumes the responses.
    assert executed_logs(net, B, number_) == [(A, 0, rid0, True, b""), (A, 1, rid1, True, w(1))]
    assert {x["destinationTxHash"] for x in receipt["xcalls"]} == {
        h["transactionHash"] for _, s, h in block_txs(net, B, number_) if s == EXECUTE_SELECTOR}

    # Two destinations in one transaction: each has its own nonce sequence.
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "callTwo", B, net.counter, inc, C, net.counter, inc)
    assert receipt["status"] == "0x1"
    assert (net.number(B), net.number(C)) == (2, 1)
    assert [(x["destinationChainId"], x["nonce"]) for x in receipt["xcalls"]] == [(hex(B), "0x2"), (hex(C), "0x0")]
    net.assert_mailboxes_agree()


def test_nested_a_b_c_returns_cs_value(net: Net) -> None:
    net.tx(C, K0, "Counter", net.counter, "setNumber", 41)
    number = net.calldata("Counter", "number")
    # hop unwraps each level: the caller gets C's raw return data.
    assert net.view(A, "XCallProbe", net.probe, "hop", [B, C], [net.probe] * 2, net.counter, number) == w(41)

    receipt = net.tx(A, K0, "XCallProbe", net.probe, "hop", [B, C], [net.probe] * 2, net.counter,
                     net.calldata("Counter", "increment"))
    assert receipt["status"] == "0x1"
    assert (net.number(A), net.number(B), net.number(C)) == (0, 0, 42)
    n = int(receipt["blockNumber"], 16)
    assert [(f, s) for f, s, _ in block_txs(net, A, n)][0] == (SEQUENCER.lower(), PUT_RESPONSE_SELECTOR)
    assert [(f, s) for f, s, _ in block_txs(net, B, n)] == [(SEQUENCER.lower(), PUT_RESPONSE_SELECTOR),
                                                           (SEQUENCER.lower(), EXECUTE_SELECTOR)]
    assert [(f, s) for f, s, _ in block_txs(net, C, n)] == [(SEQUENCER.lower(), EXECUTE_SELECTOR)]
    assert [e[:2] for e in executed_logs(net, B, n)] == [(A, 0)]
    assert [e[:2] for e in executed_logs(net, C, n)] == [(B, 0)]
    # Each level saw its caller through the mailbox context.
    assert net.view(B, "XCallProbe", net.probe, "lastXSender") == net.probe
    assert net.view(B, "XCallProbe", net.probe, "lastXSource") == A
    assert net.view(C, "XCallProbe", net.probe, "lastXSource") == B

    # A mined transaction stores the value that came back from C.
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "call", B, net.probe, hop_data(net, [C], net.counter, number))
    assert receipt["status"] == "0x1"
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == encode(["bytes"], [w(42)])
    net.assert_mailboxes_agree()


@pytest.mark.parametrize("path", [[B, C, A], [C, B, A], [B, A, C]], ids=str)
def test_three_hops_settle_in_any_chain_order(net: Net, path: list[int]) -> None:
    """901 -> 902 -> 903 -> 901 used to spin for 64 simulation rounds: a deeper request found
    on a chain with a higher id was masked by its already planned parent."""
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "hop", path, [net.probe] * 3, net.counter,
                     net.calldata("Counter", "increment"))
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    assert net.number(path[-1]) == 1
    assert sum(net.number(cid) for cid in (A, B, C)) == 1
    net.assert_mailboxes_agree()


def test_call_back_into_the_source_chain(net: Net) -> None:
    """A -> B -> A. Observed semantics: the call back into 901 runs as a sequencer system
    transaction (Mailbox.execute) placed *before* the user's transaction in 901's block, so
    it sees 901's state as of the start of the block, not the calling transaction's own
    writes (here: `marker` was set to 7 just before the xcall, the call back reads 0)."""
    read_marker = hop_data(net, [A], net.probe, net.calldata("XCallProbe", "marker"))
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "setMarkerThenCall", 7, B, net.probe, read_marker)
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    assert net.view(A, "XCallProbe", net.probe, "marker") == 7
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == encode(["bytes"], [w(0)])

    n = int(receipt["blockNumber"], 16)
    txs = block_txs(net, A, n)
    user_index = int(receipt["transactionIndex"], 16)
    assert [(f, s) for f, s, _ in txs[:user_index]] == [(SEQUENCER.lower(), PUT_RESPONSE_SELECTOR),
                                                       (SEQUENCER.lower(), EXECUTE_SELECTOR)]
    assert [e[:2] + e[3:4] for e in executed_logs(net, A, n)] == [(B, 0, True)]
    assert net.view(A, "XCallProbe", net.probe, "lastXSender") == net.probe
    assert net.view(A, "XCallProbe", net.probe, "lastXSource") == B
    assert net.view(A, "XCallProbe", net.probe, "hops") == 1

    # State changes of the call back stick: A's counter is incremented through B.
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "hop", [B, A], [net.probe] * 2, net.counter,
                     net.calldata("Counter", "increment"))
    assert receipt["status"] == "0x1"
    assert (net.number(A), net.number(B)) == (1, 0)
    net.assert_mailboxes_agree()


def test_reentering_a_chain_that_calls_the_same_destination_again(net: Net) -> None:
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "hop", [B, C, B, C], [net.probe] * 4, net.counter,
                     net.calldata("Counter", "increment"), gas=5_000_000)
    assert receipt.get("xrollupError") is None
    assert receipt["status"] == "0x1"
    assert net.number(C) == 1
    net.assert_mailboxes_agree()


def test_nested_revert_names_the_chain_where_it_happened(net: Net) -> None:
    data = hop_data(net, [C], net.counter, net.calldata("Counter", "failWithReason"))
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "call", B, net.probe, data, gas=3_000_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"] == {"chainId": hex(C), "reason": "Counter: boom"}
