"""Automine under load: concurrent submissions share one superblock.

A sequential client gets one superblock per transaction, mined before its
eth_sendRawTransaction returns, with no added latency: mining runs at the end of the current
event-loop tick. Once several submissions have landed in one batch (concurrent clients), the
next batch waits a little (``GATHER_SECONDS``) so that more of the clients' next requests join
it: fewer, fuller superblocks, which is where concurrent throughput comes from. It stops
waiting as soon as it holds as many submissions as the batch before it: clients that each wait
for their answer before sending again are all back, and nobody else is coming.

The mining service (mining.py) owns one batcher per sequencer and installs its ``schedule``
with ``Sequencer.set_automine_scheduler``; when work falls due with no submission (a held
transaction released, a delayed relay due), the service's loop calls ``kick``, so that it is
mined by the same step.

With a ``step`` (the mining service's: a superblock built on the loop, or in a worker thread
when it takes longer), mining is a task that goes on while the event loop serves: batches
gathered meanwhile are taken by its next step, and a batch is answered once a superblock was
committed after it; the submitter of a transaction that the budget deferred (budget.py) waits
on (``settled(tx_hash)``) until it is mined, so that the receipt exists when
eth_sendRawTransaction returns, and the task goes on stepping while a deferred one waits.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("xrollup.sequencer")

GATHER_SECONDS = 0.005


class Step(enum.Enum):
    """What one mining step did."""

    COMMITTED = "committed"  # a superblock (maybe with deferred transactions left out)
    YIELDED = "yielded"  # a build interrupted by its budget, thrown away: nothing committed
    IDLE = "idle"  # nothing to include


class AutomineBatcher:
    def __init__(self, mine: Callable[[], None], step: Callable[[], Awaitable[Step]] | None = None,
                 deferred: Callable[[bytes | None], bool] | None = None,
                 quick: Callable[[], Step | None] | None = None) -> None:
        """``mine``: mine what waits, at once (without ``step``). ``step``: one superblock,
        in a task; ``quick``: one superblock at once, if it can be (None: it needs ``step``),
        tried first, without a task; ``deferred(tx_hash)``: whether a transaction (None: any)
        is pooled still, deferred."""
        self._mine = mine
        self._step = step
        self._quick = quick
        self._deferred = deferred or (lambda tx_hash: False)
        self._done: asyncio.Future[None] | None = None
        self._batch = 0  # submissions in the batch being gathered
        self._committed: asyncio.Future[None] | None = None  # the next step that commits or idles
        self._last_batch = 0
        self._timer: asyncio.TimerHandle | None = None  # the end of the gathering wait
        self._task: asyncio.Task[None] | None = None  # the mining task, with a ``step``

    def waiting(self) -> bool:
        """Whether submissions wait that the running step did not take (read from the
        building thread too)."""
        return self._batch > 0

    def schedule(self) -> None:
        """The sequencer's automine scheduler: called on every automine submission
        (event-loop thread only)."""
        self._batch += 1
        loop = asyncio.get_running_loop()
        if self._done is None:
            self._done = loop.create_future()
            if self._task is not None:
                return  # the mining task takes it with its next step
            if self._last_batch > 1:
                self._timer = loop.call_later(GATHER_SECONDS, self._run)
            else:
                loop.call_soon(self._run)
        elif self._task is None and self._timer is not None and self._batch >= self._last_batch:
            self._timer.cancel()  # as full as the last batch: mine at the end of this tick
            self._timer = None
            loop.call_soon(self._run)

    def kick(self) -> None:
        """Mine what fell due with no submission (a transaction its ordering policy or a fault
        held until now, a relay whose delay has passed): the step a submission gets, counted
        in no batch (event-loop thread only). ``settled`` waits for it too."""
        if self._done is not None:
            return  # a batch is gathered already: its step comes
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        if self._task is None:
            loop.call_soon(self._run)

    async def settled(self, tx_hash: bytes | None = None) -> None:
        """Wait until what was submitted so far is mined, and ``tx_hash`` too if it was
        deferred (budget.py) meanwhile. Re-raises a mining failure."""
        if self._done is not None:
            await asyncio.shield(self._done)
        while tx_hash is not None and self._task is not None and self._deferred(tx_hash):
            if self._committed is None:
                self._committed = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._committed)

    def _run(self) -> None:
        self._timer = None
        if self._step is not None:
            if self._task is not None:
                return
            taken: list[asyncio.Future[None]] = []
            if self._quick is not None and not self._deferred(None):
                taken = self._take()
                try:
                    step = self._quick()
                except Exception as exc:  # a bug: every waiting submitter gets the error
                    log.exception("automine failed")
                    for failed in taken:
                        failed.set_exception(exc)
                    return
                if step is Step.COMMITTED or step is Step.IDLE:
                    for answered in taken:
                        answered.set_result(None)
                    return
            self._task = asyncio.ensure_future(self._drive(taken))
            return
        done, self._done = self._done, None
        self._last_batch, self._batch = self._batch, 0
        assert done is not None
        try:
            self._mine()
        except Exception as exc:  # a bug: every waiting submitter gets the error
            log.exception("automine failed")
            done.set_exception(exc)
        else:
            done.set_result(None)

    def _take(self) -> list[asyncio.Future[None]]:
        """The batch gathered so far, for the next step."""
        done, self._done = self._done, None
        self._last_batch, self._batch = self._batch, 0
        return [done] if done is not None else []

    async def _drive(self, waiting: list[asyncio.Future[None]]) -> None:
        """Step until every batch taken (``waiting`` at first) is answered and nothing
        deferred waits."""
        try:
            while True:
                waiting += self._take()
                if not waiting and not self._deferred(None):
                    return
                assert self._step is not None
                step = await self._step()
                if step is Step.YIELDED:
                    continue
                for done in waiting:
                    done.set_result(None)
                waiting = []
                self._signal()
                if step is Step.IDLE and self._done is None:
                    return  # nothing to include, deferred or not
        except Exception as exc:  # a bug: every waiting submitter gets the error
            log.exception("automine failed")
            for done in waiting + self._take():
                if not done.done():
                    done.set_exception(exc)
        finally:
            self._task = None
            self._signal()
            if self._done is not None:  # gathered after the last step looked
                asyncio.get_running_loop().call_soon(self._run)

    def _signal(self) -> None:
        """Wake those waiting for their deferred transaction (``settled``) to look again."""
        committed, self._committed = self._committed, None
        if committed is not None and not committed.done():
            committed.set_result(None)
