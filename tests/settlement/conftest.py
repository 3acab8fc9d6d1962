"""A devnet with its L1 (chain 900), served on free ports, for the settlement tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from web3 import Web3

from tests.support import Rpc, served
from xrollup.testing import DevnetThread

CHAIN_IDS = (901, 902)
L1_ID = 900
A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something true (the L1 moves on its own clock); the
    timeout only ends a run that would otherwise hang, it is not what the test checks."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served(CHAIN_IDS, l1=True, admin_port=0, l1_block_time=0.5, l1_finality_depth=2) as dt:
        yield dt


@pytest.fixture(scope="module")
def l1_url(server: DevnetThread) -> str:
    assert server.devnet.l1 is not None and server.devnet.l1.url
    return server.devnet.l1.url


@pytest.fixture(scope="module")
def l1(l1_url: str) -> Iterator[Rpc]:
    rpc = Rpc(l1_url)
    yield rpc
    rpc.close()


@pytest.fixture(scope="module")
def rollups(server: DevnetThread) -> Iterator[dict[int, Rpc]]:
    rpcs = {cid: Rpc(url) for cid, url in server.urls.items()}
    yield rpcs
    for rpc in rpcs.values():
        rpc.close()


@pytest.fixture(scope="module")
def w3_l1(l1_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(l1_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="module")
def w3s(server: DevnetThread) -> dict[int, Web3]:
    return {cid: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})) for cid, url in server.urls.items()}
