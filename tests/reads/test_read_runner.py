"""The read runner (backend/reads.py) on a real chain: short reads stay on the event loop,
long ones move to a worker thread and give the same answer, a worker's read stops at the
request's deadline, and the gas cap lowers what a call asks for."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from backend.reads import ReadLimits, ReadRunner
from chains.errors import ExecutionTimeout
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, RollupChain, StateEdit

ACCOUNTS = dev_accounts(count=1)
SENDER = ACCOUNTS[0].address
LOOP_AT = b"\xe5" * 20


@pytest.fixture(scope="module")
def chain() -> RollupChain:
    chain = RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS)
    chain.edit_state(StateEdit("code", LOOP_AT, bytes.fromhex("5b5f56")))  # JUMPDEST PUSH0 JUMP
    return chain


def _run_where(chain: RollupChain, runner: ReadRunner, gas: int, deadline: float | None) -> tuple[str, Any]:
    """(the thread the read ran in, the computation's error type), on a fresh event loop."""
    point = chain.read_point("latest")

    def read() -> tuple[str, Any]:
        computation = chain.execute_call(CallMessage(SENDER, LOOP_AT, gas=gas), point)
        return threading.current_thread().name, type(computation.error).__name__

    async def main() -> tuple[str, Any]:
        try:
            return await runner.run(deadline, read)
        finally:
            runner.close()

    return asyncio.run(main())


def test_a_short_read_stays_on_the_loop_and_a_long_one_moves_to_a_worker(chain: RollupChain) -> None:
    runner = ReadRunner(ReadLimits(evm_timeout=60))
    short = _run_where(chain, runner, 21_500, runner.deadline())  # a few hundred opcodes
    long = _run_where(chain, runner, 3_000_000, runner.deadline())
    assert short == (threading.current_thread().name, "OutOfGas")
    assert long[0].startswith("xrollup-read") and long[1] == "OutOfGas"


def test_every_read_in_a_worker_without_an_inline_slice(chain: RollupChain) -> None:
    runner = ReadRunner(ReadLimits(evm_timeout=60), inline_slice=0)
    where, error = _run_where(chain, runner, 30_000, runner.deadline())
    assert where.startswith("xrollup-read") and error == "OutOfGas"


def test_a_read_in_a_worker_stops_at_the_deadline(chain: RollupChain) -> None:
    runner = ReadRunner(ReadLimits(evm_timeout=0.2))
    with pytest.raises(ExecutionTimeout, match=r"^execution aborted \(timeout = 200ms\)$"):
        _run_where(chain, runner, 2**62, runner.deadline())


def test_the_gas_cap_lowers_what_a_call_asks_for() -> None:
    limits = ReadLimits(gas_cap=50_000_000)
    asks = CallMessage(SENDER, LOOP_AT, gas=2**63)
    assert limits.capped(asks, 30_000_000).gas == 50_000_000
    assert limits.capped(CallMessage(SENDER, LOOP_AT, gas=1_000), 30_000_000).gas == 1_000
    assert limits.capped(CallMessage(SENDER, LOOP_AT), 30_000_000).gas is None  # the block's limit, under the cap
    assert limits.capped(CallMessage(SENDER, LOOP_AT), 60_000_000).gas == 50_000_000
    assert ReadLimits(gas_cap=0).capped(asks, 30_000_000).gas == 2**63


def test_a_short_read_gets_a_turn_while_a_long_one_runs(chain: RollupChain) -> None:
    """Workers take turns: a short read sent while an endless one runs in a worker finishes
    first, with its answer; the endless one stops at its deadline."""
    runner = ReadRunner(ReadLimits(evm_timeout=2))
    point = chain.read_point("latest")
    finished: list[str] = []

    def read(gas: int, name: str) -> Any:
        try:
            return chain.execute_call(CallMessage(SENDER, LOOP_AT, gas=gas), point)
        finally:
            finished.append(name)

    async def main() -> tuple[Any, BaseException | None]:
        long = asyncio.ensure_future(runner.run(runner.deadline(), read, 2**62, "long", inline=False))
        await asyncio.sleep(0.1)
        short = await runner.run(runner.deadline(), read, 21_500, "short", inline=False)
        try:
            await long
        except ExecutionTimeout as exc:
            return short, exc
        finally:
            runner.close()
        return short, None

    short, error = asyncio.run(main())
    assert finished == ["short", "long"]
    assert type(short.error).__name__ == "OutOfGas"
    assert isinstance(error, ExecutionTimeout)
