#!/usr/bin/env python3
"""Benchmark the settlement layer: what it costs (sequential transfer throughput with the L1 on
against ``--no-l1``) and how long a deposit takes (L1 transaction sent -> rollup receipt).

Against real ``xrollup`` subprocesses over HTTP (chains 901 and 902, automine), one client sends
pre-signed transfers to chain 901 one after the other, each answered once mined; the devnet runs
once with its L1 (a free port, blocks every ``--l1.block-time`` seconds, the batcher posting
the superblock log before each L1 block, the proposer proposing output roots) and once with
``--no-l1``, twice each, alternating (off, on, off, on), and the best run of each counts. Also
printed for the L1 runs: how long after the last transfer its block was safe (its batch in an
L1 block), the batches posted and their calldata bytes.

Deposit latency, on a devnet of its own (default options: an L1 block every 2 s): one client
sends ``depositTransaction`` calls to rollup 901's OptimismPortal on the L1, one after the
other, each mined at once by the L1's automine; from sending each until the deposit's receipt
(its 0x7E hash, computed from the portal's log) is available on 901, polled every millisecond.

Target, printed MET / NOT MET (never an exit status): the L1 costs at most 10%, that is
(transfers/s with the L1) / (transfers/s without) >= 0.90.

    .venv/bin/python scripts/bench_settlement.py [--quick] [--transfers N] [--deposits N] [--json [FILE]]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from _bench_common import (
    GWEI,
    RpcClient,
    dev_keys,
    log,
    machine_summary,
    median,
    percentile,
    presign,
    write_json,
    xrollup_devnet,
)
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from chains.deposits import deposit_from_log

CHAINS = (901, 902)
TARGET = 0.90
BATCHER = "0x4193625c46fcd5f019c216bb1d94f02ac1695fe5"
INBOX = "0xff00000000000000000000000000000000000900"


KEYS = dev_keys()
KEY = KEYS[9]
SINK = KEYS[8].address
DEPOSITOR = KEYS[7]
DEPOSIT_TRANSACTION = keccak(b"depositTransaction(address,uint256,uint64,bool,bytes)")[:4]


def transfers(chain_id: int, first_nonce: int, count: int) -> list[tuple[str, str]]:
    return presign(KEY.key, chain_id, first_nonce, count, SINK)


def sequential(url: str, count: int) -> dict[str, Any]:
    with RpcClient(url) as client:
        nonce = int(client.call("eth_getTransactionCount", [KEY.address, "pending"]), 16)
        warm = transfers(CHAINS[0], nonce, 20)
        for raw, _ in warm:
            client.call("eth_sendRawTransaction", [raw])
        txs = transfers(CHAINS[0], nonce + len(warm), count)
        started = time.perf_counter()
        for raw, _ in txs:
            client.call("eth_sendRawTransaction", [raw])
        elapsed = time.perf_counter() - started
        assert client.call("eth_getTransactionReceipt", [txs[-1][1]]) is not None
        head = int(client.call("eth_blockNumber"), 16)
    return {"transfers": count, "seconds": elapsed, "tx_per_s": count / elapsed, "head": head}


def settlement_figures(url: str, head: int, timeout: float = 60.0) -> dict[str, Any]:
    """After the run: when the last block became safe, and what the batcher posted."""
    with RpcClient(url) as client:
        l1_url = client.call("xr_chains")[0]["l1"]["rpcUrl"]
        started = time.perf_counter()
        while int(client.call("eth_getBlockByNumber", ["safe", False])["number"], 16) < head:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"block {head} not safe after {timeout}s")
            time.sleep(0.01)
        to_safe = time.perf_counter() - started
    batches = calldata = 0
    with RpcClient(l1_url) as l1:
        height = int(l1.call("eth_blockNumber"), 16)
        for n in range(height + 1):
            for tx in l1.call("eth_getBlockByNumber", [hex(n), True])["transactions"]:
                if tx["from"].lower() == BATCHER and (tx["to"] or "").lower() == INBOX:
                    batches += 1
                    calldata += (len(tx["input"]) - 2) // 2
    return {"safe_after_s": to_safe, "l1_blocks": height + 1, "batches": batches, "calldata_bytes": calldata}


def deposit_latency(count: int) -> dict[str, Any]:
    """``count`` deposits into 901, one after the other: seconds from sending each L1
    transaction until its deposit's receipt is available on 901."""
    with xrollup_devnet(CHAINS) as server, RpcClient(server.urls[0]) as rollup:
        l1_info = rollup.call("xr_chains")[0]["l1"]
        portal = l1_info["OptimismPortal"]
        latencies = []
        with RpcClient(l1_info["rpcUrl"]) as l1:
            nonce = int(l1.call("eth_getTransactionCount", [DEPOSITOR.address, "pending"]), 16)
            data = DEPOSIT_TRANSACTION + encode(["address", "uint256", "uint64", "bool", "bytes"],
                                                [DEPOSITOR.address, 0, 100_000, False, b""])
            for i in range(count):
                signed = Account.sign_transaction({
                    "chainId": int(l1.call("eth_chainId"), 16), "nonce": nonce + i, "to": portal, "value": 10**15,
                    "gas": 200_000, "data": data, "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI,
                    "type": 2}, DEPOSITOR.key)
                started = time.perf_counter()
                tx_hash = l1.call("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
                receipt = l1.call("eth_getTransactionReceipt", [tx_hash])
                entry = next(e for e in receipt["logs"] if e["address"].lower() == portal.lower())
                deposit = deposit_from_log([bytes.fromhex(t[2:]) for t in entry["topics"]],
                                           bytes.fromhex(entry["data"][2:]), bytes.fromhex(receipt["blockHash"][2:]),
                                           int(entry["logIndex"], 16))
                l2_hash = "0x" + deposit.hash.hex()
                while rollup.call("eth_getTransactionReceipt", [l2_hash]) is None:
                    if time.perf_counter() - started > 60:
                        raise TimeoutError(f"deposit {l2_hash} not on 901 after 60 s")
                    time.sleep(0.001)
                latencies.append(time.perf_counter() - started)
    log(f"  deposits: median {median(latencies) * 1000:.1f} ms")
    return {"deposits": count, "median_s": median(latencies), "p95_s": percentile(latencies, 95),
            "max_s": max(latencies)}


def one_run(with_l1: bool, count: int) -> dict[str, Any]:
    with xrollup_devnet(CHAINS, extra=() if with_l1 else ("--no-l1",)) as server:
        url = server.urls[0]
        result = sequential(url, count)
        if with_l1:
            result.update(settlement_figures(url, result["head"]))
    log(f"  {'L1 on ' if with_l1 else '--no-l1'}: {result['tx_per_s']:.0f} transfers/s")
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    count = 300 if args.quick else args.transfers
    runs: dict[str, list[dict[str, Any]]] = {"no_l1": [], "l1": []}
    for with_l1 in (False, True, False, True):
        runs["l1" if with_l1 else "no_l1"].append(one_run(with_l1, count))
    best = {k: max(v, key=lambda r: r["tx_per_s"]) for k, v in runs.items()}
    ratio = best["l1"]["tx_per_s"] / best["no_l1"]["tx_per_s"]
    deposits = deposit_latency(10 if args.quick else args.deposits)
    return {"machine": machine_summary(), "transfers": count, "runs": runs, "best": best, "ratio": ratio,
            "target": TARGET, "met": ratio >= TARGET, "deposit_latency": deposits}


def report(r: dict[str, Any]) -> None:
    best = r["best"]
    on, off = best["l1"], best["no_l1"]
    print(f"sequential transfers on chain 901 ({r['transfers']} per run, best of 2):")
    print(f"  --no-l1 : {off['tx_per_s']:8.1f} transfers/s")
    print(f"  L1 on   : {on['tx_per_s']:8.1f} transfers/s  (last block safe {on['safe_after_s']:.2f} s after the "
          f"run; {on['batches']} batches, {on['calldata_bytes']} calldata bytes in {on['l1_blocks']} L1 blocks)")
    print(f"  ratio L1 on / --no-l1: {r['ratio']:.3f}  (target >= {TARGET}: {'MET' if r['met'] else 'NOT MET'})")
    d = r["deposit_latency"]
    print(f"deposit latency, L1 transaction sent -> receipt on 901 ({d['deposits']} deposits, one after the other):")
    print(f"  median {d['median_s'] * 1000:.1f} ms, p95 {d['p95_s'] * 1000:.1f} ms, max {d['max_s'] * 1000:.1f} ms")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 transfers per run, 10 deposits")
    ap.add_argument("--transfers", type=int, default=2000, help="transfers per run (default: 2000)")
    ap.add_argument("--deposits", type=int, default=50, help="deposits timed (default: 50)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write the figures as JSON (to FILE, or stdout)")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    report(results)
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
