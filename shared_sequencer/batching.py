"""Automine under load: concurrent submissions share one superblock.

A sequential client gets one superblock per transaction, mined before its
eth_sendRawTransaction returns, with no added latency: mining runs at the end of the current
event-loop tick. Once several submissions have landed in one batch (concurrent clients), the
next batch waits a little (``GATHER_SECONDS``) so that more of the clients' next requests join
it: fewer, fuller superblocks, which is where concurrent throughput comes from. It stops
waiting as soon as it holds as many submissions as the batch before it: clients that each wait
for their answer before sending again are all back, and nobody else is coming.

The mining service (mining.py) owns one batcher per sequencer and installs its ``schedule``
with ``Sequencer.set_automine_scheduler``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("xrollup.sequencer")

GATHER_SECONDS = 0.005


class AutomineBatcher:
    def __init__(self, mine: Callable[[], None]) -> None:
        self._mine = mine
        self._done: asyncio.Future[None] | None = None
        self._batch = 0  # submissions in the batch being gathered
        self._last_batch = 0
        self._timer: asyncio.TimerHandle | None = None  # the end of the gathering wait

    def schedule(self) -> None:
        """The sequencer's automine scheduler: called on every automine submission
        (event-loop thread only)."""
        self._batch += 1
        loop = asyncio.get_running_loop()
        if self._done is None:
            self._done = loop.create_future()
            if self._last_batch > 1:
                self._timer = loop.call_later(GATHER_SECONDS, self._run)
            else:
                loop.call_soon(self._run)
        elif self._timer is not None and self._batch >= self._last_batch:
            self._timer.cancel()  # as full as the last batch: mine at the end of this tick
            self._timer = None
            loop.call_soon(self._run)

    async def settled(self) -> None:
        """Wait until what was submitted so far is mined. Re-raises a mining failure."""
        if self._done is not None:
            await asyncio.shield(self._done)

    def _run(self) -> None:
        self._timer = None
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
