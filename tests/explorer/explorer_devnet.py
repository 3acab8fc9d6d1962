"""A devnet with the explorer mounted, served from a background thread (imported by name).

The same pattern as tests/e2e/conftest.py: the devnet's own asyncio loop runs in a daemon
thread; tests talk to it over HTTP/WebSocket only.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from typing import Any

from xrollup import explorer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet


class ExplorerDevnet:
    def __init__(self, chain_ids: tuple[int, ...] = (901, 902)) -> None:
        self.devnet = Devnet(DevnetConfig(chain_ids=chain_ids, port=0, silent=True))
        explorer.install(self.devnet)  # before start(): the hooks run when the apps are built
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xrollup-explorer-devnet", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.devnet.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self) -> ExplorerDevnet:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the devnet did not start within 60 s")
        if self._error is not None:
            raise RuntimeError(f"the devnet failed to start: {self._error!r}") from self._error
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.devnet.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)

    @property
    def urls(self) -> dict[int, str]:
        return dict(self.devnet.urls)

    @property
    def explorer_url(self) -> str:
        url = explorer.url(self.devnet)
        assert url is not None
        return url

    def rpc(self, chain_id: int, method: str, params: list[Any] | None = None) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        req = urllib.request.Request(self.urls[chain_id], data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            reply = json.loads(resp.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]
