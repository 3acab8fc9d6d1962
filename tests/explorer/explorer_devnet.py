"""A devnet with the explorer mounted, served from a background thread (imported by name).

The same pattern as tests/e2e/conftest.py: the devnet's own asyncio loop runs in a daemon
thread; tests talk to it over HTTP/WebSocket only.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from xrollup import explorer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread


class ExplorerDevnet(DevnetThread):
    def __init__(self, chain_ids: tuple[int, ...] = (901, 902)) -> None:
        devnet = Devnet(DevnetConfig(chain_ids=chain_ids, port=0, silent=True))
        explorer.install(devnet)  # before start(): the hooks run when the apps are built
        super().__init__(devnet=devnet, name="xrollup-explorer-devnet")

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
