"""Mining modes, and the mining service: when superblocks are mined without evm_mine.

Automine mines a superblock as soon as work arrives: while the devnet serves, the service's
``AutomineBatcher`` (batching.py) mines at the end of the event-loop tick, so that a
transaction's receipt exists when eth_sendRawTransaction returns and concurrent submissions
share one superblock; without the service the sequencer mines inline in ``submit``. The
service builds an automine superblock on the event loop; one with a transaction that executes
longer than ``INLINE_SLICE`` (a heavy cross-rollup call) is built again in a worker thread while the
loop goes on answering and taking submissions, and is committed back on the loop (only the
loop changes what readers see). It runs under an execution budget (budget.py): a
transaction that executes longer than ``budget`` seconds while others wait is deferred so
that what waits is mined first. Automine
advances only the chains with work. Interval advances every chain on its cadence whether or not
there is work (the service's loop): one superblock of every chain every ``seconds``, or, with
per-chain intervals, a superblock of the chains due at each tick (chains due together share
it). Manual mines only on evm_mine / anvil_mine (every chain).

Under automine the service's loop also mines what falls due with no submission, through the
batcher's step (``AutomineBatcher.kick``): a transaction the ordering policy or a fault held
until a time (``release_at``), and an asynchronous message whose relay waits for its delay
(--interop.delay, a fault's message delay: ``next_relay_due``). ``next_wake`` is that time.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chains.errors import SequencerDown
from shared_sequencer.batching import AutomineBatcher, Step
from shared_sequencer.budget import DEFAULT_BUDGET_SECONDS, Budget, OffLoop, Yielded

if TYPE_CHECKING:
    from chains.rollup import MinedBlock
    from shared_sequencer.builders import Build, Built
    from shared_sequencer.superblock import SuperBlock

log = logging.getLogger("xrollup.mining")

INLINE_SLICE = 0.005  # seconds a transaction executes on the event loop before its superblock moves to the worker
SWITCH_INTERVAL = 0.0005  # seconds the building thread may hold the GIL while the loop waits for it


@dataclass(frozen=True)
class Automine:
    name: str = "automine"


@dataclass(frozen=True)
class IntervalMining:
    seconds: float | None  # every chain's interval, or the default for chains not in per_chain
    per_chain: tuple[tuple[int, float], ...] = ()  # (chain id, seconds): --block-time 901=1,902=2
    name: str = "interval"

    def intervals(self, chain_ids: Iterable[int]) -> dict[int, float]:
        """Each chain's interval. Raises ValueError for a chain with none."""
        named = dict(self.per_chain)
        out = {}
        for cid in chain_ids:
            seconds = named.get(cid, self.seconds)
            if seconds is None:
                raise ValueError(f"chain {cid} has no block time: name it (--block-time {cid}=SECONDS) "
                                 "or give a default (--block-time SECONDS,...)")
            out[cid] = seconds
        return out


@dataclass(frozen=True)
class Manual:
    name: str = "manual"


MiningMode = Automine | IntervalMining | Manual


def mode_from_flags(block_time: float | None, no_mining: bool,
                    per_chain: tuple[tuple[int, float], ...] = ()) -> MiningMode:
    """anvil's flags: --no-mining wins, then --block-time (one interval, and per-chain ones),
    else automine.

    Raises ValueError for a block time that is not positive.
    """
    if no_mining:
        return Manual()
    if block_time is not None or per_chain:
        for seconds in (block_time, *(s for _, s in per_chain)):
            if seconds is not None and seconds <= 0:
                raise ValueError("--block-time must be a positive number of seconds")
        return IntervalMining(block_time, per_chain)
    return Automine()


class Minable(Protocol):
    """What the service needs of the sequencer (shared_sequencer.sequencer.Sequencer)."""

    mode: MiningMode
    mode_listeners: list[Callable[[], None]]
    clock_listeners: list[Callable[[], None]]
    pending_listeners: list[Callable[[int, bytes], None]]
    superblock_listeners: list[Callable[[SuperBlock, dict[int, MinedBlock]], None]]

    def release_at(self) -> float | None: ...

    def next_relay_due(self) -> float | None: ...

    @property
    def chains(self) -> Mapping[int, object]: ...

    def mine_pending(self) -> None: ...

    def mine(self, timestamp: int | None = None, allow_empty: bool = True,
             chains: Collection[int] | None = None) -> object: ...

    def set_automine_scheduler(self, schedule: Callable[[], None] | None) -> None: ...

    @property
    def head(self) -> object: ...

    @property
    def relays(self) -> Sequence[object]: ...

    @property
    def deposits(self) -> Mapping[int, Sequence[object]]: ...

    def has_bundles(self) -> bool: ...

    def prepare(self, timestamp: int | None = None, chains: Collection[int] | None = None,
                budget: Budget | None = None, off_loop: bool = False) -> Build: ...

    def build(self, build: Build, allow_empty: bool = True) -> Built | None: ...

    def drop_invalid(self, dropped: Iterable[tuple[int, bytes]]) -> None: ...

    def commit_built(self, built: Built) -> object | None: ...

    def defer(self, tx_hash: bytes) -> None: ...

    def release_deferred(self) -> None: ...

    def is_deferred(self, tx_hash: bytes | None = None) -> bool: ...


class MiningService:
    """Mines for one sequencer at a time: automine batching (installed as the sequencer's
    automine scheduler; long builds in a worker thread) and the interval loop, on the event
    loop. ``budget``: seconds an automine build may run while others wait before the
    transaction it executes is deferred (budget.py; 0: never, and every build on the loop)."""

    def __init__(self, budget: float = DEFAULT_BUDGET_SECONDS) -> None:
        self.budget = budget
        self._seq: Minable | None = None
        self._batcher: AutomineBatcher | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._off_loop_next = False  # the last quick step ran past INLINE_SLICE
        self._relay_wake: float | None = None  # the relay due time the loop last slept toward
        # (wake time, head) of a wake-up that mined nothing although its time had come: what
        # it was for is held by something else too (a censor, a halt, the sequencer down)
        self._spent_wake: tuple[float, object] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, seq: Minable) -> None:
        """Serve ``seq`` from the running event loop. Idempotent."""
        if self._task is not None:
            return
        self._changed = asyncio.Event()  # of this loop (a stopped service may start on another)
        self.attach(seq)
        self._task = asyncio.create_task(self._run())

    def attach(self, seq: Minable) -> None:
        """Mine for ``seq`` from now on (the devnet was reset or loaded); the previous
        sequencer goes back to mining inline."""
        self.detach()
        self._seq = seq
        self._batcher = AutomineBatcher(seq.mine_pending, self._step, seq.is_deferred, self._step_inline)
        seq.set_automine_scheduler(self._batcher.schedule)
        seq.mode_listeners.append(self.wake)
        seq.clock_listeners.append(self._on_clock)
        seq.pending_listeners.append(self._on_pending)
        seq.superblock_listeners.append(self._on_superblock)
        self._relay_wake = None
        self.wake()

    def detach(self) -> None:
        if self._seq is not None:
            self._seq.set_automine_scheduler(None)
            if self.wake in self._seq.mode_listeners:
                self._seq.mode_listeners.remove(self.wake)
            if self._on_clock in self._seq.clock_listeners:
                self._seq.clock_listeners.remove(self._on_clock)
            if self._on_pending in self._seq.pending_listeners:
                self._seq.pending_listeners.remove(self._on_pending)
            if self._on_superblock in self._seq.superblock_listeners:
                self._seq.superblock_listeners.remove(self._on_superblock)
        self._seq = self._batcher = None

    def stop(self) -> None:
        self.detach()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _step_inline(self) -> Step | None:
        """One automine superblock built and committed on the loop (the batcher's quick
        step); None when a transaction executes past INLINE_SLICE (the build is thrown away:
        ``_step`` builds it in the worker thread)."""
        seq, batcher = self._seq, self._batcher
        if seq is None or batcher is None or not isinstance(seq.mode, Automine):
            return Step.IDLE
        before = seq.head
        # Deposits, bundles and relays: built on the loop, as ever.
        if self.budget <= 0 or seq.relays or any(seq.deposits.values()) or seq.has_bundles():
            seq.mine_pending()
            return Step.COMMITTED if seq.head is not before else Step.IDLE
        while True:
            try:
                build = seq.prepare(budget=Budget(self.budget, batcher.waiting, INLINE_SLICE))
            except SequencerDown:  # a fault: nothing is mined while the sequencer is down
                return Step.IDLE
            try:
                built = seq.build(build, allow_empty=False)
            except OffLoop:
                self._off_loop_next = True
                return None
            except Yielded as exc:  # a budget below the slice
                seq.defer(exc.tx_hash)
                return Step.YIELDED
            if built is None:
                if build.deferred:  # only what was deferred waits: it may go now
                    seq.release_deferred()
                    continue
                return Step.IDLE
            seq.commit_built(built)  # built and committed in one go: nothing moved
            break
        if seq.relays:  # asynchronous messages the superblock sent: follow-ups, as mine_pending does
            seq.mine_pending()
        return Step.COMMITTED

    async def _step(self) -> Step:
        """One automine superblock (the batcher's step): built on the loop, or, with a
        transaction past INLINE_SLICE, built again in the worker thread under the budget and
        committed here; built again if the sequencer moved meanwhile."""
        if not self._off_loop_next:  # the quick step just found it needs the worker: no second try
            quick = self._step_inline()
            if quick is not None:
                return quick
        self._off_loop_next = False
        seq, batcher = self._seq, self._batcher
        if seq is None or batcher is None:
            return Step.IDLE
        while True:
            try:
                build = seq.prepare(budget=Budget(self.budget, batcher.waiting, pauses=True), off_loop=True)
            except SequencerDown:  # a fault (maybe arisen while the last build ran): nothing is mined
                return Step.IDLE
            try:
                built = await asyncio.get_running_loop().run_in_executor(self._worker(), seq.build, build, False)
            except Yielded as exc:
                if seq is self._seq:
                    seq.defer(exc.tx_hash)
                return Step.YIELDED
            if seq is not self._seq:  # reset or loaded meanwhile
                return Step.IDLE
            if built is None:
                seq.drop_invalid(build.invalid)
                if build.deferred:
                    seq.release_deferred()
                    continue
                return Step.IDLE
            if seq.commit_built(built) is not None:
                break
        if seq.relays:
            seq.mine_pending()
        return Step.COMMITTED

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="xrollup-mine")
            # The building thread holds the GIL until asked to let go, every switch interval
            # (5 ms by default): the loop would wait that long each time it wants it back.
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        return self._executor

    async def settled(self, tx_hash: bytes | None = None) -> None:
        """Wait until every automine submission so far is mined, ``tx_hash`` too if the
        budget deferred it. Re-raises a mining failure."""
        if self._batcher is not None:
            await self._batcher.settled(tx_hash)

    def wake(self) -> None:
        """Call after the mode changed, so that a new interval takes effect at once."""
        self._changed.set()

    def _on_clock(self) -> None:
        """The devnet clock moved, or an evm_revert brought waiting work back: under automine
        work waiting for time may be due sooner (recompute when to wake). Interval mining
        keeps its rhythm."""
        seq = self._seq
        if seq is not None and isinstance(seq.mode, Automine):
            self.wake()
            if seq.relays and self._batcher is not None and self._on_loop():  # some may be due now: mine them
                self._batcher.kick()

    def _on_loop(self) -> bool:
        """Whether this runs on the service's event loop (a dev command does; a script that
        drives the sequencer from another thread does not, and mines itself)."""
        try:
            return self._task is not None and asyncio.get_running_loop() is self._task.get_loop()
        except RuntimeError:
            return False

    def _on_pending(self, chain_id: int, tx_hash: bytes) -> None:
        """Under automine a new transaction may be held back by the ordering policy
        (express-lane's delay): recompute when to wake. Interval mining keeps its rhythm."""
        if self._seq is not None and isinstance(self._seq.mode, Automine) and self._seq.release_at() is not None:
            self.wake()

    def _on_superblock(self, superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
        """A superblock may have queued a message whose relay waits for its delay, or relayed
        the one the loop sleeps toward: under automine, recompute when to wake (interval
        mining keeps its rhythm)."""
        seq = self._seq
        if seq is not None and isinstance(seq.mode, Automine) and seq.next_relay_due() != self._relay_wake:
            self.wake()

    def next_wake(self) -> float | None:
        """The wall-clock time at which the service mines next with no submission, under
        automine: when the ordering policy or a fault releases a held transaction
        (``release_at``) or the next waiting relay falls due (``next_relay_due``). None when
        nothing waits for the clock, or in another mode."""
        seq = self._seq
        if seq is None or not isinstance(seq.mode, Automine):
            return None
        return min((t for t in (seq.release_at(), seq.next_relay_due()) if t is not None), default=None)

    def _timeout(self, mode: MiningMode) -> float | None:
        """How long to sleep: the interval, or under automine until ``next_wake`` (None:
        until woken)."""
        if isinstance(mode, IntervalMining):
            return mode.seconds
        seq = self._seq
        self._relay_wake = seq.next_relay_due() if seq is not None and isinstance(mode, Automine) else None
        wake = self.next_wake() if isinstance(mode, Automine) else None
        if wake is None:
            return None
        if seq is not None and wake <= time.time() and self._spent_wake == (wake, seq.head):
            return None  # it woke for this already and nothing could go: until something changes
        return max(0.0, wake - time.time()) + 0.001

    async def _mine_due(self) -> None:
        """Under automine, what fell due with no submission: the batcher's step, as for a
        submission (the budget, the worker thread and deferrals apply). Re-raises a mining
        failure."""
        batcher = self._batcher
        if batcher is not None:
            batcher.kick()
            await batcher.settled()

    async def _run(self) -> None:
        while True:
            mode = self._seq.mode if self._seq is not None else Manual()
            self._changed.clear()
            if isinstance(mode, IntervalMining) and mode.per_chain and self._seq is not None:
                await self._run_per_chain(self._seq, mode)
                continue
            timeout = self._timeout(mode)
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
                continue  # the mode changed: start the interval afresh
            except TimeoutError:
                pass
            try:
                if self._seq is None:
                    continue
                if isinstance(mode, Automine):
                    wake, head = self.next_wake(), self._seq.head
                    try:
                        await self._mine_due()  # held transactions were released, or a relay is due
                    finally:
                        seq = self._seq
                        self._spent_wake = ((wake, head) if seq is not None and seq.head is head and wake is not None
                                            and self.next_wake() == wake else None)
                else:
                    self._seq.mine()
            except SequencerDown:  # a fault: the tick builds nothing, the next one tries again
                pass
            except Exception:  # keep the loop alive; the error is the sequencer's to report
                log.exception("mining failed")

    async def _run_per_chain(self, seq: Minable, mode: IntervalMining) -> None:
        """Per-chain intervals, until the mode changes: at each tick, one superblock of the
        chains due (each chain's next tick is one interval after its last)."""
        loop = asyncio.get_running_loop()
        try:
            intervals = mode.intervals(seq.chains)
        except ValueError:
            log.exception("interval mining cannot start")
            await self._changed.wait()
            return
        start = loop.time()
        due = {cid: start + seconds for cid, seconds in intervals.items()}
        while True:
            try:
                await asyncio.wait_for(self._changed.wait(), max(0.0, min(due.values()) - loop.time()))
                return  # the mode changed
            except TimeoutError:
                pass
            now = loop.time()
            ready = [cid for cid, at in due.items() if at <= now + 0.001]
            for cid in ready:
                due[cid] += intervals[cid]
                if due[cid] <= now:  # fell behind (a long superblock): no burst to catch up
                    due[cid] = now + intervals[cid]
            try:
                seq.mine(chains=ready)
            except SequencerDown:  # a fault: the tick builds nothing
                pass
            except Exception:  # keep the loop alive; the error is the sequencer's to report
                log.exception("interval mining failed")
