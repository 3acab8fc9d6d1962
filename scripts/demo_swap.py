#!/usr/bin/env python3
"""The cross-rollup swap, against a running xrollup devnet, with web3.py.

One transaction on chain A swaps token IN for MID on A's pool, bridges MID to chain B
atomically (AtomicBridge over the mailbox) and swaps it for OUT on B's pool, delivered on B.
Both chains' blocks land in one superblock, or nothing happens anywhere.

    xrollup &                                   # chains 901 and 902 on :9545 and :9546
    python scripts/demo_swap.py [--rpc-a URL] [--rpc-b URL] [--private-key KEY]

The demo deploys fresh tokens, pools and routers on both chains, runs one swap that succeeds
and one that B refuses (its minimum output is out of reach: "CrossSwap: slippage"), and
prints every balance before and after on both chains. Exit status 0 when both behaved as
expected.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.middleware import SignAndSendRawMiddlewareBuilder

from bridge_contracts import load_artifact

DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's account 0
CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c"  # Arachnid's, predeployed on every chain
UNIT = 10**18
LIQUIDITY = 100_000 * UNIT
SWAP_IN = 1_000 * UNIT


@dataclass
class World:
    """Everything the swap touches, as web3.py contract objects."""

    w3a: Web3
    w3b: Web3
    chain_a: int
    chain_b: int
    me: str
    token_in: Any  # TestToken on A
    mid_a: Any  # SuperchainERC20 on A ...
    mid_b: Any  # ... at the same address on B
    token_out: Any  # TestToken on B
    pool_a: Any  # SimplePool(IN, MID) on A
    pool_b: Any  # SimplePool(MID, OUT) on B
    router_a: Any  # CrossSwapRouter on A
    router_b: Any  # CrossSwapRouter on B


# ---------------------------------------------------------------------------- the swap


def swap_across(w: World, amount_in: int, min_out: int) -> Any:
    """The cross-rollup swap: one transaction on chain A, the tokens arrive on chain B."""
    w.token_in.functions.approve(w.router_a.address, amount_in).transact()
    tx_hash = w.router_a.functions.swapAcross(
        w.pool_a.address, w.token_in.address, amount_in,  # 1. swap IN -> MID on A's pool,
        w.mid_a.address, w.chain_b, w.router_b.address,  # 2. bridge MID to B atomically,
        w.pool_b.address, w.token_out.address, min_out,  # 3. swap MID -> OUT on B's pool,
        w.me,  # 4. deliver OUT to me, on B.
    ).transact({"gas": 2_000_000})  # fixed gas, so that a refused swap is still mined and shown
    return w.w3a.eth.wait_for_transaction_receipt(tx_hash)


def quote(w: World, amount_in: int) -> int:
    """What the swap delivers on B right now: A's pool quote, then B's."""
    mid = w.pool_a.functions.getAmountOut(w.token_in.address, amount_in).call()
    return int(w.pool_b.functions.getAmountOut(w.mid_b.address, mid).call())


# ---------------------------------------------------------------------------- set-up


def connect(url: str, key: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    account = Account.from_key(key)
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
    w3.eth.default_account = account.address
    return w3


def deploy(w3: Web3, name: str, *args: Any) -> Any:
    art = load_artifact(name)
    tx_hash = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor(*args).transact()
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise RuntimeError(f"deploying {name} failed")
    return w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])


def deploy_everywhere(w3s: Sequence[Web3], name: str, *args: Any) -> list[Any]:
    """One contract at the same address on every chain (CREATE2 through Arachnid's deployer,
    with a fresh salt so that the demo can run again on the same devnet)."""
    art = load_artifact(name)
    init = bytes.fromhex(w3s[0].eth.contract(abi=art["abi"], bytecode=art["bytecode"])
                         .constructor(*args).data_in_transaction[2:])
    salt = os.urandom(32)
    address = to_checksum_address(keccak(b"\xff" + bytes.fromhex(CREATE2_DEPLOYER[2:]) + salt + keccak(init))[12:])
    out = []
    for w3 in w3s:
        tx_hash = w3.eth.send_transaction({"to": to_checksum_address(CREATE2_DEPLOYER), "data": salt + init,
                                           "gas": 5_000_000})
        if w3.eth.wait_for_transaction_receipt(tx_hash)["status"] != 1 or not w3.eth.get_code(address):
            raise RuntimeError(f"CREATE2 deployment of {name} failed on chain {w3.eth.chain_id}")
        out.append(w3.eth.contract(address=address, abi=art["abi"]))
    return out


def transact(fn: Any) -> None:
    receipt = fn.w3.eth.wait_for_transaction_receipt(fn.transact())
    if receipt["status"] != 1:
        raise RuntimeError(f"{fn.fn_name} failed")


def build_world(w3a: Web3, w3b: Web3) -> World:
    me = w3a.eth.default_account
    token_in = deploy(w3a, "TestToken", "Token IN", "IN")
    token_out = deploy(w3b, "TestToken", "Token OUT", "OUT")
    mid_a, mid_b = deploy_everywhere([w3a, w3b], "SuperchainERC20", "Token MID", "MID", me, 1_000_000 * UNIT)
    transact(token_in.functions.mint(me, 1_000_000 * UNIT))
    transact(token_out.functions.mint(me, 1_000_000 * UNIT))
    pool_a = deploy(w3a, "SimplePool", token_in.address, mid_a.address)
    pool_b = deploy(w3b, "SimplePool", mid_b.address, token_out.address)
    for pool, tokens in ((pool_a, (token_in, mid_a)), (pool_b, (mid_b, token_out))):
        for token in tokens:
            transact(token.functions.approve(pool.address, LIQUIDITY))
        transact(pool.functions.addLiquidity(LIQUIDITY, LIQUIDITY))
    return World(w3a, w3b, w3a.eth.chain_id, w3b.eth.chain_id, me, token_in, mid_a, mid_b, token_out,
                 pool_a, pool_b, deploy(w3a, "CrossSwapRouter"), deploy(w3b, "CrossSwapRouter"))


# ---------------------------------------------------------------------------- printing


def balances(w: World) -> dict[str, int]:
    """Every balance the swap can move, on both chains."""
    ra, rb = w.pool_a.functions.getReserves().call(), w.pool_b.functions.getReserves().call()
    a, b = f"chain A ({w.chain_a})", f"chain B ({w.chain_b})"
    return {
        f"{a}  my IN": w.token_in.functions.balanceOf(w.me).call(),
        f"{a}  my MID": w.mid_a.functions.balanceOf(w.me).call(),
        f"{a}  pool A reserve IN": ra[0],
        f"{a}  pool A reserve MID": ra[1],
        f"{a}  MID total supply": w.mid_a.functions.totalSupply().call(),
        f"{b}  my OUT": w.token_out.functions.balanceOf(w.me).call(),
        f"{b}  my MID": w.mid_b.functions.balanceOf(w.me).call(),
        f"{b}  pool B reserve MID": rb[0],
        f"{b}  pool B reserve OUT": rb[1],
        f"{b}  MID total supply": w.mid_b.functions.totalSupply().call(),
    }


def fmt(amount: int) -> str:
    return f"{amount / UNIT:,.6f}"


def print_balances(before: dict[str, int], after: dict[str, int]) -> None:
    width = max(len(k) for k in before)
    print(f"    {'balance':<{width}}  {'before':>22}  {'after':>22}  {'change':>18}")
    for key in before:
        change = after[key] - before[key]
        print(f"    {key:<{width}}  {fmt(before[key]):>22}  {fmt(after[key]):>22}  "
              f"{(('+' if change > 0 else '') + fmt(change)) if change else '-':>18}")


def print_receipt(w: World, receipt: Any) -> None:
    number = receipt["blockNumber"]
    sb = w.w3a.provider.make_request("xr_getSuperblockOfBlock", [hex(number), True])["result"]
    blocks = {int(b["chainId"], 16): b for b in sb["blocks"]}
    print(f"    tx on A:     {receipt['transactionHash'].to_0x_hex()}  (status {receipt['status']}, "
          f"block {number}, gas {receipt['gasUsed']})")
    print(f"    superblock:  {int(sb['number'], 16)}  {sb['hash']}")
    b_block = blocks.get(w.chain_b)
    b_text = (f"B block {int(b_block['number'], 16)}: {len(b_block['transactions'])} txs" if b_block
              else "B did not advance (nothing happened there)")
    print(f"                 A block {int(blocks[w.chain_a]['number'], 16)}: {len(blocks[w.chain_a]['transactions'])} txs,"
          f"  {b_text}")
    for xc in receipt.get("xcalls", []):
        dst = int(xc["destinationChainId"], 16)
        where = "B's block of this superblock" if dst in blocks and xc["destinationTxHash"] in blocks[dst]["transactions"] else "?"
        print(f"    xcall:       -> chain {dst}, executed by tx {xc['destinationTxHash']} in {where}")
    if receipt.get("xrollupError"):
        err = receipt["xrollupError"]
        print(f"    reverted:    on chain {int(err['chainId'], 16)}: {err['reason']!r}")


# ---------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rpc-a", default="http://127.0.0.1:9545", help="chain A's JSON-RPC URL")
    ap.add_argument("--rpc-b", default="http://127.0.0.1:9546", help="chain B's JSON-RPC URL")
    ap.add_argument("--private-key", default=DEV_KEY_0, help="a key funded on both chains (default: dev account 0)")
    args = ap.parse_args(argv)

    w3a, w3b = connect(args.rpc_a, args.private_key), connect(args.rpc_b, args.private_key)
    print(f"chain A: {w3a.eth.chain_id} at {args.rpc_a}\nchain B: {w3b.eth.chain_id} at {args.rpc_b}")
    print("deploying IN (A), MID (A and B, same address), OUT (B), a pool on each chain, a router on each ...")
    w = build_world(w3a, w3b)
    print(f"  IN {w.token_in.address}   MID {w.mid_a.address}   OUT {w.token_out.address}")
    print(f"  pool A {w.pool_a.address}   pool B {w.pool_b.address}")
    print(f"  router A {w.router_a.address}   router B {w.router_b.address}")
    ok = True

    expected = quote(w, SWAP_IN)
    min_out = expected * 99 // 100
    print(f"\n1. swap {fmt(SWAP_IN)} IN on A for OUT on B (quote {fmt(expected)} OUT, minimum {fmt(min_out)})")
    before = balances(w)
    receipt = swap_across(w, SWAP_IN, min_out)
    print_receipt(w, receipt)
    after = balances(w)
    print_balances(before, after)
    got = after[f"chain B ({w.chain_b})  my OUT"] - before[f"chain B ({w.chain_b})  my OUT"]
    if receipt["status"] == 1 and got == expected:
        print(f"  => SUCCESS: cross-rollup swap delivered {fmt(got)} OUT on chain B, in the same superblock")
    else:
        print(f"  => UNEXPECTED: status {receipt['status']}, delivered {fmt(got)} instead of {fmt(expected)}")
        ok = False

    expected = quote(w, SWAP_IN)
    min_out = expected * 2
    print(f"\n2. the same swap asking for at least {fmt(min_out)} OUT (quote {fmt(expected)}): B must refuse")
    w.token_in.functions.approve(w.router_a.address, SWAP_IN).transact()
    try:  # simulated first: eth_call runs the far side too, and B's reason comes back
        w.router_a.functions.swapAcross(w.pool_a.address, w.token_in.address, SWAP_IN, w.mid_a.address, w.chain_b,
                                        w.router_b.address, w.pool_b.address, w.token_out.address, min_out,
                                        w.me).call()
        print("    eth_call:    succeeded?!")
        ok = False
    except ContractLogicError as exc:
        print(f"    eth_call:    {exc.message}")
    before = balances(w)
    receipt = swap_across(w, SWAP_IN, min_out)
    print_receipt(w, receipt)
    after = balances(w)
    print_balances(before, after)
    reason = (receipt.get("xrollupError") or {}).get("reason")
    if receipt["status"] == 0 and reason == "CrossSwap: slippage" and after == before:
        print("  => REVERTED on A with 'CrossSwap: slippage' from chain B: every balance on both chains is unchanged")
    else:
        print(f"  => UNEXPECTED: status {receipt['status']}, reason {reason!r}, balances changed: {after != before}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
