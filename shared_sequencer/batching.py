"""Automine under load: concurrent submissions share one superblock.

A sequential client gets one superblock per transaction, mined before its
eth_sendRawTransaction returns, with no added latency: mining runs at the end of the current
event-loop tick. Once several submissions have landed in one batch (concurrent clients), the
next batch waits a little (``GATHER_SECONDS``) so that more of the clients' next requests join
it: fewer, fuller superblocks, which is where concurrent throughput comes from.
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

    def schedule(self) -> None:
        """Called by the sequencer on every automine submission (event-loop thread only)."""
        self._batch += 1
        if self._done is None:
            loop = asyncio.get_running_loop()
            self._done = loop.create_future()
            if self._last_batch > 1:
                loop.call_later(GATHER_SECONDS, self._run)
            else:
                loop.call_soon(self._run)

    async def settled(self) -> None:
        """Wait until what was submitted so far is mined. Re-raises a mining failure."""
        if self._done is not None:
            await asyncio.shield(self._done)

    def _run(self) -> None:
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
