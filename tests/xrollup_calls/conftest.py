"""Cross-rollup call tests: one real devnet (chains 901, 902, 903) for the whole session.

The devnet runs in a background thread on its own asyncio loop and serves HTTP on ephemeral
ports; tests talk to it only through web3.py over HTTP (plus ``xr_*`` methods through the
same provider). A few checks read the sequencer's superblock log, always on the devnet's
own loop (``DevnetThread.run``).

Contracts every test may use are deployed once, before any snapshot: an ``XCallProbe`` and a
``Counter`` at the same address on every chain. Every test then runs between
``evm_snapshot`` and ``evm_revert`` (snapshots are devnet-wide).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from xcall_helpers import CHAIN_IDS, Net, deploy_shared  # noqa: E402

from xrollup.config import DevnetConfig  # noqa: E402
from xrollup.devnet import Devnet  # noqa: E402
from xrollup.testing import DevnetThread  # noqa: E402


@pytest.fixture(scope="session")
def devnet_thread() -> Iterator[DevnetThread]:
    with DevnetThread(DevnetConfig(chain_ids=CHAIN_IDS, port=0, silent=True)) as dt:
        yield dt


@pytest.fixture(scope="session")
def devnet(devnet_thread: DevnetThread) -> Devnet:
    return devnet_thread.devnet


@pytest.fixture(scope="session")
def net(devnet_thread: DevnetThread) -> Net:
    """web3 clients of every chain, plus the shared Probe and Counter (deployed once)."""
    n = Net(dict(devnet_thread.devnet.urls))
    assert set(n.w3) == set(CHAIN_IDS)
    deploy_shared(n)
    return n


@pytest.fixture(autouse=True)
def isolated(net: Net) -> Iterator[None]:
    """Snapshot every chain before the test, revert afterwards (automine stays on)."""
    snap = net.rpc(CHAIN_IDS[0], "evm_snapshot")
    yield
    net.rpc(CHAIN_IDS[0], "evm_setAutomine", [False])
    assert net.rpc(CHAIN_IDS[0], "evm_revert", [snap]) is True, "the per-test snapshot was lost"
    net.rpc(CHAIN_IDS[0], "evm_setAutomine", [True])
