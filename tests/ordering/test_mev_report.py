"""The MEV report over real swaps on SimplePool: planted sandwiches and cross-rollup arbitrage are
found, with the value their extractor took in token units; unrelated swaps give no finding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ordering.mev_market import SEARCHER, UNIT, USER1, USER2, VICTIM, A, B, Market, open_market
from tests.sequencer.seq_helpers import ADDRS, DevnetServer


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    with DevnetServer(order="fifo") as server:
        m = open_market({cid: server.rpc(cid) for cid in (A, B)})
        m.rpcs[A].call("evm_setAutomine", False)  # each test plants one superblock, mined with evm_mine
        yield m


def test_a_planted_sandwich_is_found_with_the_value_taken(market: Market) -> None:
    m = market
    before = m.balance(A, m.x, SEARCHER)
    front_in = 2_000 * UNIT
    front_out = m.quote(A, m.x, front_in)
    front = m.swap(A, SEARCHER, m.x, front_in)
    victim = m.swap(A, VICTIM, m.x, 1_000 * UNIT)
    back = m.swap(A, SEARCHER, m.y, front_out)
    number = m.mine()
    for tx in (front, victim, back):
        assert m.rpcs[A].receipt(tx)["status"] == "0x1"
    gained = m.balance(A, m.x, SEARCHER) - before
    assert gained > 0
    findings = m.report(number)
    assert [f["kind"] for f in findings] == ["sandwich"]
    (f,) = findings
    assert f["extractor"] == ADDRS[SEARCHER].lower()
    assert f["victims"] == [{"chainId": hex(A), "hash": victim}]
    assert f["transactions"] == [{"chainId": hex(A), "hash": front}, {"chainId": hex(A), "hash": back}]
    assert f["pools"] == [{"chainId": hex(A), "address": m.pool.lower()}]
    assert f["chains"] == [hex(A)] and f["crossRollup"] is False
    assert f["value"] == [{"token": m.x.lower(), "amount": str(gained)}]


def test_cross_rollup_arbitrage_and_its_back_run_are_found(market: Market) -> None:
    m = market
    # the user's big buy of Y on B makes Y dear on B; the searcher buys Y on A and sells it on B
    user = m.swap(B, USER1, m.x, 5_000 * UNIT)
    m.mine()
    before = m.balance(A, m.x, SEARCHER) + m.balance(B, m.x, SEARCHER)
    y_bought = m.quote(A, m.x, 1_000 * UNIT)
    buy = m.swap(A, SEARCHER, m.x, 1_000 * UNIT)
    user2 = m.swap(B, USER2, m.x, 3_000 * UNIT)  # another user's buy on B, right before the sale
    sell = m.swap(B, SEARCHER, m.y, y_bought)
    number = m.mine()
    for cid, tx in ((A, buy), (B, sell), (B, user2)):
        assert m.rpcs[cid].receipt(tx)["status"] == "0x1"
    gained = m.balance(A, m.x, SEARCHER) + m.balance(B, m.x, SEARCHER) - before
    assert gained > 0
    findings = m.report(number)
    by_kind = {f["kind"]: f for f in findings}
    assert sorted(by_kind) == ["arbitrage", "backrun"] and len(findings) == 2
    arb = by_kind["arbitrage"]
    assert arb["extractor"] == ADDRS[SEARCHER].lower() and arb["crossRollup"] is True
    assert arb["chains"] == [hex(A), hex(B)]
    assert arb["transactions"] == [{"chainId": hex(A), "hash": buy}, {"chainId": hex(B), "hash": sell}]
    assert arb["value"] == [{"token": m.x.lower(), "amount": str(gained)}]
    run = by_kind["backrun"]
    assert run["victims"] == [{"chainId": hex(B), "hash": user2}]
    assert run["transactions"] == [{"chainId": hex(B), "hash": sell}]
    assert m.rpcs[B].receipt(user)["status"] == "0x1"


def test_unrelated_swaps_give_no_finding(market: Market) -> None:
    m = market
    first = int(m.rpcs[A].call("xr_blockNumber"), 16) + 1
    # everyone trades for themselves, both ways, on both chains, over three superblocks
    plan = [(A, VICTIM, m.x, 300), (A, USER1, m.y, 200), (B, USER2, m.x, 100), (B, VICTIM, m.y, 50),
            (A, USER2, m.x, 70), (B, USER1, m.x, 90), (A, VICTIM, m.x, 10)]
    hashes = []
    for round_ in range(3):
        for cid, key, token, amount in plan:
            hashes.append((cid, m.swap(cid, key, token, (amount + round_) * UNIT)))
        m.mine()
    for cid, tx in hashes:
        assert m.rpcs[cid].receipt(tx)["status"] == "0x1"
    last = int(m.rpcs[A].call("xr_blockNumber"), 16)
    report = m.rpcs[A].call("xr_getMevReport", {"from": hex(first), "to": hex(last)})
    assert report == {"from": hex(first), "to": hex(last), "findings": []}


def test_report_range_bad_input(market: Market) -> None:
    rpc = market.rpcs[A]
    assert rpc.error("xr_getMevReport", {"from": "0x5", "to": "0x1"}).code == -32602
    assert rpc.error("xr_getMevReport", "0xffffff").code not in (-32603,)
    assert rpc.error("xr_getMevReport", "nope").code == -32602
    assert rpc.error("xr_getMevReport", {"from": "0x0", "to": hex(5000)}).code not in (-32603,)
