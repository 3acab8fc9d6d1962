"""Cross-rollup call tests: one real devnet (chains 901, 902, 903) for the whole session.

The devnet (the plugin's ``xrollup_server`` with these chains) runs in a background thread on
its own asyncio loop and serves HTTP on ephemeral ports; tests talk to it through web3.py and
raw JSON-RPC over HTTP. A few checks read the sequencer's superblock log, always on the
devnet's own loop (``DevnetThread.run``).

Contracts every test may use are deployed once, before any snapshot: an ``XCallProbe`` and a
``Counter`` at the same address on every chain. The plugin then runs every test between a
snapshot and its revert (snapshots are devnet-wide).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import served
from tests.xrollup_calls.xcall_helpers import CHAIN_IDS, Net, deploy_shared
from xrollup.testing import DevnetThread


@pytest.fixture(scope="session")
def xrollup_server() -> Iterator[DevnetThread]:
    with served(CHAIN_IDS) as server:
        yield server


@pytest.fixture(scope="session")
def net(xrollup_server: DevnetThread) -> Net:
    """web3 clients of every chain, plus the shared Probe and Counter (deployed once)."""
    n = Net(dict(xrollup_server.devnet.urls))
    assert set(n.w3) == set(CHAIN_IDS)
    deploy_shared(n)
    return n
