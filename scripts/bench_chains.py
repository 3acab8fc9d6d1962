#!/usr/bin/env python
"""Many chains: what one transaction costs with 100 chains running, against 2.

One run prints every figure of issue "100 chains on one machine", each next to its target:

* automine transfers/s on the first chain with 100 chains vs 2 (sequential, each with its
  receipt; the two devnets run side by side and are timed in alternating rounds, so both saw
  the same minutes of the machine): target >= 0.9x;
* start-up of 100 chains, spawn to every endpoint answering eth_chainId: target < 3 s;
* idle RSS of the 100-chain devnet (VmRSS of the process): target < 400 MB;
* evm_snapshot + evm_revert with 100 chains (median): target < 50 ms;
* stretch, in-process: ``xrollup.api.Devnet(chains=range(1, 1001))`` start-up: target < 10 s.

``--quick`` runs a short version (fewer transfers, 100 in-process chains) for the smoke test;
``--xrollup EXE`` times another build's console script (the in-process figure is this
checkout's); ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import RpcClient, median, print_table, start_server, xrollup_executable  # noqa: E402

FEW, MANY = (901, 902), tuple(range(901, 1001))
KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")  # dev account 0
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def devnet(exe: str, chains: tuple[int, ...]) -> Any:
    ids = ",".join(map(str, chains))
    return start_server(lambda port: [exe, "--chains", ids, "--port", str(port), "--admin.port", "0", "--l1.port", "0", "--silent"],
                        lambda port: [f"http://127.0.0.1:{port + i}" for i in range(len(chains))],
                        count=len(chains), timeout=180)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def signed_transfers(chain_id: int, start: int, count: int) -> list[str]:
    from eth_account import Account

    out = []
    for nonce in range(start, start + count):
        tx = {"chainId": chain_id, "nonce": nonce, "to": TO, "value": 1, "gas": 21_000, "type": 2,
              "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "data": b""}
        out.append("0x" + Account.sign_transaction(tx, KEY).raw_transaction.hex())
    return out


def transfer_round(client: RpcClient, raws: list[str]) -> float:
    """Send ``raws`` one after the other, each with its receipt; transfers per second."""
    started = time.perf_counter()
    for raw in raws:
        tx_hash = client.call("eth_sendRawTransaction", [raw])
        if client.call("eth_getTransactionReceipt", [tx_hash]) is None:
            raise RuntimeError("automine gave no receipt")
    return len(raws) / (time.perf_counter() - started)


def snapshot_revert_ms(client: RpcClient, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        snap = client.call("evm_snapshot")
        if client.call("evm_revert", [snap]) is not True:
            raise RuntimeError("evm_revert failed")
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def in_process_start(count: int) -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from xrollup.api import Devnet

    started = time.perf_counter()
    net = Devnet(chains=range(1, count + 1))
    elapsed = time.perf_counter() - started
    net.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    ap.add_argument("--xrollup", default=None, help="the xrollup console script to time (default: this one)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    exe = args.xrollup or xrollup_executable()
    per_round, rounds, wide = (20, 2, 100) if args.quick else (150, 4, 1000)

    log(f"starting 2 chains and 100 chains ({exe}) ...")
    few = devnet(exe, FEW)
    many = devnet(exe, MANY)
    try:
        time.sleep(1.0)
        assert many.proc is not None
        idle_rss = rss_mb(many.proc.pid)
        c_few, c_many = RpcClient(few.urls[0]), RpcClient(many.urls[0])
        nonce = 0
        rates: dict[str, list[float]] = {"2": [], "100": []}
        for r in range(rounds):
            raws_few = signed_transfers(FEW[0], nonce, per_round)
            raws_many = signed_transfers(MANY[0], nonce, per_round)
            nonce += per_round
            log(f"round {r + 1}/{rounds}: {per_round} transfers on each ...")
            pairs = [("2", c_few, raws_few), ("100", c_many, raws_many)]
            for label, client, raws in pairs if r % 2 == 0 else pairs[::-1]:
                rates[label].append(transfer_round(client, raws))
        busy_rss = rss_mb(many.proc.pid)
        snap_ms = snapshot_revert_ms(c_many, 10 if args.quick else 30)
        c_few.close()
        c_many.close()
    finally:
        startup_few, startup_many = few.startup_s, many.startup_s
        few.stop()
        many.stop()
    log(f"in-process Devnet(chains=range(1, {wide + 1})) ...")
    wide_s = in_process_start(wide)

    tps_few, tps_many = median(rates["2"]), median(rates["100"])
    ratios = [m / f for m, f in zip(rates["100"], rates["2"], strict=True)]
    figures = {
        "transfers_per_s_2_chains": tps_few, "transfers_per_s_100_chains": tps_many,
        "ratio_100_vs_2": median(ratios), "ratio_per_round": ratios,
        "startup_s_2_chains": startup_few, "startup_s_100_chains": startup_many,
        "idle_rss_mb_100_chains": idle_rss, "rss_mb_100_chains_after_transfers": busy_rss,
        "snapshot_revert_ms_100_chains": snap_ms, f"in_process_start_s_{wide}_chains": wide_s,
        "quick": args.quick, "transfers_per_round": per_round, "rounds": rounds,
    }
    print_table(["figure", "value", "target"], [
        ["automine transfers/s, 2 chains", f"{tps_few:.0f}", ""],
        ["automine transfers/s, 100 chains", f"{tps_many:.0f}", ""],
        ["  100 vs 2 chains (median of rounds)", f"{median(ratios):.2f}x", ">= 0.9x"],
        ["start-up, 2 chains", f"{startup_few:.2f} s", ""],
        ["start-up, 100 chains", f"{startup_many:.2f} s", "< 3 s"],
        ["idle RSS, 100 chains", f"{idle_rss:.0f} MB", "< 400 MB"],
        ["RSS after the transfers, 100 chains", f"{busy_rss:.0f} MB", ""],
        ["evm_snapshot + evm_revert, 100 chains", f"{snap_ms:.1f} ms", "< 50 ms"],
        [f"in-process Devnet(chains=range(1, {wide + 1})) start-up", f"{wide_s:.2f} s",
         "< 10 s" if wide == 1000 else "(1000 chains: < 10 s)"],
    ], align="lrl")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
