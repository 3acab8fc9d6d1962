#!/usr/bin/env python3
"""Benchmark synchronous cross-rollup calls against plain transactions on one xrollup devnet.

Starts ``xrollup --chains 901,902 --port P --silent`` as a subprocess on free ports and, over
HTTP (one keep-alive connection per chain), sends one transaction at a time from dev
account 0 on chain 901, interleaving three kinds in the same run:

* ``transfer``   an ETH transfer on 901;
* ``local call`` ``Counter.increment()`` on a Counter on 901 (the plain-transaction baseline);
* ``xcall``      ``Mailbox.xcall(902, counter, increment())`` from an EOA on 901: the same call,
                 executed on 902 in the same superblock (probe, execute on 902, pre-fill on
                 901, final run, both blocks committed).

Transactions are signed before the timed loop. Latency is submit to receipt: from sending
``eth_sendRawTransaction`` (automine: it returns once the superblock is mined) to holding the
receipt from ``eth_getTransactionReceipt``. Per kind: transactions per second (sequential: one
after the other), p50 and p99 latency. Every receipt is checked (status 1; each xcall executed
on 902 in the same superblock) and so are the counters at the end.

Target (printed MET / NOT MET, never an exit status): a cross-rollup call's p50 latency is at
most 3x a plain transaction's (the local call) p50.

    .venv/bin/python scripts/bench_xcall.py [--count 200] [--warmup 5] [--quick] [--json [FILE]]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from _bench_common import (
    DEV_KEY_0,
    RpcClient,
    ServerStartError,
    format_table,
    machine_summary,
    median,
    percentile,
    write_json,
    xrollup_devnet,
)
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from bridge_contracts import MAILBOX_ADDRESS, load_artifact

CHAINS = (901, 902)
SOURCE, DEST = CHAINS
MAILBOX = MAILBOX_ADDRESS
TARGET_RATIO = 3.0
KINDS = ("transfer", "local call", "xcall")
GAS = {"transfer": 21_000, "local call": 100_000, "xcall": 400_000}
MAX_FEE = 100 * 10**9
TIP = 10**9
INCREMENT = keccak(text="increment()")[:4]
NUMBER = keccak(text="number()")[:4]
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]
BURN = "0x000000000000000000000000000000000000dEaD"


class BenchError(RuntimeError):
    """A transaction did not do what it should (the figures would be meaningless)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sign(chain_id: int, nonce: int, to: str, data: bytes = b"", value: int = 0, gas: int = 100_000) -> str:
    tx = {"chainId": chain_id, "nonce": nonce, "to": to_checksum_address(to), "value": value, "data": "0x" + data.hex(), "gas": gas,
          "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP, "type": 2}
    return "0x" + bytes(Account.sign_transaction(tx, DEV_KEY_0).raw_transaction).hex()


def send_and_wait(client: RpcClient, raw: str) -> tuple[float, dict[str, Any]]:
    """Submit-to-receipt latency (seconds) and the receipt."""
    started = time.perf_counter()
    tx_hash = client.call("eth_sendRawTransaction", [raw])
    receipt = client.call("eth_getTransactionReceipt", [tx_hash])
    while receipt is None:  # automine answers after mining; this is only a safety net
        time.sleep(0.001)
        receipt = client.call("eth_getTransactionReceipt", [tx_hash])
    return time.perf_counter() - started, receipt


def deploy_counter(client: RpcClient, chain_id: int, nonce: int) -> str:
    code = load_artifact("Counter")["bytecode"] + encode(["uint256"], [0]).hex()
    tx = {"chainId": chain_id, "nonce": nonce, "value": 0, "data": code, "gas": 1_000_000,
          "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP, "type": 2}
    raw = "0x" + bytes(Account.sign_transaction(tx, DEV_KEY_0).raw_transaction).hex()
    _, receipt = send_and_wait(client, raw)
    if receipt["status"] != "0x1" or not receipt.get("contractAddress"):
        raise BenchError(f"deploying Counter on {chain_id} failed: {receipt}")
    return str(receipt["contractAddress"])


def counter_value(client: RpcClient, counter: str) -> int:
    return int(client.call("eth_call", [{"to": counter, "data": "0x" + NUMBER.hex()}, "latest"]), 16)


def check(kind: str, receipt: dict[str, Any], clients: dict[int, RpcClient]) -> None:
    if receipt["status"] != "0x1":
        raise BenchError(f"{kind} {receipt['transactionHash']} reverted: {receipt.get('xrollupError')}")
    if kind == "xcall":
        xcalls = receipt.get("xcalls") or []
        if len(xcalls) != 1 or not xcalls[0]["success"] or not xcalls[0]["destinationTxHash"]:
            raise BenchError(f"xcall {receipt['transactionHash']}: no executed cross-rollup call in {xcalls}")
        dest = clients[DEST].call("eth_getTransactionReceipt", [xcalls[0]["destinationTxHash"]])
        sb = clients[SOURCE].call("xr_getSuperblockOfBlock", [receipt["blockNumber"], False])
        in_sb = {(int(b["chainId"], 16), b["number"]) for b in sb["blocks"]}
        if dest is None or (DEST, dest["blockNumber"]) not in in_sb or dest["status"] != "0x1":
            raise BenchError(f"xcall {receipt['transactionHash']}: destination transaction not in the same superblock")


def run(count: int, warmup: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Start the devnet, send warm-up and timed transactions; returns latencies per kind."""
    with xrollup_devnet(CHAINS) as server:
        clients = {cid: RpcClient(url) for cid, url in zip(CHAINS, server.urls, strict=True)}
        try:
            sender = Account.from_key(DEV_KEY_0).address
            nonce = int(clients[SOURCE].call("eth_getTransactionCount", [sender, "pending"]), 16)
            counter_a = deploy_counter(clients[SOURCE], SOURCE, nonce)
            nonce += 1
            dest_nonce = int(clients[DEST].call("eth_getTransactionCount", [sender, "pending"]), 16)
            counter_b = deploy_counter(clients[DEST], DEST, dest_nonce)
            xcall_data = XCALL + encode(["uint256", "address", "bytes"], [DEST, counter_b, INCREMENT])

            def signed(kind: str, n: int) -> str:
                if kind == "transfer":
                    return sign(SOURCE, n, BURN, value=1, gas=GAS[kind])
                if kind == "local call":
                    return sign(SOURCE, n, counter_a, INCREMENT, gas=GAS[kind])
                return sign(SOURCE, n, MAILBOX, xcall_data, gas=GAS[kind])

            # Sign everything first; rotate the order each step so no kind always goes first.
            plan: list[tuple[str, str, bool]] = []
            for step in range(warmup + count):
                rot = step % len(KINDS)
                for kind in KINDS[rot:] + KINDS[:rot]:
                    plan.append((kind, signed(kind, nonce), step >= warmup))
                    nonce += 1
            latencies: dict[str, list[float]] = {k: [] for k in KINDS}
            started = time.perf_counter()
            for kind, raw, timed in plan:
                seconds, receipt = send_and_wait(clients[SOURCE], raw)
                check(kind, receipt, clients)
                if timed:
                    latencies[kind].append(seconds)
            wall = time.perf_counter() - started
            done = {"local call": counter_value(clients[SOURCE], counter_a), "xcall": counter_value(clients[DEST], counter_b)}
            if done != {"local call": warmup + count, "xcall": warmup + count}:
                raise BenchError(f"counters after the run: {done}, expected {warmup + count} each")
            meta = {"startup_s": server.startup_s, "wall_s": wall, "reconnects": sum(c.reconnects for c in clients.values())}
            return latencies, meta
        finally:
            for c in clients.values():
                c.close()


def summarize(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind, values in latencies.items():
        out[kind] = {
            "count": len(values),
            "per_s": len(values) / sum(values),
            "p50_ms": median(values) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "mean_ms": sum(values) / len(values) * 1000,
        }
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--count", type=int, default=None, help="timed transactions per kind (default 200; quick: 5)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed transactions per kind first (default 5; quick: 1)")
    ap.add_argument("--quick", action="store_true", help="tiny counts (a smoke test, not a measurement)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write the results as JSON to FILE (or as the last line of stdout without FILE)")
    args = ap.parse_args(argv)
    defaults = {"count": 5, "warmup": 1} if args.quick else {"count": 200, "warmup": 5}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.count < 1 or args.warmup < 0:
        ap.error("--count must be at least 1 and --warmup at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_summary()
    log(f"starting xrollup --chains {','.join(map(str, CHAINS))}; {args.warmup} + {args.count} transactions per kind ...")
    try:
        latencies, meta = run(args.count, args.warmup)
    except ServerStartError as exc:
        log(f"xrollup failed to start: {exc}")
        return 2
    except BenchError as exc:
        log(f"correctness check FAILED: {exc}")
        return 3
    stats = summarize(latencies)
    ratio = stats["xcall"]["p50_ms"] / stats["local call"]["p50_ms"]
    ratio_transfer = stats["xcall"]["p50_ms"] / stats["transfer"]["p50_ms"]
    met = ratio <= TARGET_RATIO

    print(f"bench_xcall: {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable), Python {machine['python']}, "
          f"load {', '.join(f'{x:.2f}' for x in machine['loadavg']) or '?'}")
    print(f"xrollup --chains {','.join(map(str, CHAINS))} subprocess, start-up {meta['startup_s']:.2f} s; "
          f"sequential transactions from one account on chain {SOURCE} over HTTP (keep-alive), "
          f"{args.count} timed per kind after {args.warmup} warm-up, kinds interleaved"
          + ("  [--quick: not a measurement]" if args.quick else ""))
    print()
    rows = [[kind, str(int(s["count"])), f"{s['per_s']:.1f}", f"{s['p50_ms']:.1f}", f"{s['p99_ms']:.1f}",
             f"{s['mean_ms']:.1f}"] for kind, s in stats.items()]
    print(format_table(["kind", "count", "tx/s", "p50 (ms)", "p99 (ms)", "mean (ms)"], rows))
    print()
    print(f"cross-rollup calls per second: {stats['xcall']['per_s']:.1f}   "
          f"(plain local calls: {stats['local call']['per_s']:.1f}/s, transfers: {stats['transfer']['per_s']:.1f}/s)")
    print(f"xcall p50 / plain (local call) p50 = {ratio:.2f}x   (xcall p50 / transfer p50 = {ratio_transfer:.2f}x)")
    print(f"target: a cross-rollup call costs at most {TARGET_RATIO:g}x a plain transaction's latency (p50): "
          f"{'MET' if met else 'NOT MET'}")

    results = {
        "machine": machine,
        "chains": list(CHAINS),
        "count": args.count,
        "warmup": args.warmup,
        "quick": args.quick,
        "startup_s": meta["startup_s"],
        "wall_s": meta["wall_s"],
        "reconnects": meta["reconnects"],
        "kinds": stats,
        "ratio_xcall_to_plain_p50": ratio,
        "ratio_xcall_to_transfer_p50": ratio_transfer,
        "target": {"description": f"xcall p50 <= {TARGET_RATIO:g}x plain p50", "max_ratio": TARGET_RATIO, "met": met},
    }
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
