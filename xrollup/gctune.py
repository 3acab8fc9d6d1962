"""The garbage collector of a devnet process: what it walks, and how often.

A devnet's memory is mostly history that lives as long as the process: every block, receipt,
transaction and trie node of every chain. It makes no reference cycles (a run of sequential
transfers collects nothing at all), yet each full collection walks all of it, and the walk
grows with the chains: 420 ms at 20,000 transfers, every chain standing still meanwhile, about
a tenth of all the process's work.

``GcTuner`` freezes what survives a full collection (``gc.freeze``: the collector no longer
walks it), so the next full collections walk only what came since. Frozen objects are never
collected, and history does become garbage now and then (``evm_revert``, ``xr_reorg``,
``anvil_reset`` drop blocks): every ``thaw_every``-th full collection, everything is thawed
first, so that one walks the whole heap and frees what was dropped meanwhile. The CLI installs
it for its own process; a test process that runs a devnet in-process keeps its own collector
settings.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

THAW_EVERY = 8  # full collections; one in this many walks the whole heap


class GcTuner:
    def __init__(self, schedule: Callable[[Callable[[], None]], object], thaw_every: int = THAW_EVERY) -> None:
        """``schedule(fn)``: run ``fn`` soon on the process's main loop (the collector may run
        in any thread; freezing is done from the loop, outside the collection)."""
        self.schedule = schedule
        self.thaw_every = thaw_every
        self.full_collections = 0
        self.installed = False

    def install(self) -> None:
        """Freeze what lives now (the modules and the genesis state) and from now on what
        survives each full collection. Idempotent."""
        if self.installed:
            return
        gc.freeze()
        gc.callbacks.append(self._on_collection)
        self.installed = True

    def uninstall(self) -> None:
        if self.installed:
            gc.callbacks.remove(self._on_collection)
            self.installed = False

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        self.full_collections += 1
        try:
            self.schedule(self._after_full_collection)
        except RuntimeError:  # the loop is closed: the process is ending
            pass

    def _after_full_collection(self) -> None:
        if self.full_collections % self.thaw_every == 0:
            gc.unfreeze()  # the next full collection walks everything once more
        else:
            gc.freeze()
