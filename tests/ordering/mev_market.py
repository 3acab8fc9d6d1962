"""A market for the MEV tests: tokens X and Y and a SimplePool(X, Y), at the same addresses on
chains 901 and 902, with traders funded and approved; swaps, quotes and balances over JSON-RPC.
Used by tests/ordering (the report) and tests/explorer (the marks drawn from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from bridge_contracts import load_artifact
from tests.sequencer.seq_helpers import ADDRS, Rpc, contract_address, sign

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


def open_market(rpcs: dict[int, Rpc]) -> Market:
    """Deploy X, Y and the pool on both chains (automine), fund and approve every trader, and
    add liquidity. Returns the market."""
    m = Market(rpcs)
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
    return m
