"""The explorer's MEV marks: a planted sandwich on 901 and a cross-rollup arbitrage with its
back-run across 901 and 902, found by xr_getMevReport and marked on the board.

Two tests over one devnet with the explorer mounted:
- the data the page renders from: the explorer's own ``mev.js`` (``mevMarks``), run by Node on
  the devnet's real xr_getMevReport answer, gives each transaction its role (front-run, victim,
  back-run, arbitrage) and each finding its transactions in the order the overlay links them;
- the page itself, in headless Chromium (skipped without Debian's ``chromium`` or
  ``playwright``, as tests/explorer/test_explorer_browser.py): the marks on the transactions
  and the links across the lanes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.explorer.explorer_devnet import ExplorerDevnet
from tests.explorer.test_explorer_browser import CHROMIUM_ARGS, WAIT_MS, chromium_path
from tests.ordering.mev_market import SEARCHER, UNIT, USER1, USER2, VICTIM, A, B, Market, open_market
from tests.sequencer.seq_helpers import ADDRS, Rpc
from xrollup import explorer

SHOT = Path("/tmp/xrollup-explorer-mev.png")
RUN_MARKS = """
import { mevMarks } from "./mev.js";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const { findings, marks } = mevMarks(JSON.parse(text));
console.log(JSON.stringify({ findings, marks: Object.fromEntries(marks) }));
"""


@dataclass
class Planted:
    net: ExplorerDevnet
    market: Market
    sandwich: tuple[str, str, str]  # front, victim, back (901)
    sandwich_superblock: int
    arbitrage: tuple[str, str]  # buy on 901, sell on 902
    backrun_victim: str  # the other user's swap on 902 right before the sale
    arbitrage_superblock: int


@pytest.fixture(scope="module")
def planted() -> Iterator[Planted]:
    net = ExplorerDevnet().start()
    rpcs = {cid: Rpc(net.urls[cid]) for cid in (A, B)}
    try:
        m = open_market(rpcs)
        rpcs[A].call("evm_setAutomine", False)  # each finding in one superblock, mined with evm_mine
        front_out = m.quote(A, m.x, 2_000 * UNIT)
        sandwich = (m.swap(A, SEARCHER, m.x, 2_000 * UNIT), m.swap(A, VICTIM, m.x, 1_000 * UNIT),
                    m.swap(A, SEARCHER, m.y, front_out))
        first = m.mine()
        m.swap(B, USER1, m.x, 5_000 * UNIT)  # makes Y dear on 902
        m.mine()
        y_bought = m.quote(A, m.x, 1_000 * UNIT)
        buy = m.swap(A, SEARCHER, m.x, 1_000 * UNIT)
        other = m.swap(B, USER2, m.x, 3_000 * UNIT)
        sell = m.swap(B, SEARCHER, m.y, y_bought)
        second = m.mine()
        for cid, tx in [(A, h) for h in sandwich] + [(A, buy), (B, other), (B, sell)]:
            assert rpcs[cid].receipt(tx)["status"] == "0x1"
        yield Planted(net, m, sandwich, first, (buy, sell), other, second)
    finally:
        for rpc in rpcs.values():
            rpc.close()
        net.stop()


def test_marks_computed_from_the_report(planted: Planted, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the explorer's mev.js runs under Node here, as the npm tool sets do")
    p = planted
    report = p.net.rpc(A, "xr_getMevReport", [{"from": hex(p.sandwich_superblock), "to": hex(p.arbitrage_superblock)}])
    # the page's modules, as a package of ES modules Node can import
    for name in explorer.MODULES:
        shutil.copyfile(Path(explorer.__file__).parent / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    (tmp_path / "run.js").write_text(RUN_MARKS)
    done = subprocess.run([node, "run.js"], cwd=tmp_path, input=json.dumps(report), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    got: dict[str, Any] = json.loads(done.stdout)
    marks = got["marks"]

    def roles(tx: str) -> list[tuple[str, str]]:
        return [(m["kind"], m["role"]) for m in marks.get(tx, [])]

    front, victim, back = p.sandwich
    assert roles(front) == [("sandwich", "front")] and roles(back) == [("sandwich", "back")]
    assert roles(victim) == [("sandwich", "victim")]
    buy, sell = p.arbitrage
    assert roles(buy) == [("arbitrage", "arbitrage")]
    assert sorted(roles(sell)) == [("arbitrage", "arbitrage"), ("backrun", "backrun")]
    assert roles(p.backrun_victim) == [("backrun", "victim")]
    assert len(marks) == 6  # nothing else is marked: not the first user's swap, not the deployments
    searcher = ADDRS[SEARCHER].lower()
    assert all(m["extractor"] == searcher for ms in marks.values() for m in ms)

    findings = {f["kind"]: f for f in got["findings"]}
    assert sorted(findings) == ["arbitrage", "backrun", "sandwich"]
    sandwich = findings["sandwich"]
    assert [(t["hash"], t["chainId"], t["role"]) for t in sandwich["txs"]] == [
        (front, A, "front"), (victim, A, "victim"), (back, A, "back")]  # the link runs front, victim, back
    assert sandwich["superblock"] == p.sandwich_superblock and sandwich["crossRollup"] is False
    assert sandwich["id"] == f"{p.sandwich_superblock}:0"
    assert sandwich["value"] == [{"token": p.market.x.lower(),
                                  "amount": report["findings"][0]["value"][0]["amount"]}]
    arbitrage = findings["arbitrage"]
    assert arbitrage["crossRollup"] is True and arbitrage["chains"] == [A, B]
    assert [(t["hash"], t["chainId"]) for t in arbitrage["txs"]] == [(buy, A), (sell, B)]
    assert [(t["hash"], t["role"]) for t in findings["backrun"]["txs"]] == [(p.backrun_victim, "victim"),
                                                                             (sell, "backrun")]
    # a report with no finding marks nothing
    done = subprocess.run([node, "run.js"], cwd=tmp_path, input=json.dumps({"findings": []}), capture_output=True,
                          text=True, timeout=60)
    assert json.loads(done.stdout) == {"findings": [], "marks": {}}


def test_the_page_marks_findings_across_the_lanes(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed: apt-get update && apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
    p = planted
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1800, "height": 720}, timeout=30_000)
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.goto(p.net.explorer_url, wait_until="load")
            page.wait_for_selector('body[data-ready="true"]', timeout=WAIT_MS)
            for n in (p.sandwich_superblock, p.arbitrage_superblock):
                page.wait_for_selector(f'.col[data-superblock="{n}"][data-loaded="true"]', state="attached",
                                       timeout=WAIT_MS)
            front, victim, back = p.sandwich
            for tx, role in ((front, "front"), (victim, "victim"), (back, "back")):
                node = page.locator(f'.tx[data-tx="{tx}"][data-chain="{A}"]')
                assert node.get_attribute("data-mev-role") == role
                assert node.get_attribute("data-mev-kind") == "sandwich"
            assert "victim" in page.locator(f'.tx[data-tx="{victim}"] .mev-badge').inner_text()
            buy, sell = p.arbitrage
            assert page.locator(f'.tx[data-tx="{buy}"][data-chain="{A}"]').get_attribute("data-mev-role") == "arbitrage"
            assert set(page.locator(f'.tx[data-tx="{sell}"][data-chain="{B}"]').get_attribute(
                "data-mev-role").split()) == {"arbitrage", "backrun"}
            assert page.locator(f'.tx[data-tx="{p.backrun_victim}"]').get_attribute("data-mev-role") == "victim"
            assert "cross-rollup arbitrage" in page.locator(f'.tx[data-tx="{buy}"] .mev-badge').inner_text()
            # the links: the sandwich through its three transactions, the arbitrage across both lanes
            link = page.locator(f'path.mev[data-kind="sandwich"][data-finding="{p.sandwich_superblock}:0"]')
            link.wait_for(state="attached", timeout=WAIT_MS)
            assert link.get_attribute("data-txs") == ",".join(p.sandwich)
            assert link.get_attribute("d").startswith("M ")
            cross = page.locator('path.mev.cross[data-kind="arbitrage"]')
            cross.wait_for(state="attached", timeout=WAIT_MS)
            assert cross.get_attribute("data-chains") == f"{A},{B}"
            assert page.locator('path.mev[data-kind="backrun"]').count() == 1
            assert page.locator(".tx.mev").count() == 6
            page.evaluate("""h => {
                const s = document.querySelector('#scroller');
                const tx = document.querySelector(`.tx[data-tx='${h}']`);
                s.scrollLeft += tx.getBoundingClientRect().left - s.getBoundingClientRect().left - 160;
            }""", front)
            page.wait_for_timeout(300)
            page.screenshot(path=str(SHOT))
            assert not errors, errors
        finally:
            context.close()
