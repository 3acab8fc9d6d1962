"""Serve a devnet from a background thread, for test suites that talk to it over HTTP/WS.

The devnet is single-threaded by design: everything that touches it runs on its own event
loop, in the thread started here. ``run`` executes a function there from any other thread.
(For in-process use behind web3.py, without sockets, see ``xrollup.api.Devnet``.)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from rpc.server import new_event_loop
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet


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
