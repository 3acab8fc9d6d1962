"""Mailbox: the far side's cost carried by putResponse is burnt by the xcall that meets it.

putResponse's first word is ``dstChain | cost << 128``; the xcall that meets the response
burns ``cost`` gas in its own frame (success or failure), or reverts with
``Error("xrollup: gas left does not cover the far side's cost")`` without touching anything.
"""

from __future__ import annotations

from eth_abi import encode

from tests.contracts.evm_harness import (
    ALICE,
    ALICE_KEY,
    BOB_KEY,
    MAILBOX,
    MAILBOX_ABI,
    SEQUENCER_KEY,
    Abi,
    MiniChain,
    error_string,
    request_id,
)
from tests.contracts.test_contracts_evm import logs_of, view

A, B = 901, 902
COUNTER = Abi("Counter")
COST = 100_000
NOT_COVERED = "xrollup: gas left does not cover the far side's cost"


def _prefilled(cost: int, success: bool = True, ret: bytes = b"") -> tuple[MiniChain, bytes, bytes]:
    """Chain A with the response to ALICE's first xcall (Counter.increment on B) pre-filled."""
    a = MiniChain(A)
    counter = MiniChain(B).deploy(BOB_KEY, "Counter", 10)
    call = COUNTER.encode_call("increment")
    rid = request_id(A, B, 0, ALICE, counter, 0, call)
    put = a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B | cost << 128, rid, success, ret))
    assert put.ok
    ((topics, _data),) = logs_of(put, MAILBOX, MAILBOX_ABI, "ResponseStored")
    assert topics[1] == encode(["uint256"], [B])  # the chain id alone, not the cost
    assert view(a, MAILBOX_ABI, MAILBOX, "getResponse", rid) == (True, success, ret)
    return a, MAILBOX_ABI.encode_call("xcall", B, counter, call), rid


def test_xcall_burns_the_far_sides_cost() -> None:
    free, xcall, _ = _prefilled(0)
    paid, _, rid = _prefilled(COST)
    base = free.transact(ALICE_KEY, MAILBOX, xcall)
    charged = paid.transact(ALICE_KEY, MAILBOX, xcall)
    assert base.ok and charged.ok and charged.output == base.output
    assert base.receipt is not None and charged.receipt is not None
    extra = charged.receipt.gas_used - base.receipt.gas_used
    assert COST <= extra <= COST + 1_000, extra
    assert view(paid, MAILBOX_ABI, MAILBOX, "responseConsumed", rid) is True


def test_a_failure_is_charged_too() -> None:
    reason = bytes.fromhex("08c379a0") + encode(["string"], ["far: no"])
    free, xcall, _ = _prefilled(0, False, reason)
    paid, _, _ = _prefilled(COST, False, reason)
    base, charged = free.transact(ALICE_KEY, MAILBOX, xcall), paid.transact(ALICE_KEY, MAILBOX, xcall)
    assert base.revert_data == charged.revert_data == reason
    assert base.receipt is not None and charged.receipt is not None
    assert COST <= charged.receipt.gas_used - base.receipt.gas_used <= COST + 1_000


def test_a_caller_that_cannot_cover_it_reverts_with_a_reason_and_changes_nothing() -> None:
    a, xcall, rid = _prefilled(COST)
    res = a.transact(ALICE_KEY, MAILBOX, xcall, gas=COST)  # less than the cost plus its own gas
    assert error_string(res.revert_data) == NOT_COVERED
    assert view(a, MAILBOX_ABI, MAILBOX, "responseConsumed", rid) is False
    assert view(a, MAILBOX_ABI, MAILBOX, "outNonce", B) == 0
    assert a.transact(ALICE_KEY, MAILBOX, xcall).ok  # with the gas, the same call goes through
