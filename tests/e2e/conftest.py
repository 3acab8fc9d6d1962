"""End-to-end fixtures: one real devnet (chains 901 and 902) for the whole session.

The devnet runs in a background thread on its own asyncio event loop and serves HTTP and
WebSocket on ephemeral ports. Tests talk to it only over the network (web3.py, raw JSON-RPC
over http.client, the websockets sync client), as a dapp would.

Every test runs between ``evm_snapshot`` and ``evm_revert`` (snapshots cover every chain), and
the mining mode is put back to automine afterwards, so tests do not depend on each other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from e2e_helpers import RawRpc  # noqa: E402
from web3 import Web3  # noqa: E402

from xrollup.config import DevnetConfig  # noqa: E402
from xrollup.devnet import Devnet  # noqa: E402
from xrollup.testing import DevnetThread  # noqa: E402

CHAIN_IDS = (901, 902)


@pytest.fixture(scope="session")
def devnet_thread() -> Iterator[DevnetThread]:
    with DevnetThread(DevnetConfig(chain_ids=CHAIN_IDS, port=0, silent=True)) as dt:
        yield dt


@pytest.fixture(scope="session")
def devnet(devnet_thread: DevnetThread) -> Devnet:
    return devnet_thread.devnet


@pytest.fixture(scope="session")
def urls(devnet: Devnet) -> dict[int, str]:
    assert set(devnet.urls) == set(CHAIN_IDS)
    return dict(devnet.urls)


@pytest.fixture(scope="session")
def rpc(urls: dict[int, str]) -> Iterator[RawRpc]:
    client = RawRpc(urls)
    yield client
    client.close()


@pytest.fixture(scope="session")
def w3s(urls: dict[int, str]) -> dict[int, Web3]:
    return {cid: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})) for cid, url in urls.items()}


@pytest.fixture(params=CHAIN_IDS, ids=lambda c: f"chain{c}")
def chain_id(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def other_chain(chain_id: int) -> int:
    return next(c for c in CHAIN_IDS if c != chain_id)


@pytest.fixture
def w3(w3s: dict[int, Web3], chain_id: int) -> Web3:
    return w3s[chain_id]


@pytest.fixture(autouse=True)
def isolated(rpc: RawRpc, devnet_thread: DevnetThread) -> Iterator[None]:
    """Snapshot every chain before the test; afterwards stop mining, revert, and automine again."""
    snap = rpc.ok(CHAIN_IDS[0], "evm_snapshot")
    coinbase = rpc.ok(CHAIN_IDS[0], "eth_coinbase")
    yield
    # Manual first, so that interval mining cannot add a block between the revert and the
    # mode change; the revert empties the pools (they were empty at the snapshot), so turning
    # automine back on mines nothing.
    rpc.ok(CHAIN_IDS[0], "evm_setAutomine", [False])
    assert rpc.ok(CHAIN_IDS[0], "evm_revert", [snap]) is True, "the per-test snapshot was lost"
    rpc.ok(CHAIN_IDS[0], "evm_setAutomine", [True])
    # Not part of a snapshot (as in anvil): the coinbase and the impersonated accounts.
    rpc.ok(CHAIN_IDS[0], "anvil_setCoinbase", [coinbase])
    devnet_thread.run(lambda: devnet_thread.devnet.sequencer.impersonated.clear())
