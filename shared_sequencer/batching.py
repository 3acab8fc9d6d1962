"""Automine under load: the submissions of one event-loop tick share one superblock.

A sequential client still gets one superblock per transaction, mined before its
eth_sendRawTransaction returns. Concurrent clients' requests that the server reads in the same
tick are pooled first and mined together, which is what lets throughput grow with clients.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("xrollup.sequencer")


class AutomineBatcher:
    def __init__(self, mine: Callable[[], None]) -> None:
        self._mine = mine
        self._done: asyncio.Future[None] | None = None

    def schedule(self) -> None:
        """Called by the sequencer on every automine submission (event-loop thread only)."""
        if self._done is None:
            loop = asyncio.get_running_loop()
            self._done = loop.create_future()
            loop.call_soon(self._run)

    async def settled(self) -> None:
        """Wait until what was submitted so far is mined. Re-raises a mining failure."""
        if self._done is not None:
            await asyncio.shield(self._done)

    def _run(self) -> None:
        done, self._done = self._done, None
        assert done is not None
        try:
            self._mine()
        except Exception as exc:  # a bug: every waiting submitter gets the error
            log.exception("automine failed")
            done.set_exception(exc)
        else:
            done.set_result(None)
