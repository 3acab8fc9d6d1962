"""End-to-end fixtures: one real devnet (chains 901 and 902) for the whole session.

The devnet runs in a background thread on its own asyncio event loop and serves HTTP and
WebSocket on ephemeral ports (the plugin's ``xrollup_server``, with these chains). Tests talk
to it only over the network (web3.py, raw JSON-RPC, the websockets sync client), as a dapp would.

Every test that uses it runs isolated by the plugin: a snapshot before, and afterwards the
revert (every chain), the mining mode, the coinbase and the impersonated accounts put back,
so tests do not depend on each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from tests.support import ChainRpc, served
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread

CHAIN_IDS = (901, 902)


@pytest.fixture(scope="session")
def xrollup_server() -> Iterator[DevnetThread]:
    with served(CHAIN_IDS) as server:
        yield server


@pytest.fixture(scope="session")
def devnet(xrollup_server: DevnetThread) -> Devnet:
    return xrollup_server.devnet


@pytest.fixture(scope="session")
def urls(devnet: Devnet) -> dict[int, str]:
    assert set(devnet.urls) == set(CHAIN_IDS)
    return dict(devnet.urls)


@pytest.fixture(scope="session")
def rpc(urls: dict[int, str]) -> Iterator[ChainRpc]:
    client = ChainRpc(urls)
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
