"""Tracing tests: one real devnet (chains 901, 902, 903) in a background thread, served on
ephemeral ports; tests talk to it over HTTP only (web3.py, raw JSON-RPC, the `xrollup trace`
command's main function). Every test runs between evm_snapshot and evm_revert."""

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

from trace_helpers import CHAIN_IDS, Net  # noqa: E402

from xrollup.config import DevnetConfig  # noqa: E402
from xrollup.testing import DevnetThread  # noqa: E402


@pytest.fixture(scope="session")
def devnet_thread() -> Iterator[DevnetThread]:
    with DevnetThread(DevnetConfig(chain_ids=CHAIN_IDS, port=0, silent=True)) as dt:
        yield dt


@pytest.fixture(scope="session")
def net(devnet_thread: DevnetThread) -> Net:
    return Net(dict(devnet_thread.devnet.urls))


@pytest.fixture(autouse=True)
def isolated(net: Net) -> Iterator[None]:
    snap = net.rpc(CHAIN_IDS[0], "evm_snapshot", [])
    yield
    net.rpc(CHAIN_IDS[0], "evm_setAutomine", [False])
    assert net.rpc(CHAIN_IDS[0], "evm_revert", [snap]) is True
    net.rpc(CHAIN_IDS[0], "evm_setAutomine", [True])
