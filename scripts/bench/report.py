"""The report of ``scripts/bench_rpc.py``: each peer's rounds, the medians and ratios, the
printed tables, the targets (MET / NOT MET) and the same figures as one JSON-ready dict.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from _bench_common import anvil_version, format_table, median

from bench.workload import Round

TARGET_TRANSFER_RATIO = 3.0
TARGET_STARTUP_S = 2.0


@dataclass
class Peer:
    """One peer of the comparison: whether it ran (else why not) and its rounds."""

    name: str
    description: str
    available: bool = True
    reason: str = ""
    rounds: list[Round] = field(default_factory=list)

    def median_of(self, attr: str) -> float:
        values = [getattr(r, attr) for r in self.rounds if getattr(r, attr) is not None]
        return median(values) if values else float("nan")


def fmt_rate(value: float) -> str:
    return f"{value:,.1f}" if math.isfinite(value) else "-"


def fmt_seconds(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "-"


def ratios(xr: Peer, other: Peer) -> dict[str, float]:
    """xrollup / other: for the rates (higher is better) the median of the per-round ratios,
    each from turns timed side by side; for start-up time (lower is better, each timed alone)
    the ratio of the medians."""
    return {
        "transfers_per_s": median(per_round_ratios(xr, other, "transfers_per_s")),
        "calls_per_s": median(per_round_ratios(xr, other, "calls_per_s")),
        "dev_transfers_per_s": median(per_round_ratios(xr, other, "dev_transfers_per_s") or [math.nan]),
        "startup_time": xr.median_of("startup_s") / other.median_of("startup_s"),
    }


def per_round_ratios(xr: Peer, other: Peer, attr: str) -> list[float]:
    """xrollup / other for ``attr`` within each round (both timed in alternating turns); rounds
    where either peer has no figure (no eth_sendTransaction path) are left out."""
    return [getattr(a, attr) / getattr(b, attr) for a, b in zip(xr.rounds, other.rounds, strict=False)
            if getattr(a, attr) is not None and getattr(b, attr) is not None]


def ratio_lines(label: str, r: dict[str, float], xr: Peer, other: Peer) -> list[str]:
    xs, os_ = xr.median_of("startup_s"), other.median_of("startup_s")

    def spread(attr: str) -> str:
        values = per_round_ratios(xr, other, attr)
        return f"; per round {', '.join(f'{v:.2f}' for v in values)}" if len(values) > 1 else ""

    return [
        f"xrollup vs {label}:",
        f"  transfers/s  {r['transfers_per_s']:8.2f}x  (xrollup / {label}, median of the rounds' ratios; higher is "
        f"better{spread('transfers_per_s')})",
        f"  eth_call/s   {r['calls_per_s']:8.2f}x  (xrollup / {label}, median of the rounds' ratios; higher is "
        f"better{spread('calls_per_s')})",
        *([f"  sendTx/s     {r['dev_transfers_per_s']:8.2f}x  (xrollup / {label}, eth_sendTransaction from a dev "
           f"account; higher is better{spread('dev_transfers_per_s')})"] if math.isfinite(r["dev_transfers_per_s"]) else []),
        f"  start-up     {r['startup_time']:8.2f}x  (xrollup {xs:.3f} s / {label} {os_:.3f} s, time; lower is better)",
    ]


def report(peers: list[Peer], args: argparse.Namespace, machine: dict[str, Any], versions: dict[str, str],
           warmups: tuple[int, int], anvil_note: str) -> dict[str, Any]:
    """Print the figures of ``peers`` (which must include "xrollup" and "eth-tester") and return
    them as a dict for ``--json`` (pass it through ``json_safe`` first)."""
    by_name = {p.name: p for p in peers}
    xr, et = by_name["xrollup"], by_name["eth-tester"]
    anvil = by_name.get("anvil")
    load = " ".join(f"{x:.2f}" for x in machine["loadavg"]) or "n/a"
    print()
    print("== xrollup RPC benchmark ==")
    print(f"machine: {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable), Python {machine['python']} "
          f"({machine['implementation']}, {machine['platform']}), load average now {load}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"workload: {args.transfers} sequential automine ETH transfers (pre-signed EIP-1559, eth_sendRawTransaction, "
          f"each returns once mined), as many through eth_sendTransaction from a dev account (signed by the "
          f"peer), {args.calls} sequential eth_call of Counter.number(); "
          f"{warmups[0]} transfers and {warmups[1]} calls of warm-up untimed; the peers take turns of "
          f"{args.chunk} transfers and {2 * args.chunk} calls; median of {args.rounds} round(s)")
    print()
    rows = []
    for p in peers:
        if p.available and p.rounds:
            rows.append([p.name, fmt_rate(p.median_of("transfers_per_s")), fmt_rate(p.median_of("calls_per_s")),
                         fmt_seconds(p.median_of("startup_s"))])
    print(format_table(["peer", "transfers/s", "eth_call/s", "start-up (s)"], rows))
    dev = [f"{p.name} {fmt_rate(p.median_of('dev_transfers_per_s'))}/s "
           f"(p50 {p.median_of('dev_transfer_p50_ms'):.2f} ms)"
           for p in peers if p.available and p.rounds and math.isfinite(p.median_of("dev_transfers_per_s"))]
    if dev:
        print("eth_sendTransaction transfers (dev account, signed by the peer): " + ", ".join(dev))
    print()
    for p in peers:
        if p.available:
            print(f"  {p.name}: {p.description}")
    cold = et.median_of("cold_startup_s")
    print(f"  eth-tester start-up in a fresh interpreter (imports included, as for a spawned server): {cold:.3f} s")
    if anvil is None or not anvil.available:
        print(f"  anvil: not available ({anvil.reason if anvil else anvil_note})")
    print()
    lat_rows = [[p.name, f"{p.median_of('transfer_p50_ms'):.2f}", f"{p.median_of('transfer_p95_ms'):.2f}",
                 f"{p.median_of('call_p50_ms'):.3f}", f"{p.median_of('call_p95_ms'):.3f}"]
                for p in peers if p.available and p.rounds]
    print("per-request latency, ms (median over rounds):")
    print(format_table(["peer", "transfer p50", "transfer p95", "eth_call p50", "eth_call p95"], lat_rows))
    if args.rounds > 1:
        print()
        print("per round (transfers/s | eth_call/s | start-up s):")
        for p in peers:
            if p.available:
                cells = [f"{r.transfers_per_s:,.1f} | {r.calls_per_s:,.1f} | {r.startup_s:.3f}" for r in p.rounds]
                print(f"  {p.name:<11} " + "   ".join(cells))
    print()

    vs_et = ratios(xr, et)
    for line in ratio_lines("eth-tester", vs_et, xr, et):
        print(line)
    vs_et["startup_time_vs_fresh_interpreter"] = xr.median_of("startup_s") / cold
    print(f"  start-up     {vs_et['startup_time_vs_fresh_interpreter']:8.2f}x  (xrollup {xr.median_of('startup_s'):.3f} s / "
          f"eth-tester in a fresh interpreter {cold:.3f} s, time; lower is better)")
    print("  (eth-tester runs in-process with no HTTP or JSON; xrollup pays both, so these ratios are conservative "
          "for xrollup)")
    vs_anvil = ratios(xr, anvil) if anvil is not None and anvil.available and anvil.rounds else None
    if vs_anvil is not None and anvil is not None:
        for line in ratio_lines("anvil", vs_anvil, xr, anvil):
            print(line)
    print()

    transfer_ok = vs_et["transfers_per_s"] >= TARGET_TRANSFER_RATIO
    startup = xr.median_of("startup_s")
    startup_ok = startup < TARGET_STARTUP_S
    print("targets:")
    print(f"  transfers/s >= {TARGET_TRANSFER_RATIO:g}x eth-tester:  {vs_et['transfers_per_s']:.2f}x  "
          f"-> {'MET' if transfer_ok else 'NOT MET'}")
    print(f"  two-chain start-up < {TARGET_STARTUP_S:g} s:      {startup:.3f} s  -> {'MET' if startup_ok else 'NOT MET'}")
    reconnects = sum(r.reconnects for p in peers for r in p.rounds)
    if reconnects:
        print(f"  note: the HTTP client had to reconnect {reconnects} time(s) during timed loops (keep-alive dropped)")
    for p in peers:
        short = [r.blocks_mined for r in p.rounds if r.blocks_mined < args.transfers]
        if short:
            print(f"  note: {p.name} mined fewer blocks than transfers in a round ({short}): not one block per tx")
    sys.stdout.flush()

    return {
        "machine": machine,
        "versions": versions,
        "config": {"transfers": args.transfers, "calls": args.calls, "rounds": args.rounds,
                   "warmup_transfers": warmups[0], "warmup_calls": warmups[1]},
        "peers": {
            p.name: {
                "available": p.available, "reason": p.reason, "description": p.description,
                "median": ({k: p.median_of(k) for k in asdict(p.rounds[0])} if p.rounds else None),
                "rounds": [asdict(r) for r in p.rounds],
            }
            for p in peers
        },
        "ratios": {"eth-tester": vs_et, **({"anvil": vs_anvil} if vs_anvil is not None else {})},
        "ratios_per_round": {
            p.name: {attr: per_round_ratios(xr, p, attr)
                     for attr in ("transfers_per_s", "dev_transfers_per_s", "calls_per_s", "startup_s")}
            for p in peers if p.name != "xrollup" and p.rounds
        },
        "targets": {
            "transfers_vs_eth_tester": {"target": TARGET_TRANSFER_RATIO, "value": vs_et["transfers_per_s"],
                                        "met": transfer_ok},
            "two_chain_startup_s": {"target": TARGET_STARTUP_S, "value": startup, "met": startup_ok},
        },
    }


def json_safe(value: Any) -> Any:
    """``value`` with NaN / infinite floats (a figure that was not measured) as null, for strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def versions_of(anvil_exe: str | None) -> dict[str, str]:
    out = {}
    for dist in ("xrollup", "py-evm", "eth-tester", "web3"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "?"
    if anvil_exe:
        out["anvil"] = (anvil_version(anvil_exe) or "?").removeprefix("anvil Version: ")
    return out
