"""Mining modes, and the one service loop that drives interval mining.

Automine mines a superblock as soon as work arrives (the sequencer does it inline, so that a
transaction's receipt exists when eth_sendRawTransaction returns). Interval mines one every
``seconds`` whether or not there is work. Manual mines only on evm_mine / anvil_mine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("xrollup.mining")


@dataclass(frozen=True)
class Automine:
    name: str = "automine"


@dataclass(frozen=True)
class IntervalMining:
    seconds: float
    name: str = "interval"


@dataclass(frozen=True)
class Manual:
    name: str = "manual"


MiningMode = Automine | IntervalMining | Manual


def mode_from_flags(block_time: float | None, no_mining: bool) -> MiningMode:
    """anvil's flags: --no-mining wins, then --block-time, else automine.

    Raises ValueError for a block time that is not positive.
    """
    if no_mining:
        return Manual()
    if block_time is not None:
        if block_time <= 0:
            raise ValueError("--block-time must be a positive number of seconds")
        return IntervalMining(block_time)
    return Automine()


class MiningService:
    """Runs on the event loop: mines a superblock every interval while the mode asks for it."""

    def __init__(self, get_mode: Callable[[], MiningMode], mine: Callable[[], object]) -> None:
        self._get_mode = get_mode
        self._mine = mine
        self._changed = asyncio.Event()

    def wake(self) -> None:
        """Call after the mode changed, so that a new interval takes effect at once."""
        self._changed.set()

    async def run(self) -> None:
        while True:
            mode = self._get_mode()
            self._changed.clear()
            timeout = mode.seconds if isinstance(mode, IntervalMining) else None
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
                continue  # the mode changed: start the interval afresh
            except TimeoutError:
                pass
            try:
                self._mine()
            except Exception:  # keep the loop alive; the error is the sequencer's to report
                log.exception("interval mining failed")
