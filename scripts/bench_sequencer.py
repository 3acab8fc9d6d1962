#!/usr/bin/env python3
"""Benchmark xrollup's shared sequencer: bundles, concurrent transfers over 3 chains, replay.

Prints, from one run on this machine, against real ``xrollup`` subprocesses over HTTP:

* two-leg bundles per second and bundle latency (submit to included: ``xr_sendBundle``
  answers once the bundle is in a superblock), p50 and p99, in automine mode on 3 chains;
* the single-chain sequential transfer rate: one client, pre-signed transfers, one after the
  other, on a one-chain devnet (the baseline of the ratio), and the same on the 3-chain devnet;
* transfers per second with 8 concurrent clients spread over 3 chains: one thread per client,
  each with its own keep-alive HTTP connection, its own sender (dev accounts 0..7) and its
  pre-signed transactions; measured until every transaction is included, in automine mode and
  in interval mode (``--block-time``, default 0.05 s), with the superblocks used and the
  transactions per superblock;
* the same bundles and sequential transfers on a 3-chain devnet with ``--state-dir`` (the
  superblock log on disk, fsynced per superblock), and the replay speed: ``xrollup replay`` on
  the state dir that run wrote (superblocks per second as the command reports it, and its wall
  time including start-up).

Targets, printed MET / NOT MET (never an exit status): bundle latency p50 < 20 ms; 3-chain
concurrent throughput >= 2x the single-chain sequential figure (checked for both mining modes).

    .venv/bin/python scripts/bench_sequencer.py [--quick] [--json [FILE]] [--bundles N]
                                               [--transfers N] [--per-client N] [--block-time S]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _bench_common import (
    RpcClient,
    dev_keys,
    log,
    machine_summary,
    percentile,
    presign,
    send_concurrently,
    wait_included,
    write_json,
    xrollup_devnet,
    xrollup_executable,
)

CHAINS = (901, 902, 903)
CLIENTS = 8
LATENCY_TARGET_MS = 20.0
RATIO_TARGET = 2.0


KEYS = dev_keys()
SINK = KEYS[9].address


def transfers(chain_id: int, account: int, first_nonce: int, count: int, to: str = SINK) -> list[tuple[str, str]]:
    return presign(KEYS[account].key, chain_id, first_nonce, count, to)


def superblock_height(url: str) -> int:
    with RpcClient(url) as c:
        return int(c.call("xr_blockNumber"), 16)


def nonce_of(url: str, account: int) -> int:
    with RpcClient(url) as c:
        return int(c.call("eth_getTransactionCount", [KEYS[account].address, "pending"]), 16)


def warm_up(urls: dict[int, str], account: int = 9, count: int = 3) -> None:
    """A few transfers per chain so that first-call costs stay out of the timings."""
    for cid, url in urls.items():
        with RpcClient(url) as c:
            start = int(c.call("eth_getTransactionCount", [KEYS[account].address, "pending"]), 16)
            txs = transfers(cid, account, start, count, to=KEYS[8].address)
            for raw, _ in txs:
                c.call("eth_sendRawTransaction", [raw])
            wait_included(c, txs[-1][1])


# -- measurements ------------------------------------------------------------------------------


def bench_bundles(urls: dict[int, str], count: int) -> dict[str, Any]:
    """Sequential two-leg bundles (901 + 902 transfers from dev account 8), automine."""
    a, b = CHAINS[0], CHAINS[1]
    legs_a = transfers(a, 8, nonce_of(urls[a], 8), count)
    legs_b = transfers(b, 8, nonce_of(urls[b], 8), count)
    latencies = []
    before = superblock_height(urls[a])
    with RpcClient(urls[a]) as client:
        started = time.perf_counter()
        for (raw_a, _), (raw_b, _) in zip(legs_a, legs_b, strict=True):
            t0 = time.perf_counter()
            status = client.call("xr_sendBundle", [{"txs": [raw_a, raw_b]}])
            latencies.append(time.perf_counter() - t0)
            if status.get("status") != "included":
                raise RuntimeError(f"bundle not included on return: {status}")
        elapsed = time.perf_counter() - started
        last_a = client.call("eth_getTransactionReceipt", [legs_a[-1][1]])
    with RpcClient(urls[b]) as client:
        last_b = client.call("eth_getTransactionReceipt", [legs_b[-1][1]])
    if last_a is None or last_b is None or last_a["blockNumber"] != last_b["blockNumber"]:
        raise RuntimeError("the last bundle's legs are not in one superblock")
    ms = [x * 1000 for x in latencies]
    return {
        "bundles": count, "seconds": elapsed, "bundles_per_s": count / elapsed,
        "latency_ms_p50": percentile(ms, 50), "latency_ms_p99": percentile(ms, 99), "latency_ms_max": max(ms),
        "superblocks": superblock_height(urls[a]) - before,
    }


def bench_sequential(url: str, chain_id: int, count: int, account: int = 9) -> dict[str, Any]:
    txs = transfers(chain_id, account, nonce_of(url, account), count)
    with RpcClient(url) as client:
        started = time.perf_counter()
        for raw, _ in txs:
            client.call("eth_sendRawTransaction", [raw])
        wait_included(client, txs[-1][1])
        elapsed = time.perf_counter() - started
    return {"transfers": count, "seconds": elapsed, "tx_per_s": count / elapsed}


def bench_concurrent(urls: dict[int, str], per_client: int) -> dict[str, Any]:
    """8 clients (dev accounts 0..7) spread over the chains, each its own thread and connection."""
    plan = []
    for account in range(CLIENTS):
        cid = CHAINS[account % len(CHAINS)]
        plan.append((account, cid, transfers(cid, account, nonce_of(urls[cid], account), per_client)))
    clients = [RpcClient(urls[cid]) for _, cid, _ in plan]
    for c in clients:  # connect before the clock starts
        c.call("eth_chainId")
    before = superblock_height(urls[CHAINS[0]])
    timed = send_concurrently(clients, [txs for _, _, txs in plan])
    elapsed = timed.elapsed
    for c in clients:
        c.close()
    total = per_client * CLIENTS
    superblocks = superblock_height(urls[CHAINS[0]]) - before
    return {
        "clients": CLIENTS, "transfers": total, "seconds": elapsed, "tx_per_s": total / elapsed,
        "ack_seconds": timed.acked, "superblocks": superblocks,
        "tx_per_superblock": total / superblocks if superblocks else float("nan"),
    }


def bench_replay(state_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([xrollup_executable(), "replay", str(state_dir)], capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    if done.returncode != 0 or "replay OK" not in done.stdout:
        raise RuntimeError(f"xrollup replay failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-1500:]}")
    count = int(re.search(r"replay OK: (\d+) superblocks", done.stdout).group(1))  # type: ignore[union-attr]
    rate = re.search(r"\((\d+(?:\.\d+)?) superblocks/s\)", done.stdout)
    return {"superblocks": count, "wall_seconds": wall, "superblocks_per_s": float(rate.group(1)) if rate else None,
            "wall_superblocks_per_s": count / wall}


# -- the run ----------------------------------------------------------------------------------------


def urls_of(server: Any, chains: Sequence[int]) -> dict[int, str]:
    return dict(zip(chains, server.urls, strict=True))


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine_summary(), "quick": args.quick, "block_time": args.block_time}
    with tempfile.TemporaryDirectory(prefix="xr-bench-seq-") as tmp:
        state_dir = Path(tmp) / "state"
        log("one-chain devnet (automine): sequential transfers ...")
        with xrollup_devnet((CHAINS[0],)) as single:
            urls = urls_of(single, (CHAINS[0],))
            warm_up(urls)
            results["single_chain_sequential"] = bench_sequential(urls[CHAINS[0]], CHAINS[0], args.transfers)

        log("3-chain devnet (automine): bundles, sequential and concurrent transfers ...")
        with xrollup_devnet(CHAINS) as three:
            urls = urls_of(three, CHAINS)
            warm_up(urls)
            results["bundles_automine"] = bench_bundles(urls, args.bundles)
            results["three_chain_sequential"] = bench_sequential(urls[CHAINS[0]], CHAINS[0], args.transfers)
            results["concurrent_automine"] = bench_concurrent(urls, args.per_client)

        log(f"3-chain devnet (--block-time {args.block_time}): concurrent transfers ...")
        with xrollup_devnet(CHAINS, ["--block-time", str(args.block_time)]) as interval:
            urls = urls_of(interval, CHAINS)
            warm_up(urls)
            results["concurrent_interval"] = bench_concurrent(urls, args.per_client)

        log("3-chain devnet (automine, --state-dir): bundles and transfers for the log ...")
        with xrollup_devnet(CHAINS, ["--state-dir", str(state_dir)]) as durable:
            urls = urls_of(durable, CHAINS)
            warm_up(urls)
            results["bundles_state_dir"] = bench_bundles(urls, args.bundles)
            results["sequential_state_dir"] = bench_sequential(urls[CHAINS[2]], CHAINS[2], args.transfers)

        log("xrollup replay of that state dir ...")
        results["replay"] = bench_replay(state_dir)

    base = results["single_chain_sequential"]["tx_per_s"]
    p50 = results["bundles_automine"]["latency_ms_p50"]
    results["targets"] = {
        "bundle_latency_p50_below_20ms": {"value_ms": p50, "met": p50 < LATENCY_TARGET_MS},
        "concurrent_automine_2x_sequential": {
            "ratio": results["concurrent_automine"]["tx_per_s"] / base,
            "met": results["concurrent_automine"]["tx_per_s"] >= RATIO_TARGET * base},
        "concurrent_interval_2x_sequential": {
            "ratio": results["concurrent_interval"]["tx_per_s"] / base,
            "met": results["concurrent_interval"]["tx_per_s"] >= RATIO_TARGET * base},
    }
    return results


def met(flag: bool) -> str:
    return "MET" if flag else "NOT MET"


def report(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"xrollup shared sequencer benchmark{' (--quick: tiny counts, not a measurement)' if r['quick'] else ''}")
    print(f"machine: {m['cpus_usable']} CPUs usable, Python {m['python']}, load {m['loadavg']}")
    b = r["bundles_automine"]
    print(f"bundles (automine, 3 chains): {b['bundles']} two-leg bundles: {b['bundles_per_s']:.1f} bundles/s, "
          f"latency p50 {b['latency_ms_p50']:.2f} ms, p99 {b['latency_ms_p99']:.2f} ms "
          f"({b['superblocks']} superblocks)")
    bd, sd = r["bundles_state_dir"], r["sequential_state_dir"]
    print(f"with --state-dir (a JSON line + fsync per superblock): {bd['bundles_per_s']:.1f} bundles/s, "
          f"latency p50 {bd['latency_ms_p50']:.2f} ms, p99 {bd['latency_ms_p99']:.2f} ms; "
          f"sequential transfers {sd['tx_per_s']:.1f} tx/s")
    s1, s3 = r["single_chain_sequential"], r["three_chain_sequential"]
    print(f"single-chain sequential transfers (automine, 1-chain devnet): {s1['tx_per_s']:.1f} tx/s "
          f"({s1['transfers']} transfers)")
    print(f"sequential transfers on one chain of the 3-chain devnet (automine): {s3['tx_per_s']:.1f} tx/s")
    for key, label in (("concurrent_automine", "automine"), ("concurrent_interval", f"interval {r['block_time']} s")):
        c = r[key]
        print(f"concurrent transfers, {c['clients']} clients over 3 chains ({label}): {c['tx_per_s']:.1f} tx/s "
              f"({c['transfers']} transfers in {c['seconds']:.2f} s, {c['superblocks']} superblocks, "
              f"{c['tx_per_superblock']:.1f} tx/superblock)")
    rp = r["replay"]
    rate = f"{rp['superblocks_per_s']:.0f}" if rp["superblocks_per_s"] is not None else "?"
    print(f"replay: {rp['superblocks']} superblocks: {rate} superblocks/s as xrollup replay reports it "
          f"({rp['wall_seconds']:.2f} s wall including start-up: {rp['wall_superblocks_per_s']:.0f} superblocks/s)")
    t = r["targets"]
    print("targets:")
    print(f"  bundle latency p50 < {LATENCY_TARGET_MS:.0f} ms: {met(t['bundle_latency_p50_below_20ms']['met'])} "
          f"(p50 {t['bundle_latency_p50_below_20ms']['value_ms']:.2f} ms)")
    for key, label in (("concurrent_automine_2x_sequential", "automine"),
                       ("concurrent_interval_2x_sequential", f"interval {r['block_time']} s")):
        print(f"  3-chain concurrent >= {RATIO_TARGET:.0f}x single-chain sequential ({label}): {met(t[key]['met'])} "
              f"(ratio {t[key]['ratio']:.2f}x)")


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="tiny counts (a smoke test, not a measurement)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write the results as JSON to FILE (or, without FILE, as the last line of stdout)")
    ap.add_argument("--bundles", type=int, default=None, help="timed two-leg bundles (default 300; quick: 10)")
    ap.add_argument("--transfers", type=int, default=None, help="timed sequential transfers (default 500; quick: 20)")
    ap.add_argument("--per-client", type=int, default=None,
                    help=f"transfers per concurrent client, {CLIENTS} clients (default 150; quick: 5)")
    ap.add_argument("--block-time", type=float, default=0.05, help="interval mode's block time in s (default 0.05)")
    args = ap.parse_args(argv)
    for name, full, quick in (("bundles", 300, 10), ("transfers", 500, 20), ("per_client", 150, 5)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.block_time <= 0:
        ap.error("--block-time must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    report(results)
    write_json(json_safe(results), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
