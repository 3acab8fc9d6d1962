"""The MEV report over real swaps on SimplePool: planted sandwiches and cross-rollup arbitrage are
found, with the value their extractor took in token units; unrelated swaps give no finding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from web3 import Web3

from bridge_contracts import load_artifact
from tests.sequencer.seq_helpers import ADDRS, DevnetServer, Rpc, contract_address, sign

A, B = 901, 902
DEPLOYER, VICTIM, SEARCHER, USER1, USER2 = 5, 0, 1, 2, 3
TRADERS = (VICTIM, SEARCHER, USER1, USER2)
UNIT = 10**18
LIQUIDITY = 100_000 * UNIT
W3 = Web3()
ABI = {name: W3.eth.contract(abi=load_artifact(name)["abi"], bytecode=load_artifact(name)["bytecode"])
       for name in ("TestToken", "SimplePool")}


def encode(name: str, fn: str, *args: Any) -> str:
    return str(ABI[name].encode_abi(fn, args=list(args)))


@dataclass
class Market:
    """Tokens X and Y and a SimplePool(X, Y), at the same addresses on both chains."""

    server: DevnetServer
    rpcs: dict[int, Rpc]
    x: str = ""
    y: str = ""
    pool: str = ""
    nonces: dict[tuple[int, int], int] = field(default_factory=dict)

    def send(self, cid: int, key: int, to: str | None, data: str, gas: int = 3_000_000) -> str:
        nonce = self.nonces.get((cid, key), 0)
        raw, tx_hash = sign(cid, key, nonce, to=to, data=data, gas=gas)
        self.nonces[(cid, key)] = nonce + 1
        assert self.rpcs[cid].call("eth_sendRawTransaction", raw) == tx_hash
        return tx_hash

    def call(self, cid: int, to: str, data: str) -> int:
        return int(self.rpcs[cid].call("eth_call", {"to": to, "data": data}), 16)

    def swap(self, cid: int, key: int, token_in: str, amount: int) -> str:
        return self.send(cid, key, self.pool, encode("SimplePool", "swapExactIn", token_in, amount, 0, ADDRS[key]))

    def quote(self, cid: int, token_in: str, amount: int) -> int:
        return self.call(cid, self.pool, encode("SimplePool", "getAmountOut", token_in, amount))

    def balance(self, cid: int, token: str, key: int) -> int:
        return self.call(cid, token, encode("TestToken", "balanceOf", ADDRS[key]))

    def mine(self) -> int:
        self.rpcs[A].call("evm_mine")
        return int(self.rpcs[A].call("xr_blockNumber"), 16)

    def report(self, superblock: int) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = self.rpcs[B].call("xr_getMevReport", hex(superblock))["findings"]
        return findings


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    with DevnetServer(order="fifo") as server:
        m = Market(server, {cid: server.rpc(cid) for cid in (A, B)})
        deployer = ADDRS[DEPLOYER]
        m.x, m.y, m.pool = (Web3.to_checksum_address(contract_address(deployer, n)) for n in range(3))
        for cid in (A, B):
            for symbol in ("X", "Y"):
                m.send(cid, DEPLOYER, None, ABI["TestToken"].constructor(symbol, symbol).data_in_transaction)
            m.send(cid, DEPLOYER, None, ABI["SimplePool"].constructor(m.x, m.y).data_in_transaction, gas=5_000_000)
            assert m.rpcs[cid].call("eth_getCode", m.pool, "latest") != "0x"
            for key in (DEPLOYER, *TRADERS):
                for token in (m.x, m.y):
                    m.send(cid, key, token, encode("TestToken", "mint", ADDRS[key], 10 * LIQUIDITY))
                    m.send(cid, key, token, encode("TestToken", "approve", m.pool, 2**256 - 1))
            m.send(cid, DEPLOYER, m.pool, encode("SimplePool", "addLiquidity", LIQUIDITY, LIQUIDITY))
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
