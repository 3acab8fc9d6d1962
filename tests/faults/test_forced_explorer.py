"""The explorer's forced-inclusion mark in headless Chromium: the superblock that carries a deposit
derivation forced in past a censoring sequencer is marked with the deposit. Skipped, with the
reason, without Chromium or playwright (as tests/explorer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import portal_address
from tests.explorer.test_explorer_browser import WAIT_MS, browser_context  # noqa: F401  (a fixture)
from tests.support import Rpc
from xrollup import explorer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread

USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
SINK = to_checksum_address("0x00000000000000000000000000000000000f0e1d")


@pytest.fixture(scope="module")
def net() -> Iterator[DevnetThread]:
    devnet = Devnet(DevnetConfig(chain_ids=(901, 902), port=0, silent=True, l1=True, l1_block_time=3600,
                                 sequencing_window=2))
    explorer.install(devnet)  # before start(): the hooks run when the apps are built
    thread = DevnetThread(devnet=devnet, name="xrollup-forced-explorer").start()
    try:
        yield thread
    finally:
        thread.stop()


def test_explorer_marks_a_forced_inclusion(net: DevnetThread, browser_context: Any) -> None:  # noqa: F811
    assert net.devnet.l1 is not None and net.devnet.l1.url
    url = explorer.url(net.devnet)
    assert url is not None
    rollup, l1 = Rpc(net.urls[902]), Rpc(net.devnet.l1.url)
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_selector('body[data-ready="true"]', timeout=WAIT_MS)
        rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
        w3 = Web3(Web3.HTTPProvider(net.devnet.l1.url))
        portal = w3.eth.contract(address=to_checksum_address(portal_address(902)), abi=load_artifact("OptimismPortal")["abi"])
        tx = portal.functions.depositTransaction(SINK, 1, 100_000, False, b"").transact({"from": USER})
        (deposit,) = rollup.call("xr_getForcedInclusion", tx.to_0x_hex())["deposits"]
        assert page.locator(".forced-mark").count() == 0
        l1.call("evm_mine")
        l1.call("evm_mine")  # the deadline
        (deposit,) = rollup.call("xr_getForcedInclusion", tx.to_0x_hex())["deposits"]
        assert deposit["includedBy"] == "force"
        page.wait_for_selector(f'.col[data-superblock="{deposit["superblock"]}"] '
                               f'.forced-mark[data-deposits~="{deposit["depositHash"]}"]', timeout=WAIT_MS)
        page.screenshot(path="/tmp/xrollup-explorer-forced.png", full_page=True)
        assert not errors, errors
    finally:
        page.close()
        rollup.close()
        l1.close()
