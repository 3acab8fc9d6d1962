"""A superblock's execution budget: light work is not held behind heavy work.

Under automine the mining service builds a superblock on the event loop; one with a
transaction that executes longer than a few milliseconds (``inline_slice``, ``OffLoop``) is
built again in a worker thread (mining.py), so that the event loop keeps answering and taking submissions meanwhile. A build runs under a ``Budget``:
once one transaction has executed for ``seconds`` of wall-clock time while other submissions
wait (or other senders' transactions are in the same superblock, behind it or before it), it
is interrupted (the engine's periodic check, chains/engine/deadline.py,
raises ``Yielded``): the build is thrown away, nothing of it reaches any chain, and the
sequencer leaves that transaction out of the next superblock (``Sequencer.defer``), so that
what waits is mined first; it comes back in the one after.

A transaction is interrupted at most ``max_deferrals`` times (``Sequencer.max_deferrals``);
after that it runs to its end, however long it takes: nothing pending starves. Within a
chain the ordering policy keeps its meaning: a deferred transaction's sender gets nothing
mined before it (its successors wait with it), as for a transaction that does not fit.

Replay does not depend on any of this: the log records which transactions each superblock
holds, and a block is a pure function of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from chains.engine import deadline

DEFAULT_BUDGET_SECONDS = 0.01  # --mining-budget
WORK_SLICE = 0.003  # seconds a build in the worker thread runs before it pauses
PAUSE = 0.001  # seconds it then leaves to the event loop (as reads do, backend/reads.py)
# --max-deferrals: above 100, so that fewer than 1% of others' superblocks wait for a transaction
# that has run out of deferrals (what keeps another user's p99 latency where the budget puts it).
DEFAULT_MAX_DEFERRALS = 128


class OffLoop(Exception):  # noqa: N818 (control flow of the builder, never a failure shown to anyone)
    """Raised inside a transaction's execution when a build on the event loop ran past its
    slice: it is thrown away and built again in the worker thread."""


class Yielded(Exception):  # noqa: N818 (control flow of the builder, never a failure shown to anyone)
    """Raised inside a transaction's execution when its superblock's budget ran out while
    others wait. The build it interrupts is thrown away."""

    def __init__(self, tx_hash: bytes) -> None:
        super().__init__("0x" + tx_hash.hex())
        self.tx_hash = tx_hash


@dataclass
class Budget:
    """``seconds`` of wall-clock time one transaction of a build may execute while others
    wait (``waiting()``, called from the building thread, says whether new submissions do)."""

    seconds: float
    waiting: Callable[[], bool]
    inline_slice: float | None = None  # a build on the event loop: a transaction past this many seconds, OffLoop
    pauses: bool = False  # a build in the worker thread: pause PAUSE every WORK_SLICE of running
    _ran_since: float = field(default_factory=time.monotonic)

    @contextmanager
    def interruptible(self, tx_hash: bytes, yielding: bool, others: Callable[[], bool]) -> Iterator[None]:
        """Run a transaction's execution (``tx_hash``) so that it raises, at the engine's next
        check, OffLoop once it has run ``inline_slice``, and (if ``yielding``) Yielded once it
        has run ``seconds`` while others wait: new submissions (``waiting``) or other senders'
        transactions in the same build (``others``, asked once, when the time is up)."""
        asked: list[bool] = []
        started = time.monotonic()

        def in_build() -> bool:
            if not asked:
                asked.append(others())
            return asked[0]

        def on_check() -> None:
            now = time.monotonic()
            if self.inline_slice is not None and now - started > self.inline_slice:
                raise OffLoop()
            if yielding and now - started >= self.seconds and (self.waiting() or in_build()):
                raise Yielded(tx_hash)
            if self.pauses and now - self._ran_since >= WORK_SLICE:
                # Leave the CPU and the GIL to the event loop for a moment: on a busy machine
                # the loop would otherwise wait for both, and answer everyone late.
                time.sleep(PAUSE)
                self._ran_since = time.monotonic()

        # No deadline of its own (math.inf): only the check's callback can stop it.
        with deadline.limit(self.seconds, math.inf, on_check):
            yield
