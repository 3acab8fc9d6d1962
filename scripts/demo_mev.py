#!/usr/bin/env python3
"""A searcher meets a user's swap under each ordering policy, against a running xrollup devnet.

The user swaps on chain B's pool. A searcher bot follows the shared sequencer's pending stream
(``eth_subscribe("xr_pendingTransactions")``) on chain A's endpoint, decodes the user's swap and
sandwiches it: a buy before it (a higher tip), a sale after it (a lower tip). Each round is one
superblock (automine is paused while the bot reacts); ``xr_getMevReport`` says what was taken.

    xrollup &                                   # chains 901 and 902 on :9545 and :9546
    python scripts/demo_mev.py [--rpc-a URL] [--rpc-b URL] [--trials N]

- ``fees``: the sandwich lands; it prints the value extracted and the user's worse price.
- ``encrypted``: the bot sees a commitment only; nothing is extracted, the user gets the price
  it would get with no bot.
- ``random``: the bot's success rate over N trials.
- ``express-lane`` with the bot as controller: its transactions go first, both of them, so it
  can front-run but not sandwich.

The devnet's ordering is set back to ``fees`` and automine back on at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3
from websockets.sync.client import ClientConnection, connect

from bridge_contracts import load_artifact
from chains.genesis import dev_accounts

DEV_KEYS = tuple("0x" + a.private_key.hex() for a in dev_accounts(count=3))  # the user, the searcher, the deployer
UNIT = 10**18
LIQUIDITY = 100_000 * UNIT
USER_SWAP = 1_000 * UNIT
BOT_SWAP = 3_000 * UNIT
GWEI = 10**9
W3 = Web3()
TOKEN = W3.eth.contract(abi=load_artifact("TestToken")["abi"], bytecode=load_artifact("TestToken")["bytecode"])
POOL = W3.eth.contract(abi=load_artifact("SimplePool")["abi"], bytecode=load_artifact("SimplePool")["bytecode"])
SWAP_SELECTOR = POOL.encode_abi("swapExactIn", args=[to_checksum_address("0x" + "00" * 20), 0, 0,
                                                     to_checksum_address("0x" + "00" * 20)])[:10]


class Rpc:
    def __init__(self, url: str) -> None:
        self.url = url
        self._id = 0

    def __call__(self, method: str, *params: Any) -> Any:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]


@dataclass
class Market:
    rpc: Rpc
    chain_id: int
    x: str
    y: str
    pool: str

    def send(self, key: str, to: str | None, data: str, tip: int = GWEI, gas: int = 3_000_000) -> str:
        sender = Account.from_key(key).address
        nonce = int(self.rpc("eth_getTransactionCount", sender, "pending"), 16)
        tx = {"chainId": self.chain_id, "nonce": nonce, "gas": gas, "value": 0, "data": data, "type": 2,
              "maxPriorityFeePerGas": tip, "maxFeePerGas": 100 * GWEI + tip}
        if to is not None:
            tx["to"] = to
        signed = Account.sign_transaction(tx, key)
        return str(self.rpc("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))

    def mined(self, key: str, to: str | None, data: str) -> dict[str, Any]:
        receipt: dict[str, Any] = self.rpc("eth_getTransactionReceipt", self.send(key, to, data))
        if receipt is None or receipt["status"] != "0x1":
            raise RuntimeError(f"setup transaction failed: {receipt}")
        return receipt

    def view(self, to: str, data: str) -> int:
        return int(self.rpc("eth_call", {"to": to, "data": data}, "latest"), 16)

    def quote(self, token_in: str, amount: int) -> int:
        return self.view(self.pool, POOL.encode_abi("getAmountOut", args=[token_in, amount]))

    def balance(self, token: str, who: str) -> int:
        return self.view(token, TOKEN.encode_abi("balanceOf", args=[who]))

    def swap_data(self, token_in: str, amount: int, to: str) -> str:
        return str(POOL.encode_abi("swapExactIn", args=[token_in, amount, 0, to]))


def set_up(rpc: Rpc) -> Market:
    """Tokens X, Y and a SimplePool(X, Y) on chain B, funded and approved for everyone."""
    chain_id = int(rpc("eth_chainId"), 16)
    bare = Market(rpc, chain_id, "", "", "")
    deployer = DEV_KEYS[2]
    x = bare.mined(deployer, None, TOKEN.constructor("X", "X").data_in_transaction)["contractAddress"]
    y = bare.mined(deployer, None, TOKEN.constructor("Y", "Y").data_in_transaction)["contractAddress"]
    x, y = to_checksum_address(x), to_checksum_address(y)
    pool = to_checksum_address(bare.mined(deployer, None, POOL.constructor(x, y).data_in_transaction)["contractAddress"])
    market = Market(rpc, chain_id, x, y, pool)
    for key in DEV_KEYS:
        me = Account.from_key(key).address
        for token in (x, y):
            market.mined(key, token, TOKEN.encode_abi("mint", args=[me, 10 * LIQUIDITY]))
            market.mined(key, token, TOKEN.encode_abi("approve", args=[pool, 2**256 - 1]))
    market.mined(deployer, pool, POOL.encode_abi("addLiquidity", args=[LIQUIDITY, LIQUIDITY]))
    return market


@dataclass
class Round:
    policy: str
    bot_acted: bool
    user_out: int
    fair_out: int
    sandwiches: list[dict[str, Any]]


class Searcher:
    """Follows every chain's pending transactions on one endpoint's WebSocket."""

    def __init__(self, ws: ClientConnection, market: Market) -> None:
        self.ws = ws
        self.market = market
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                 "params": ["xr_pendingTransactions"]}))
        self.sub = json.loads(self.ws.recv(timeout=10))["result"]

    def next_pending(self) -> dict[str, Any]:
        """The next pending transaction that is not the bot's own."""
        me = Account.from_key(DEV_KEYS[1]).address.lower()
        while True:
            message = json.loads(self.ws.recv(timeout=10))
            if message.get("params", {}).get("subscription") == self.sub:
                result: dict[str, Any] = message["params"]["result"]
                if result.get("from", "").lower() != me:
                    return result

    def react(self, seen: dict[str, Any]) -> bool:
        """Sandwich ``seen`` if it is a readable swap on the market's pool. Returns whether it acted."""
        m = self.market
        data = seen.get("input")
        if seen.get("sealed") or data is None or (seen.get("to") or "").lower() != m.pool.lower():
            return False
        if not data.startswith(SWAP_SELECTOR) or int(seen["chainId"], 16) != m.chain_id:
            return False
        token_in = to_checksum_address("0x" + data[10 + 24: 10 + 64])
        token_out = m.y if token_in == m.x else m.x
        tip = int(seen.get("maxPriorityFeePerGas", "0x0"), 16)
        bot = Account.from_key(DEV_KEYS[1]).address
        bought = m.quote(token_in, BOT_SWAP)
        m.send(DEV_KEYS[1], m.pool, m.swap_data(token_in, BOT_SWAP, bot), tip=tip + GWEI)
        m.send(DEV_KEYS[1], m.pool, m.swap_data(token_out, bought, bot), tip=max(tip // 2, 1))
        return True


def one_round(market: Market, bot: Searcher, policy: str, wait: float = 0.0) -> Round:
    m = market
    user = Account.from_key(DEV_KEYS[0]).address
    fair = m.quote(m.x, USER_SWAP)
    before = m.balance(m.y, user)
    m.send(DEV_KEYS[0], m.pool, m.swap_data(m.x, USER_SWAP, user), tip=2 * GWEI)
    acted = bot.react(bot.next_pending())
    if wait:
        time.sleep(wait)  # express-lane: everyone else's transactions wait out the delay
    m.rpc("evm_mine")
    number = m.rpc("xr_blockNumber")
    report = m.rpc("xr_getMevReport", number)["findings"]
    return Round(policy, acted, m.balance(m.y, user) - before, fair,
                 [f for f in report if f["kind"] == "sandwich"])


def show(r: Round) -> None:
    worse = r.fair_out - r.user_out
    print(f"  bot acted: {'yes' if r.bot_acted else 'no (it saw a commitment only)'}")
    print(f"  user got {r.user_out / UNIT:,.4f} Y; with no bot {r.fair_out / UNIT:,.4f} Y"
          f" ({worse / UNIT:,.4f} Y worse, {100 * worse / r.fair_out:.2f}%)")
    for f in r.sandwiches:
        taken = ", ".join(f"{int(v['amount']) / UNIT:,.4f} of {v['token']}" for v in f["value"])
        print(f"  MEV report: sandwich by {f['extractor']} took {taken}")
    if not r.sandwiches:
        print("  MEV report: nothing extracted")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rpc-a", default="http://127.0.0.1:9545", help="chain A's endpoint (the bot watches here)")
    ap.add_argument("--rpc-b", default="http://127.0.0.1:9546", help="chain B's endpoint (the user swaps here)")
    ap.add_argument("--trials", type=int, default=10, help="rounds under the random policy (default: 10)")
    args = ap.parse_args(argv)
    rpc_a, rpc_b = Rpc(args.rpc_a), Rpc(args.rpc_b)
    market = set_up(rpc_b)
    chain_b = hex(market.chain_id)
    print(f"pool {market.pool} on chain {market.chain_id}; the bot watches {args.rpc_a}")
    ok = True
    with connect(args.rpc_a.replace("http://", "ws://")) as ws:
        bot = Searcher(ws, market)
        try:
            rpc_a("evm_setAutomine", False)
            print("\n1. fees")
            rpc_a("xr_setOrdering", "fees", chain_b)
            fees = one_round(market, bot, "fees")
            show(fees)
            ok &= bool(fees.sandwiches) and fees.user_out < fees.fair_out

            print("\n2. encrypted")
            rpc_a("xr_setOrdering", "encrypted", chain_b)
            sealed = one_round(market, bot, "encrypted")
            show(sealed)
            ok &= not sealed.sandwiches and sealed.user_out == sealed.fair_out

            print(f"\n3. random, {args.trials} trials")
            wins = 0
            for seed in range(args.trials):
                rpc_a("xr_setOrdering", {"policy": "random", "seed": seed}, chain_b)
                wins += bool(one_round(market, bot, "random").sandwiches)
            print(f"  the bot's sandwich landed in {wins} of {args.trials} superblocks ({100 * wins / args.trials:.0f}%)")

            print("\n4. express-lane, the bot controls the round")
            rpc_a("xr_setOrdering", {"policy": "express-lane", "delay": 0.2}, chain_b)
            rpc_a("xr_setExpressLane", Account.from_key(DEV_KEYS[1]).address)
            lane = one_round(market, bot, "express-lane", wait=0.4)
            show(lane)
            print("  the controller's transactions are sequenced first, all of them: it can trade before")
            print("  the user, but its sale cannot come after the user's swap in the same superblock")
            ok &= not lane.sandwiches
        finally:
            rpc_a("xr_setOrdering", "fees")
            rpc_a("evm_setAutomine", True)
    print("\n=> " + ("as expected" if ok else "UNEXPECTED: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
