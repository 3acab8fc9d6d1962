"""A read's time limit in the interpreter (chains/engine/deadline.py), on both engines.

Calls run on real chains; an endless loop (``JUMPDEST PUSH0 JUMP``) must stop at the
deadline with ExecutionTimeout, whatever gas it has; without a deadline the interpreter runs
as before (the loop ends out of gas); and the deadline belongs to the thread that set it.
"""

from __future__ import annotations

import threading

import pytest

from chains.engine import FAST, PLAIN, Engine
from chains.engine import deadline as engine_deadline
from chains.errors import ExecutionTimeout, go_duration
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, RollupChain, StateEdit

ACCOUNTS = dev_accounts(count=2)
LOOP = bytes.fromhex("5b5f56")  # JUMPDEST PUSH0 JUMP
# a contract that calls itself until the stack of calls is deep, then loops: recursion
# reaches the check on a computation's entry
SELF_CALL = bytes.fromhex("5f5f5f5f5f305af1") + LOOP  # CALL(gas, this, 0, 0, 0, 0, 0)
TARGET = b"\x11" * 20
SENDER = ACCOUNTS[0].address


@pytest.fixture(params=[FAST, PLAIN], ids=lambda e: e.name)
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.param  # type: ignore[no-any-return]


def _chain(engine: Engine, code: bytes = LOOP) -> RollupChain:
    chain = RollupChain(ChainConfig(901, genesis_timestamp=1_000), tuple(ACCOUNTS), engine)
    chain.edit_state(StateEdit("code", TARGET, code))
    return chain


@pytest.mark.parametrize("code", [LOOP, SELF_CALL], ids=["loop", "self-call"])
def test_an_endless_call_stops_at_the_deadline(engine: Engine, code: bytes) -> None:
    chain = _chain(engine, code)
    with engine_deadline.limit(0.05), pytest.raises(ExecutionTimeout) as caught:
        chain.execute_call(CallMessage(SENDER, TARGET, gas=2**63))
    assert str(caught.value) == "execution aborted (timeout = 50ms)"
    assert engine_deadline.current() is None  # put back when the block ends


def test_without_a_deadline_the_loop_runs_out_of_gas(engine: Engine) -> None:
    computation = _chain(engine).execute_call(CallMessage(SENDER, TARGET, gas=100_000))
    assert computation.is_error and type(computation.error).__name__ == "OutOfGas"
    assert computation.get_gas_remaining() == 0


def test_a_deadline_far_off_changes_nothing(engine: Engine) -> None:
    chain = _chain(engine)
    plain = chain.execute_call(CallMessage(SENDER, TARGET, gas=200_000))
    with engine_deadline.limit(60):
        limited = chain.execute_call(CallMessage(SENDER, TARGET, gas=200_000))
    assert (type(limited.error), limited.get_gas_remaining()) == (type(plain.error), plain.get_gas_remaining())


def test_the_deadline_is_the_threads_own() -> None:
    """A worker's deadline does not reach another thread (mining runs on the loop's)."""
    chain = _chain(FAST)
    seen: list[float | None] = []
    with engine_deadline.limit(0.01):
        other = threading.Thread(target=lambda: seen.append(engine_deadline.current()))
        other.start()
        other.join()
    assert seen == [None]
    computation = chain.execute_call(CallMessage(SENDER, TARGET, gas=300_000))  # no deadline here
    assert computation.is_error


def test_a_deadline_already_past_stops_at_once() -> None:
    chain = _chain(FAST)
    with engine_deadline.limit(1.0, deadline=0.0), pytest.raises(ExecutionTimeout, match=r"timeout = 1s\)"):
        chain.execute_call(CallMessage(SENDER, TARGET, gas=30_000_000))


def test_go_duration_prints_like_go() -> None:
    assert [go_duration(s) for s in (5, 1.5, 0.3, 0.05, 60, 90)] == ["5s", "1.5s", "300ms", "50ms", "1m0s", "1m30s"]
