"""The served devnet the suites use: ``xrollup.testing.DevnetThread`` with the test defaults.

A suite's conftest overrides the plugin's ``xrollup_server`` fixture with its own chains::

    @pytest.fixture(scope="session")
    def xrollup_server() -> Iterator[DevnetThread]:
        with served(CHAIN_IDS) as server:
            yield server

and the plugin's isolation then wraps every test that uses it (snapshot/revert of every chain,
the mining mode, the coinbase, impersonation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread


def served(chain_ids: Iterable[int] = (901, 902), **config: Any) -> DevnetThread:
    """A devnet of ``chain_ids`` (and any other ``DevnetConfig`` field) to serve on free ports,
    quietly; start it with ``with`` (or ``.start()``/``.stop()``)."""
    config.setdefault("port", 0)
    config.setdefault("silent", True)
    return DevnetThread(DevnetConfig(chain_ids=tuple(chain_ids), **config))
