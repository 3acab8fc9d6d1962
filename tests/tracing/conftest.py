"""Tracing tests: one real devnet (chains 901, 902, 903), the plugin's ``xrollup_server`` with
these chains, served on ephemeral ports; tests talk to it over HTTP only (web3.py, raw JSON-RPC,
the `xrollup trace` command's main function). The plugin runs every test between a snapshot and
its revert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import served
from tests.tracing.trace_helpers import CHAIN_IDS, Net
from xrollup.testing import DevnetThread


@pytest.fixture(scope="session")
def xrollup_server() -> Iterator[DevnetThread]:
    with served(CHAIN_IDS) as server:
        yield server


@pytest.fixture(scope="session")
def net(xrollup_server: DevnetThread) -> Net:
    return Net(dict(xrollup_server.devnet.urls))
