"""Bounded reads: the gas cap and the time limit of eth_call and friends, and the worker
threads they run in, off the event loop that mines.

A read resolves its block on the event loop (``RollupChain.read_point``: the block and the
state root at that moment); one that takes more than a few milliseconds then executes in a
worker thread against that root while the sequencer goes on committing blocks on the loop: trie nodes are content-addressed, so the
root stays readable whatever is committed after it. Every read of one request shares one
deadline, counted from when the request arrived (time spent waiting for a worker counts);
past it the interpreter raises ExecutionTimeout (chains/engine/deadline.py), geth's
``execution aborted (timeout = 5s)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from chains.engine import deadline as engine_deadline
from chains.errors import ExecutionTimeout
from chains.rollup import CallMessage

T = TypeVar("T")

DEFAULT_GAS_CAP = 50_000_000  # geth's RPCGasCap
DEFAULT_EVM_TIMEOUT = 5.0  # seconds; geth's RPCEVMTimeout
READ_WORKERS = 4  # threads for reads; more reads wait for one (their deadline keeps running)
INLINE_SLICE = 0.005  # seconds a read may run on the event loop before it moves to a worker
WORK_SLICE = 0.003  # seconds a worker runs before it pauses
PAUSE = 0.001  # seconds it then leaves to the event loop
SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the GIL while another waits for it


@dataclass(frozen=True)
class ReadLimits:
    """``gas_cap``: the most gas a read may use (0: no cap); ``evm_timeout``: seconds a
    request's reads may run (0: no limit)."""

    gas_cap: int = DEFAULT_GAS_CAP
    evm_timeout: float = DEFAULT_EVM_TIMEOUT

    def capped(self, msg: CallMessage, default_gas: int) -> CallMessage:
        """``msg`` with its gas lowered to the cap, as geth does (a call without gas, which
        runs with ``default_gas``, too when that is above the cap)."""
        if not self.gas_cap:
            return msg
        if msg.gas is not None and msg.gas > self.gas_cap:
            return dataclasses.replace(msg, gas=self.gas_cap)
        if msg.gas is None and default_gas > self.gas_cap:
            return dataclasses.replace(msg, gas=self.gas_cap)
        return msg


class ReadRunner:
    """Runs reads in a few worker threads, each under its request's deadline."""

    def __init__(self, limits: ReadLimits, workers: int = READ_WORKERS, inline_slice: float = INLINE_SLICE) -> None:
        """``inline_slice``: seconds a read may run on the event loop before it moves to a
        worker (0: every read goes to a worker)."""
        self.limits = limits
        self.inline_slice = inline_slice
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._busy = 0  # reads running in (or waiting for) a worker
        self._turns = Turns()

    def deadline(self) -> float | None:
        """The deadline (time.monotonic()) of a request arriving now; None: no limit."""
        return time.monotonic() + self.limits.evm_timeout if self.limits.evm_timeout > 0 else None

    async def run(self, deadline: float | None, fn: Callable[..., T], *args: object, inline: bool = True) -> T:
        """``fn(*args)``, stopped at ``deadline``. Raises what ``fn`` raises, ExecutionTimeout
        past the deadline.

        Most reads take a millisecond or two, less than a trip to a worker thread and back
        costs; so while no read is running in a worker, a read first runs here, on the event
        loop, for at most ``INLINE_SLICE``. One that needs longer is started again in a worker
        (reads change nothing, and it runs on the same resolved block): the loop gives it one
        slice, never more, and none at all while a worker is busy. ``inline=False``: straight
        to a worker, for work that cannot be started again (a simulation on builders it
        changes)."""
        if inline and not self._busy and self.inline_slice > 0:
            slice_end = time.monotonic() + self.inline_slice
            if deadline is not None:
                slice_end = min(slice_end, deadline)
            try:
                with engine_deadline.limit(self.limits.evm_timeout, slice_end):
                    return fn(*args)
            except ExecutionTimeout:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
        self._busy += 1
        try:
            return await self._in_worker(deadline, fn, args)
        finally:
            self._busy -= 1

    async def _in_worker(self, deadline: float | None, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="xrollup-read")
            # A busy worker holds the GIL until the interpreter asks it to let go: every
            # switch interval (5 ms by default). The event loop, which mines and answers
            # everyone else, waits that long each time it wants it back after I/O.
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _bounded, self._turns, self.limits.evm_timeout, deadline,
                                          fn, args)

    def close(self) -> None:
        """Stop the workers (reads running go on to their deadline; none waits)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class Turns:
    """One worker thread executes at a time, in turns, first come first served; the
    interpreter passes the turn on at each of its deadline checks (about every millisecond)
    when another worker waits. A waiting worker sleeps, so however many reads run, the event
    loop's thread shares the GIL with one worker only, and long reads progress side by side."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._held = False
        self._since = 0.0  # when the holder took its turn

    def take(self) -> None:
        me = object()
        with self._cond:
            self._queue.append(me)
            while self._held or self._queue[0] is not me:
                self._cond.wait()
            self._queue.popleft()
            self._held = True
            self._since = time.monotonic()

    def give(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def pass_on(self) -> None:
        """At a deadline check: let the next waiting worker run and wait for another turn;
        and after each WORK_SLICE of running, pause for PAUSE, leaving the CPU and the GIL to
        the event loop (a long read runs at most ~3/4 of the time, the loop never waits for
        it long)."""
        now = time.monotonic()
        if self._queue:
            self.give()
            self.take()
        elif now - self._since >= WORK_SLICE:
            self.give()
            time.sleep(PAUSE)
            self.take()


def _bounded(turns: Turns, seconds: float, deadline: float | None, fn: Callable[..., T],
             args: tuple[object, ...]) -> T:
    turns.take()
    try:
        # no limit: a deadline that never comes, so that the turns are still passed on
        with engine_deadline.limit(seconds, math.inf if deadline is None else deadline, turns.pass_on):
            engine_deadline.check(deadline)  # it may have passed while the read waited for a worker
            return fn(*args)
    finally:
        turns.give()
