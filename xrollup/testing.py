"""Test support: a devnet served from a background thread, and the isolation of a test.

The devnet is single-threaded by design: everything that touches it runs on its own event
loop, in the thread started here. ``run`` executes a function there from any other thread.
(For in-process use behind web3.py, without sockets, see ``xrollup.api.Devnet``.)

:func:`checkpoint` and :func:`restore` are what the pytest plugin wraps every test in, for the
in-process devnet (``xrollup.api.Devnet.isolated``) and the served one
(:meth:`DevnetThread.isolated`) alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rpc.server import new_event_loop
from shared_sequencer.mining import MiningMode
from shared_sequencer.sequencer import Sequencer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet


@dataclass(frozen=True)
class Checkpoint:
    """What a test may change and :func:`restore` puts back."""

    sequencer: Sequencer
    snapshot: int
    mode: MiningMode
    coinbase: bytes
    impersonated: frozenset[bytes]
    faults: frozenset[int] = frozenset()  # the active fault modes' ids


def checkpoint(devnet: Devnet) -> Checkpoint:
    """Snapshot every chain (``evm_snapshot``) and note the mining mode, the coinbase and the
    impersonated accounts, which a snapshot does not cover (as in anvil). Call it on the
    devnet's loop."""
    seq = devnet.sequencer
    return Checkpoint(seq, seq.snapshot(), seq.mode, seq.coinbase, frozenset(seq.impersonated),
                      frozenset(seq.faults.active))


def restore(devnet: Devnet, saved: Checkpoint) -> None:
    """Go back to ``saved`` in one go on the devnet's loop (interval mining cannot slip a block
    in between): the sequencer a reset or loaded state replaced, its chains and pools (``evm_revert``),
    the mining mode, the coinbase, the impersonated accounts.

    Raises RuntimeError if the snapshot was lost (a test reverted to an earlier one)."""
    seq = saved.sequencer
    if devnet.sequencer is not seq:  # anvil_reset / anvil_loadState replaced it
        devnet.install(seq)
    if not seq.revert(saved.snapshot):
        raise RuntimeError(f"the test's snapshot {saved.snapshot} was lost (a revert to an earlier snapshot?)")
    if seq.mode != saved.mode:
        seq.set_mode(saved.mode)
    seq.set_coinbase(saved.coinbase)
    seq.set_impersonated(set(saved.impersonated))
    for fault_id in set(seq.faults.active) - saved.faults:  # a fault the test left on
        seq.clear_faults(fault_id)


class DevnetThread:
    """A Devnet served from a daemon thread with its own event loop."""

    def __init__(self, config: DevnetConfig | None = None, devnet: Devnet | None = None, name: str = "xrollup-devnet"
                 ) -> None:
        self.devnet = devnet if devnet is not None else Devnet(config)
        self.loop = new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def urls(self) -> dict[int, str]:
        return dict(self.devnet.urls)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.devnet.start())
        except BaseException as exc:  # report a failed start to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        # drain what stop() left behind (cancelled tasks), then close
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self) -> DevnetThread:
        """Start serving; raises RuntimeError if the devnet does not come up within 60 s."""
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the devnet did not start within 60 s")
        if self._error is not None:
            raise RuntimeError(f"the devnet failed to start: {self._error!r}") from self._error
        return self

    def run(self, fn: Callable[[], Any], timeout: float = 60) -> Any:
        """Run ``fn`` on the devnet's loop (the only thread that may touch its state)."""

        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything done inside is undone on exit (:func:`checkpoint`, :func:`restore`)."""
        saved = self.run(lambda: checkpoint(self.devnet))
        try:
            yield
        finally:
            self.run(lambda: restore(self.devnet, saved))

    def __enter__(self) -> DevnetThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.devnet.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        if self._thread.is_alive():
            raise RuntimeError("the devnet thread did not stop")
