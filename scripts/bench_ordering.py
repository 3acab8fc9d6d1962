#!/usr/bin/env python3
"""Benchmark the ordering policies: transfer throughput under each, as a ratio to ``fifo``.

One run on this machine, against one real ``xrollup`` subprocess (chains 901 and 902, automine,
``--admin.port 0``) over HTTP. The policy is switched with ``xr_setOrdering`` between
measurements, and the policies take turns round after round, so that every ratio compares
figures from the same minutes of the same process:

* sequential: one client sends pre-signed transfers on 901 one after the other (each send
  answers once its superblock is mined), timed until the last is included;
* concurrent: 8 clients (dev accounts 0..7), one thread and keep-alive connection each, spread
  over both chains, timed until every transfer is included.

Policies: ``fifo`` (the baseline), ``fees``, ``random``, ``encrypted``, ``express-lane`` with
no delay (the sequential client, and concurrent client 0, is the round's controller: the
policy's work without its designed wait), and ``express-lane`` with its 0.2 s delay and no
controller (the wait itself: a sender's transaction is held 0.2 s, so this row runs fewer
transfers). The figure of a policy is the median over the rounds; a ratio is that median over
``fifo``'s, with the range of the per-round ratios.

    .venv/bin/python scripts/bench_ordering.py [--quick] [--rounds N] [--transfers N]
                                              [--per-client N] [--json [FILE]]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from _bench_common import (
    RpcClient,
    dev_keys,
    log,
    machine_summary,
    median,
    presign,
    print_table,
    send_concurrently,
    wait_included,
    write_json,
    xrollup_devnet,
)

CHAINS = (901, 902)
CLIENTS = 8
SEQ_ACCOUNT = 8  # the sequential client's sender
DELAY = 0.2  # express-lane's default delay (Timeboost's)


KEYS = dev_keys()
SINK = KEYS[9].address


@dataclass(frozen=True)
class Policy:
    label: str
    setting: dict[str, Any]
    controller: bool = False  # the sequential client / concurrent client 0 controls the lane
    scale: float = 1.0  # share of the transfer counts this row runs


POLICIES = (
    Policy("fifo", {"policy": "fifo"}),
    Policy("fees", {"policy": "fees"}),
    Policy("random", {"policy": "random", "seed": 1}),
    Policy("encrypted", {"policy": "encrypted"}),
    Policy("express-lane, delay 0, controller", {"policy": "express-lane", "round": 3600, "delay": 0},
           controller=True),
    Policy(f"express-lane, delay {DELAY} s, no controller", {"policy": "express-lane", "round": 3600, "delay": DELAY},
           scale=0.05),
)


def transfers(chain_id: int, account: int, first_nonce: int, count: int) -> list[tuple[str, str]]:
    """Pre-signed transfers to the sink, their tips spread over 7 wei (something for fees to sort)."""
    return presign(KEYS[account].key, chain_id, first_nonce, count, SINK, tip_spread=7)


def nonce_of(client: RpcClient, account: int) -> int:
    return int(client.call("eth_getTransactionCount", [KEYS[account].address, "pending"]), 16)


def set_policy(client: RpcClient, policy: Policy, controller: int) -> None:
    client.call("xr_setOrdering", [policy.setting, None])
    if policy.controller:
        client.call("xr_setExpressLane", [KEYS[controller].address, None])


def sequential(urls: dict[int, str], policy: Policy, count: int) -> float:
    """Transfers per second of one client sending on 901, one after the other."""
    url = urls[CHAINS[0]]
    with RpcClient(url) as client:
        set_policy(client, policy, SEQ_ACCOUNT)
        txs = transfers(CHAINS[0], SEQ_ACCOUNT, nonce_of(client, SEQ_ACCOUNT), count)
        started = time.perf_counter()
        for raw, _ in txs:
            client.call("eth_sendRawTransaction", [raw])
        wait_included(client, txs[-1][1])
        return count / (time.perf_counter() - started)


def concurrent(urls: dict[int, str], policy: Policy, per_client: int) -> float:
    """Transfers per second of 8 clients over both chains, each its own thread and connection."""
    with RpcClient(urls[CHAINS[0]]) as admin:
        set_policy(admin, policy, 0)
    plan = []
    clients = []
    for account in range(CLIENTS):
        cid = CHAINS[account % len(CHAINS)]
        client = RpcClient(urls[cid])
        plan.append(transfers(cid, account, nonce_of(client, account), per_client))
        clients.append(client)
    elapsed = send_concurrently(clients, plan).elapsed
    for client in clients:
        client.close()
    return CLIENTS * per_client / elapsed


def warm_up(urls: dict[int, str]) -> None:
    for policy in POLICIES:
        sequential(urls, policy, 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    samples: dict[str, dict[str, list[float]]] = {p.label: {"sequential": [], "concurrent": []} for p in POLICIES}
    with xrollup_devnet(CHAINS, ["--express-lane.delay", str(DELAY)]) as server:
        urls = dict(zip(CHAINS, server.urls, strict=True))
        warm_up(urls)
        for r in range(args.rounds):
            log(f"round {r + 1}/{args.rounds} ...")
            for policy in POLICIES:
                seq = sequential(urls, policy, max(2, round(args.transfers * policy.scale)))
                conc = concurrent(urls, policy, max(1, round(args.per_client * policy.scale)))
                log(f"  {policy.label}: sequential {seq:.1f} tx/s, concurrent {conc:.1f} tx/s")
                samples[policy.label]["sequential"].append(seq)
                samples[policy.label]["concurrent"].append(conc)
        with RpcClient(urls[CHAINS[0]]) as client:
            client.call("xr_setOrdering", [{"policy": "fees"}, None])
    base = samples["fifo"]
    rows: dict[str, Any] = {}
    for policy in POLICIES:
        got = samples[policy.label]
        row: dict[str, Any] = {}
        for kind in ("sequential", "concurrent"):
            ratios = [x / b for x, b in zip(got[kind], base[kind], strict=True)]
            row[kind] = {"tx_per_s": median(got[kind]), "ratio": median(got[kind]) / median(base[kind]),
                         "ratio_min": min(ratios), "ratio_max": max(ratios), "rounds": got[kind]}
        rows[policy.label] = row
    return {"machine": machine_summary(), "quick": args.quick, "rounds": args.rounds, "transfers": args.transfers,
            "per_client": args.per_client, "clients": CLIENTS, "policies": rows}


def report(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"xrollup ordering policies benchmark{' (--quick: tiny counts, not a measurement)' if r['quick'] else ''}")
    print(f"machine: {m['cpus_usable']} CPUs usable, Python {m['python']}, load {m['loadavg']}")
    print(f"{r['rounds']} rounds; sequential: {r['transfers']} transfers on 901 from one client; concurrent: "
          f"{r['clients']} clients x {r['per_client']} transfers over 901 and 902; automine")
    rows = []
    for label, row in r["policies"].items():
        s, c = row["sequential"], row["concurrent"]
        rows.append([label, f"{s['tx_per_s']:.1f}", f"{s['ratio']:.2f}x ({s['ratio_min']:.2f}-{s['ratio_max']:.2f})",
                     f"{c['tx_per_s']:.1f}", f"{c['ratio']:.2f}x ({c['ratio_min']:.2f}-{c['ratio_max']:.2f})"])
    print_table(["policy", "sequential tx/s", "vs fifo", "concurrent tx/s", "vs fifo"], rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="tiny counts (a smoke test, not a measurement)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write the results as JSON to FILE (or, without FILE, as the last line of stdout)")
    ap.add_argument("--rounds", type=int, default=None, help="turns of every policy (default 5; quick: 1)")
    ap.add_argument("--transfers", type=int, default=None, help="sequential transfers per turn (default 300; quick: 20)")
    ap.add_argument("--per-client", type=int, default=None,
                    help=f"transfers per concurrent client per turn, {CLIENTS} clients (default 60; quick: 20)")
    args = ap.parse_args(argv)
    for name, full, quick in (("rounds", 5, 1), ("transfers", 300, 20), ("per_client", 60, 20)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    report(results)
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
