"""The devnet process's collector (xrollup/gctune.py): what survives a full collection is
frozen, so the next ones walk only what came since; every n-th full collection thaws it all, so
history dropped meanwhile (a revert, a reorg, a reset) is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

from xrollup.gctune import GcTuner


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_frozen_after_full_collections_and_thawed_every_nth() -> None:
    scheduled: list[Callable[[], None]] = []
    tuner = GcTuner(scheduled.append, thaw_every=3)
    gc.collect()
    try:
        tuner.install()
        assert gc.get_freeze_count() > 0  # what lived at start-up
        keep = [[i] for i in range(1000)]
        gc.collect()  # the first full collection: what survived is frozen (from the loop)
        [freeze] = scheduled
        scheduled.clear()
        before = gc.get_freeze_count()
        freeze()
        assert gc.get_freeze_count() >= before + len(keep)
        # a cycle frozen while alive and dropped later is not collected while frozen...
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        gc.collect()
        scheduled.pop()()  # the second: frozen, the cycle with it
        del a, b
        gc.collect()
        assert gone() is not None
        scheduled.pop()()  # the third full collection thaws everything
        assert gc.get_freeze_count() == 0
        gc.collect()  # ...and the next full collection frees it
        assert gone() is None
        scheduled.pop()()
        assert gc.get_freeze_count() > 0
    finally:
        tuner.uninstall()
        gc.unfreeze()


def test_a_closed_loop_is_not_an_error() -> None:
    def closed(fn: Callable[[], None]) -> None:
        raise RuntimeError("Event loop is closed")

    tuner = GcTuner(closed)
    try:
        tuner.install()
        gc.collect()  # the callback swallows the closed loop
    finally:
        tuner.uninstall()
        gc.unfreeze()
