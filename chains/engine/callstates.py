"""Throwaway states for calls, reused while the block and root they read stay the same.

A call (eth_call, each run of eth_estimateGas) executes on a state at a block and leaves
nothing behind: what it changed is reverted to a snapshot taken before it ran. Building that
state (the header for the call, the VM, the account database and its pipe of caches) costs
about as much as running a simple call, so ``CallStates`` keeps the states whose call finished
for the next call at the same block and root. The revert puts back everything a call changes
(accounts, storage, transient storage, warm addresses and slots: py-evm's journals), and the
read caches below the journals stay valid, and warm: trie nodes are content-addressed, so a
state at a root reads the same whatever is committed after it.

Either engine's states are reused the same way. A state is lent to one call at a time (calls
run on the event loop and in worker threads, side by side); one whose call raised (a deadline
passed in the middle of it, a rejected call) is dropped rather than kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from eth.abc import StateAPI

KEEP = 4  # idle states kept: one per read running at once is enough (backend/reads.py has four workers)


class CallStates:
    """Idle call states at one key (a block hash and a state root): a call at another key
    starts the set afresh."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._idle: list[StateAPI] = []

    @contextmanager
    def lend(self, key: Hashable, build: Callable[[], StateAPI]) -> Iterator[StateAPI]:
        """A state at ``key`` for one call: an idle one, else ``build()``. Whatever the call
        does to it is reverted when the block ends; it is kept for the next call at ``key``
        unless the block raised."""
        with self._lock:
            if key != self._key:
                self._key, self._idle = key, []
            state = self._idle.pop() if self._idle else None
        if state is None:
            state = build()
        snapshot = state.snapshot()
        try:
            yield state
        except BaseException:
            state.revert(snapshot)
            raise
        state.revert(snapshot)
        with self._lock:
            if key == self._key and len(self._idle) < self.keep:
                self._idle.append(state)
