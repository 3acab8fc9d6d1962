"""Calls on reused states (chains/engine/callstates.py), on both engines.

A call's state is kept for the next call at the same block and root, after its changes are
reverted: every call must see the block's state as a fresh one would (storage, transient
storage, balances, nonces, warm addresses and slots), including after a call that stopped at
its deadline, and a call after the head moved must see the new head.
"""

from __future__ import annotations

import pytest

from chains.engine import FAST, PLAIN, Engine
from chains.engine import deadline as engine_deadline
from chains.engine.callstates import CallStates
from chains.errors import ExecutionTimeout
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, RollupChain, StateEdit

ACCOUNTS = dev_accounts(count=2)
SENDER = ACCOUNTS[0].address
TARGET = b"\x11" * 20
OTHER = b"\x22" * 20
RETURN_TOP = bytes.fromhex("5f5260205ff3")  # MSTORE(0, top) RETURN(0, 32)
# slot 0 += 1, returns it (a cold SLOAD and SSTORE the first time in a transaction)
BUMP = bytes.fromhex("5f54600101805f55") + RETURN_TOP
# returns transient slot 0, then sets it to 1
TRANSIENT = bytes.fromhex("5f5c60015f5d") + RETURN_TOP
# CREATE of empty code: the address comes from this contract's nonce
CREATE = bytes.fromhex("5f5f5ff0") + RETURN_TOP
SELF_BALANCE = bytes.fromhex("47") + RETURN_TOP
# EXTCODESIZE of OTHER (cold the first time in a transaction), then BUMP
TOUCH = bytes.fromhex("73") + OTHER + bytes.fromhex("3b50") + BUMP
# no calldata: slot 0 = 1, then loop for ever; calldata: return slot 0
WRITE_THEN_LOOP = bytes.fromhex("36600c5760015f555b6008565b5f54") + RETURN_TOP


@pytest.fixture(params=[FAST, PLAIN], ids=lambda e: e.name)
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.param  # type: ignore[no-any-return]


def _chain(engine: Engine, code: bytes) -> RollupChain:
    chain = RollupChain(ChainConfig(901, genesis_timestamp=1_000), tuple(ACCOUNTS), engine)
    chain.edit_state(StateEdit("code", TARGET, code))
    return chain


def _fresh(chain: RollupChain, msg: CallMessage) -> tuple[bytes, int]:
    """Output and gas left of ``msg`` on a state built for it alone (``call_state``)."""
    with chain.call_state("latest") as (state, header):
        gas = msg.gas if msg.gas is not None else int(header.gas_limit)
        computation = state.costless_execute_transaction(chain.checked_call_tx(state, msg, gas))
    assert not computation.is_error, computation.error
    return bytes(computation.output), computation.get_gas_remaining()


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


@pytest.mark.parametrize(("code", "value", "expected"), [
    (BUMP, 0, _word(1)), (TRANSIENT, 0, _word(0)), (SELF_BALANCE, 5, _word(5)), (TOUCH, 0, _word(1)),
], ids=["storage", "transient", "value", "warm-address"])
def test_every_call_sees_the_block_as_a_fresh_state_does(engine: Engine, code: bytes, value: int,
                                                          expected: bytes) -> None:
    chain = _chain(engine, code)
    msg = CallMessage(SENDER, TARGET, value=value, gas=100_000)
    runs = [chain.execute_call(msg) for _ in range(4)]
    assert [bytes(c.output) for c in runs] == [expected] * 4
    # the same gas every time: nothing warm is left over from the call before
    assert {c.get_gas_remaining() for c in runs} == {_fresh(chain, msg)[1]}


def test_a_create_gets_the_same_address_every_call(engine: Engine) -> None:
    chain = _chain(engine, CREATE)
    msg = CallMessage(SENDER, TARGET, gas=200_000)
    outputs = {bytes(chain.execute_call(msg).output) for _ in range(3)}
    assert outputs == {_fresh(chain, msg)[0]}
    assert outputs != {_word(0)}


def test_a_call_stopped_at_its_deadline_leaves_nothing_behind(engine: Engine) -> None:
    chain = _chain(engine, WRITE_THEN_LOOP)
    read = CallMessage(SENDER, TARGET, data=b"\x01", gas=100_000)
    assert bytes(chain.execute_call(read).output) == _word(0)
    with engine_deadline.limit(0.05), pytest.raises(ExecutionTimeout):
        chain.execute_call(CallMessage(SENDER, TARGET, gas=2**63))
    assert bytes(chain.execute_call(read).output) == _word(0)


def test_a_call_after_the_head_moved_reads_the_new_head(engine: Engine) -> None:
    chain = _chain(engine, BUMP)
    msg = CallMessage(SENDER, TARGET, gas=100_000)
    assert bytes(chain.execute_call(msg).output) == _word(1)
    chain.edit_state(StateEdit("storage", TARGET, 7, slot=0))
    assert bytes(chain.execute_call(msg).output) == _word(8)


class _Built:
    def __init__(self, chain: RollupChain) -> None:
        self.chain, self.count = chain, 0

    def __call__(self) -> object:
        self.count += 1
        with self.chain.call_state("latest") as (state, _):
            return state


def test_a_state_is_lent_to_one_call_at_a_time() -> None:
    states, build = CallStates(keep=2), _Built(_chain(FAST, BUMP))
    with states.lend("a", build) as first, states.lend("a", build) as second:  # type: ignore[arg-type]
        assert first is not second
    assert build.count == 2
    with states.lend("a", build) as again:  # type: ignore[arg-type]
        assert again in (first, second)
    assert build.count == 2
    with states.lend("b", build):  # type: ignore[arg-type]  # another block: the idle ones are dropped
        pass
    assert build.count == 3


def test_a_state_whose_call_raised_is_not_kept() -> None:
    states, build = CallStates(), _Built(_chain(FAST, BUMP))
    with pytest.raises(RuntimeError), states.lend("a", build):  # type: ignore[arg-type]
        raise RuntimeError("rejected")
    with states.lend("a", build):  # type: ignore[arg-type]
        pass
    assert build.count == 2
