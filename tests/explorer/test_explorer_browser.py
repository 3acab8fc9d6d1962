"""The explorer end to end, in headless Chromium, while the cross-rollup demo swap runs.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and ``playwright`` from PyPI
(``pip install playwright``; its bundled browsers are never downloaded: the test launches
/usr/bin/chromium). Without either, the test is skipped with the reason.

It opens <first chain>/explorer, runs scripts/demo_swap.py against the devnet (one swap that
succeeds across 901 -> 902 and one that 902 refuses with "CrossSwap: slippage"; without the
script, Counter xcalls that do the same), sends an atomic bundle spanning both chains, and
waits for: one lane per chain, the arrow from the successful swap to its destination
transaction on 902, the failed swap in red with its reason, the bundle's outline. It opens
the side panel of both swaps and saves screenshots (also copied to /tmp/xrollup-explorer.png
and /tmp/xrollup-explorer-panel.png).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from bridge_contracts import MAILBOX_ADDRESS, load_artifact
from tests.explorer.explorer_devnet import ExplorerDevnet

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo_swap.py"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # dev account 0
KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # dev account 1
SHOT = Path("/tmp/xrollup-explorer.png")
PANEL_SHOT = Path("/tmp/xrollup-explorer-panel.png")
WAIT_MS = 20_000


def chromium_path() -> str | None:
    env = os.environ.get("XROLLUP_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed: apt-get update && apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1800, "height": 720}, timeout=30_000,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def net() -> Iterator[ExplorerDevnet]:
    dn = ExplorerDevnet().start()
    try:
        yield dn
    finally:
        dn.stop()


# ---------------------------------------------------------------------------- traffic


def run_demo_swap(net: ExplorerDevnet) -> str:
    """scripts/demo_swap.py against the devnet (in this process: no second interpreter to
    start); returns the reason the failing swap must show."""
    demo = importlib.import_module("scripts.demo_swap")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = demo.main(["--rpc-a", net.urls[901], "--rpc-b", net.urls[902]])
    assert status == 0, f"the demo swap failed:\n{out.getvalue()}"
    return "CrossSwap: slippage"


def send(net: ExplorerDevnet, chain_id: int, key: str, to: str | None, data: bytes, gas: int,
         want: str = "address") -> str:
    """Sign and send; returns the created contract's address (or the hash, for a call)."""
    acct = Account.from_key(key)
    nonce = int(net.rpc(chain_id, "eth_getTransactionCount", [acct.address, "pending"]), 16)
    tx = {"chainId": chain_id, "nonce": nonce, "gas": gas, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
          "value": 0, "data": data, **({"to": to_checksum_address(to)} if to else {})}
    raw = Account.sign_transaction(tx, key).raw_transaction
    tx_hash = net.rpc(chain_id, "eth_sendRawTransaction", ["0x" + raw.hex()])
    for _ in range(200):
        receipt = net.rpc(chain_id, "eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return str(tx_hash if want == "hash" else receipt["contractAddress"] or tx_hash)
        time.sleep(0.05)
    raise AssertionError(f"{tx_hash} was not mined")


def run_counter_xcalls(net: ExplorerDevnet) -> str:
    """Without the demo: Mailbox.xcall from 901 to a Counter on 902, once fine, once failing."""
    art = load_artifact("Counter")
    counter = send(net, 902, KEY0, None, bytes.fromhex(art["bytecode"][2:]) + encode(["uint256"], [0]), 1_000_000)
    xcall = keccak(text="xcall(uint256,address,bytes)")[:4]
    for fn in ("increment()", "failWithReason()"):
        data = xcall + encode(["uint256", "address", "bytes"], [902, counter, keccak(text=fn)[:4]])
        send(net, 901, KEY0, MAILBOX_ADDRESS, data, 1_000_000)  # fixed gas: the failure is mined
    return "Counter: boom"


def plain_failure(net: ExplorerDevnet) -> str:
    """A transaction that reverts on its own chain (no cross-rollup work): Counter.failWithReason
    on 902. Returns its hash; the page shows the reason by replaying it."""
    art = load_artifact("Counter")
    counter = send(net, 902, KEY1, None, bytes.fromhex(art["bytecode"][2:]) + encode(["uint256"], [7]), 1_000_000)
    return send(net, 902, KEY1, counter, keccak(text="failWithReason()")[:4], 100_000, want="hash")


def send_bundle(net: ExplorerDevnet) -> str:
    """An atomic bundle of one ETH transfer on each chain (dev account 1 to account 2)."""
    raws = []
    for cid in (901, 902):
        acct = Account.from_key(KEY1)
        nonce = int(net.rpc(cid, "eth_getTransactionCount", [acct.address, "pending"]), 16)
        tx = {"chainId": cid, "nonce": nonce, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
              "to": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "value": 10**15 * cid, "data": b""}
        raws.append("0x" + Account.sign_transaction(tx, KEY1).raw_transaction.hex())
    status = net.rpc(901, "xr_sendBundle", [{"txs": raws}])
    assert status["status"] == "included", status
    return str(status["bundleHash"])


# ---------------------------------------------------------------------------- the test


def test_explorer_shows_lanes_arrows_failures_and_bundles(net: ExplorerDevnet, browser_context: Any,
                                                          tmp_path: Path) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)

    page.goto(net.explorer_url, wait_until="load")
    page.wait_for_selector('#status[data-ws="live"]', timeout=WAIT_MS)
    page.wait_for_selector('body[data-ready="true"]', timeout=WAIT_MS)
    lanes = page.eval_on_selector_all(".lane-label[data-chain]", "els => els.map(e => e.dataset.chain)")
    assert lanes == ["901", "902"]

    # cross-rollup traffic while the page watches
    reason = run_demo_swap(net) if DEMO.is_file() else run_counter_xcalls(net)
    plain_hash = plain_failure(net)
    bundle_hash = send_bundle(net)

    # the lanes advanced live: the newest superblock is on the board, one cell per chain
    head = int(net.rpc(901, "xr_blockNumber"), 16)
    page.wait_for_selector(f'.col[data-superblock="{head}"][data-loaded="true"]', state="attached", timeout=WAIT_MS)
    assert page.locator(f'.cell[data-superblock="{head}"]').count() == 2
    # the plain failure's superblock holds 902 alone: 901's cell there stays empty
    failed_block = net.rpc(902, "eth_getTransactionReceipt", [plain_hash])["blockNumber"]
    alone = int(net.rpc(902, "xr_getSuperblockOfBlock", [failed_block, False])["number"], 16)
    page.wait_for_selector(f'.col[data-superblock="{alone}"][data-loaded="true"]', state="attached", timeout=WAIT_MS)
    assert page.locator(f'.cell.idle[data-chain="901"][data-superblock="{alone}"]').count() == 1
    assert page.locator(f'.cell.idle[data-chain="901"][data-superblock="{alone}"] .tx').count() == 0
    assert page.locator(f'.cell[data-chain="902"][data-superblock="{alone}"] .tx').count() == 1

    # the arrow: from the successful cross-rollup transaction on 901 to its destination on 902
    arrow = page.locator('path.arrow[data-from-chain="901"][data-to-chain="902"][data-success="true"]').last
    arrow.wait_for(state="attached", timeout=WAIT_MS)
    src, dst = arrow.get_attribute("data-from-tx"), arrow.get_attribute("data-to-tx")
    receipt = net.rpc(901, "eth_getTransactionReceipt", [src])
    assert receipt["status"] == "0x1"
    assert [x["destinationTxHash"] for x in receipt["xcalls"]] == [dst]
    assert net.rpc(902, "eth_getTransactionReceipt", [dst])["status"] == "0x1"
    assert page.locator(f'.tx[data-tx="{src}"][data-chain="901"][data-status="success"]').count() == 1
    assert page.locator(f'.tx[data-tx="{dst}"][data-chain="902"].xcall-dest').count() == 1
    assert arrow.get_attribute("d").startswith("M ")

    # the failed swap: red, with the reason given by chain 902
    failed = page.locator(f'.tx.failed[data-chain="901"][data-status="failed"]:has(.reason[data-reason="{reason}"])')
    failed.last.wait_for(timeout=WAIT_MS)
    bad = failed.last
    assert reason in bad.inner_text()
    color = bad.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert color == "rgb(255, 77, 94)", color  # --bad
    bad_hash = bad.get_attribute("data-tx")
    bad_receipt = net.rpc(901, "eth_getTransactionReceipt", [bad_hash])
    assert bad_receipt["status"] == "0x0" and bad_receipt["xrollupError"]["reason"] == reason
    assert page.locator(f'path.arrow[data-from-tx="{bad_hash}"]').count() == 0  # nothing happened on 902

    # a plain revert (no cross-rollup work): red too, with the reason found by replaying it
    plain = page.locator(f'.tx.failed[data-tx="{plain_hash}"][data-chain="902"]')
    plain.wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "h => (document.querySelector(`.tx[data-tx='${h}'] .reason`) || {}).textContent?.includes('Counter: boom')",
        arg=plain_hash, timeout=WAIT_MS)

    # the bundle: one outline across both lanes
    outline = page.locator(f'rect.bundle[data-bundle="{bundle_hash}"]')
    outline.wait_for(state="attached", timeout=WAIT_MS)
    assert outline.get_attribute("data-chains") == "901,902"
    assert page.locator(f'.tx[data-bundle="{bundle_hash}"]').count() == 2

    # the screenshot: from the arrow's superblock to the newest
    arrow_source = page.locator(f'.tx[data-tx="{src}"]')
    page.evaluate("""h => {
        const s = document.querySelector('#scroller');
        const tx = document.querySelector(`.tx[data-tx='${h}']`);
        const labels = document.querySelector('.lane-label').getBoundingClientRect().width;
        s.scrollLeft += tx.getBoundingClientRect().left - s.getBoundingClientRect().left - labels - 16;
    }""", src)
    page.wait_for_timeout(300)  # let the overlay redraw after scrolling
    shot = tmp_path / "xrollup-explorer.png"
    page.screenshot(path=str(shot))
    shutil.copyfile(shot, SHOT)

    # the side panel of the failed swap: its reason and receipt
    bad.click()
    page.wait_for_selector(f'#panel[data-tx="{bad_hash}"][data-loaded="true"]', timeout=WAIT_MS)
    assert reason in page.locator("#panel .error-box").first.inner_text()
    assert '"status": "0x0"' in page.locator("#panel pre.receipt").inner_text()

    # ... and of the successful one: decoded logs, the cross-rollup hop, the trace (or why not)
    arrow_source.click()
    page.wait_for_selector(f'#panel[data-tx="{src}"][data-loaded="true"]', timeout=WAIT_MS)
    events = page.eval_on_selector_all("#panel .log", "els => els.map(e => e.dataset.event)")
    assert "XCall" in events, events
    assert all(events), f"some logs were not decoded: {events}"
    assert dst in page.locator("#panel").inner_html()
    page.wait_for_selector('#panel .trace:not([data-trace="loading"])', timeout=WAIT_MS)
    panel_shot = tmp_path / "xrollup-explorer-panel.png"
    page.screenshot(path=str(panel_shot))
    shutil.copyfile(panel_shot, PANEL_SHOT)

    assert not errors, errors
