"""A devnet with the explorer mounted, served from a background thread (imported by package path).

The suites' served devnet (``xrollup.testing.DevnetThread``: the devnet's own asyncio loop in a
daemon thread), with the explorer installed before it starts; tests talk to it over HTTP and
WebSocket only.
"""

from __future__ import annotations

from typing import Any

from tests.support import ChainRpc
from xrollup import explorer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread


class ExplorerDevnet(DevnetThread):
    def __init__(self, chain_ids: tuple[int, ...] = (901, 902)) -> None:
        devnet = Devnet(DevnetConfig(chain_ids=chain_ids, port=0, silent=True))
        explorer.install(devnet)  # before start(): the hooks run when the apps are built
        super().__init__(devnet=devnet, name="xrollup-explorer-devnet")
        self.clients = ChainRpc({})

    def start(self) -> ExplorerDevnet:
        super().start()
        self.clients = ChainRpc(self.urls)  # the ports are known once it serves
        return self

    @property
    def explorer_url(self) -> str:
        url = explorer.url(self.devnet)
        assert url is not None
        return url

    def rpc(self, chain_id: int, method: str, params: list[Any] | None = None) -> Any:
        """The result of a call that must succeed (RpcError otherwise)."""
        return self.clients.ok(chain_id, method, params)

    def stop(self) -> None:
        self.clients.close()
        super().stop()
