"""The explorer's fault marks in headless Chromium: the banner while a fault is active, the
transactions it holds back, a mark on each superblock built under a fault, and a reorg's fork
point. Skipped, with the reason, without Chromium or playwright (as tests/explorer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account

from tests.explorer.explorer_devnet import ExplorerDevnet
from tests.explorer.test_explorer_browser import KEY1, WAIT_MS, browser_context  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def net() -> Iterator[ExplorerDevnet]:
    dn = ExplorerDevnet().start()
    try:
        yield dn
    finally:
        dn.stop()


def transfer(net: ExplorerDevnet, chain_id: int, value: int) -> str:
    acct = Account.from_key(KEY1)
    nonce = int(net.rpc(chain_id, "eth_getTransactionCount", [acct.address, "pending"]), 16)
    tx = {"chainId": chain_id, "nonce": nonce, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
          "to": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "value": value, "data": b""}
    return str(net.rpc(chain_id, "eth_sendRawTransaction", ["0x" + Account.sign_transaction(tx, KEY1).raw_transaction.hex()]))


def test_explorer_marks_faults_held_transactions_and_reorgs(net: ExplorerDevnet, browser_context: Any) -> None:  # noqa: F811
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.goto(net.explorer_url, wait_until="load")
    page.wait_for_selector('body[data-ready="true"]', timeout=WAIT_MS)
    assert page.locator("#fault-banner").is_hidden()

    fault = net.rpc(901, "xr_setFault", [{"kind": "censor", "senders": [Account.from_key(KEY1).address]}])
    held = transfer(net, 902, 1)
    page.wait_for_selector('#fault-banner[data-kinds="censor"]', state="visible", timeout=WAIT_MS)
    page.wait_for_selector(f'#held .held-tx[data-tx="{held}"][data-reason="censored"]', timeout=WAIT_MS)
    net.rpc(901, "evm_mine")  # a superblock built under the censor
    marked = int(net.rpc(901, "xr_blockNumber"), 16)
    page.wait_for_selector(f'.col[data-superblock="{marked}"] .fault-mark[data-kinds="censor"]', timeout=WAIT_MS)
    net.rpc(901, "xr_clearFault", [fault["id"]])
    page.wait_for_selector("#fault-banner", state="hidden", timeout=WAIT_MS)
    assert net.rpc(902, "eth_getTransactionReceipt", [held])["status"] == "0x1"

    transfer(net, 901, 2)
    fork = int(net.rpc(901, "xr_blockNumber"), 16) - 1
    net.rpc(901, "xr_reorg", [1])
    page.wait_for_selector(f'.col[data-superblock="{fork}"] .reorg-mark[data-fork="{fork}"][data-depth="1"]',
                           timeout=WAIT_MS)
    page.wait_for_selector("#held", state="hidden", timeout=WAIT_MS)
    page.screenshot(path="/tmp/xrollup-explorer-faults.png", full_page=True)
    assert not errors, errors
