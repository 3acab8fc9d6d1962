#!/usr/bin/env python3
"""Benchmark xrollup's JSON-RPC against eth-tester (py-evm, in-process) and, where available, anvil.

Prints, from one run on this machine:

* sequential automine ETH transfers per second on one chain: pre-signed EIP-1559 transfers
  (signed outside the timed loop) sent one after the other with ``eth_sendRawTransaction``
  over one keep-alive HTTP connection; every one returns after its block is mined;
* ``eth_call`` per second: sequential calls of ``Counter.number()``;
* start-up time from process spawn to the first ``eth_chainId`` answer (on both chains for
  xrollup's two-chain devnet);

for xrollup, for eth-tester's ``PyEVMBackend`` in-process (no HTTP, so the ratios are
conservative for xrollup) and for anvil when it is on PATH or installed with ``--install-anvil``.
Every figure is the median over ``--rounds`` rounds. In a round every peer is started (its
start-up timed), then the peers take turns of ``--chunk`` transfers (and of twice as many
calls), the order rotating each turn, so that each peer is timed across the same minutes: on a
shared host this machine's speed can swing 2x within a run.
Targets (printed MET / NOT MET, never an exit status): transfers/s at least 3x eth-tester's,
and a two-chain start-up under 2 s.

    .venv/bin/python scripts/bench_rpc.py [--transfers 500] [--calls 1000] [--rounds 3]
                                         [--chunk 50] [--install-anvil] [--no-anvil] [--quick] [--json [FILE]]

The pieces: ``bench/workload.py`` the transfers and calls and their checks, ``bench/sessions.py``
starts and drives the peers, ``bench/report.py`` prints the figures; this script parses the
command line, picks the peers and runs the rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from _bench_common import (
    DEFAULT_ANVIL_DIR,
    ServerStartError,
    anvil_version,
    find_anvil,
    install_anvil,
    machine_summary,
    write_json,
)
from bench.report import Peer, json_safe, report, versions_of
from bench.sessions import ANVIL_CHAIN_ID, XROLLUP_CHAINS, cold_eth_tester_startup, open_session, run_round
from bench.workload import BenchError

CHUNK = 50  # transfers per turn: the peers take turns, so each is timed across the same minutes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--transfers", type=int, default=None, help="timed transfers per round (default 500; quick: 10)")
    ap.add_argument("--calls", type=int, default=None, help="timed eth_calls per round (default 1000; quick: 20)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds; figures are medians (default 3; quick: 1)")
    ap.add_argument("--quick", action="store_true", help="tiny counts, one round (a smoke test, not a measurement)")
    ap.add_argument("--chunk", type=int, default=CHUNK,
                    help=f"transfers per turn when the peers take turns within a round (default {CHUNK}; "
                         "eth_calls take turns of twice as many)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write the results as JSON to FILE (or as the last line of stdout without FILE)")
    ap.add_argument("--anvil-dir", type=Path, default=DEFAULT_ANVIL_DIR,
                    help=f"where --install-anvil installs anvil and where it is looked for (default {DEFAULT_ANVIL_DIR})")
    ap.add_argument("--install-anvil", action="store_true",
                    help="npm install @foundry-rs/anvil under --anvil-dir first (needs only the npm registry)")
    ap.add_argument("--no-anvil", action="store_true", help="skip anvil even when it is available")
    args = ap.parse_args(argv)
    quick = {"transfers": 10, "calls": 20, "rounds": 1}
    full = {"transfers": 500, "calls": 1000, "rounds": 3}
    if args.chunk < 1:
        ap.error("--chunk must be at least 1")
    for name, default in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_summary()
    warmups = (2, 5) if args.quick else (5, 20)

    anvil_exe: str | None = None
    anvil_note = "skipped (--no-anvil)"
    if not args.no_anvil:
        if args.install_anvil:
            log(f"installing anvil: npm install --prefix {args.anvil_dir} @foundry-rs/anvil ...")
            anvil_exe, anvil_note = install_anvil(args.anvil_dir)
            log(f"anvil: {anvil_note}")
        else:
            anvil_exe = find_anvil(args.anvil_dir)
            anvil_note = ("not on PATH nor under " f"{args.anvil_dir}; --install-anvil installs it from npm")
        if anvil_exe is not None and anvil_version(anvil_exe) is None:
            anvil_note, anvil_exe = f"{anvil_exe} does not run on this machine", None

    peers = [
        Peer("xrollup", f"{len(XROLLUP_CHAINS)} chains ({','.join(map(str, XROLLUP_CHAINS))}) in one subprocess, "
                        "measured on chain 901 over HTTP (one keep-alive connection); start-up = spawn to both "
                        "chains answering eth_chainId"),
        Peer("eth-tester", "EthereumTester(PyEVMBackend()) in-process: transfers via send_raw_transaction, eth_call "
                           "via Web3(EthereumTesterProvider); start-up = constructing it and answering eth_chainId "
                           "(imports already done)"),
    ]
    if anvil_exe is not None:
        peers.append(Peer("anvil", f"{anvil_exe} --silent subprocess (chain {ANVIL_CHAIN_ID}), over HTTP "
                                   "(one keep-alive connection); its automine answers eth_sendRawTransaction before "
                                   "mining, so each timed transfer also polls eth_getTransactionReceipt until mined; "
                                   "start-up = spawn to first eth_chainId answer"))

    for index in range(args.rounds):
        order = peers[index % len(peers):] + peers[:index % len(peers)]  # rotate so no peer always goes first
        try:
            with contextlib.ExitStack() as stack:
                sessions = []
                for peer in order:
                    if not peer.available:
                        continue
                    gc.collect()
                    try:
                        sessions.append(open_session(peer.name, stack, args.transfers, warmups, anvil_exe))
                    except (ServerStartError, OSError) as exc:
                        if peer.name != "anvil":
                            log(f"{peer.name} failed: {exc}")
                            return 2
                        peer.available, peer.reason = False, f"failed to run: {str(exc).splitlines()[0]}"
                        anvil_note = peer.reason
                gc.collect()
                results_by_peer = run_round(sessions, args.calls, args.chunk)
        except BenchError as exc:
            log(f"correctness check FAILED: {exc}")
            return 3
        for peer in peers:
            result = results_by_peer.get(peer.name)
            if result is None:
                continue
            if peer.name == "eth-tester":
                result.cold_startup_s = cold_eth_tester_startup()
            peer.rounds.append(result)
            log(f"round {index + 1}/{args.rounds} {peer.name:<10}: {result.transfers_per_s:8.1f} transfers/s "
                f"{result.calls_per_s:9.1f} eth_call/s  start-up {result.startup_s:.3f} s")

    results = report(peers, args, machine, versions_of(anvil_exe if any(p.name == "anvil" for p in peers) else None),
                     warmups, anvil_note)
    write_json(json_safe(results), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
