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
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import math
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _bench_common import (
    DEFAULT_ANVIL_DIR,
    DEV_KEY_0,
    RpcClient,
    ServerProcess,
    ServerStartError,
    anvil_node,
    anvil_version,
    find_anvil,
    format_table,
    install_anvil,
    machine_summary,
    median,
    percentile,
    xrollup_devnet,
)
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import function_signature_to_4byte_selector, keccak
from web3 import EthereumTesterProvider, Web3

from bridge_contracts import load_artifact

XROLLUP_CHAINS = (901, 902)
ETH_TESTER_CHAIN_ID = 131277322940537
ANVIL_CHAIN_ID = 31337
TRANSFER_TO = "0x000000000000000000000000000000000000bEEF"
TRANSFER_VALUE = 1
TIP_WEI = 1_000_000_000
COUNTER_INITIAL = 42
DEPLOY_GAS = 3_000_000
NUMBER_CALLDATA = "0x" + function_signature_to_4byte_selector("number()").hex()
EXPECTED_NUMBER = "0x" + abi_encode(["uint256"], [COUNTER_INITIAL]).hex()

TARGET_TRANSFER_RATIO = 3.0
CHUNK = 50  # transfers per turn: the peers take turns, so each is timed across the same minutes
TARGET_STARTUP_S = 2.0

COLD_ETH_TESTER = (
    "from eth_tester import EthereumTester, PyEVMBackend\n"
    "from web3 import EthereumTesterProvider, Web3\n"
    "print(Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend()))).eth.chain_id)\n"
)


class BenchError(RuntimeError):
    """A peer did not do what the workload expects (a correctness failure, not a slow result)."""


@dataclass
class Round:
    transfers_per_s: float
    calls_per_s: float
    startup_s: float
    transfer_p50_ms: float
    transfer_p95_ms: float
    call_p50_ms: float
    call_p95_ms: float
    blocks_mined: int
    reconnects: int = 0
    cold_startup_s: float | None = None


@dataclass
class Peer:
    name: str
    description: str
    available: bool = True
    reason: str = ""
    rounds: list[Round] = field(default_factory=list)

    def median_of(self, attr: str) -> float:
        values = [getattr(r, attr) for r in self.rounds if getattr(r, attr) is not None]
        return median(values) if values else float("nan")


# --------------------------------------------------------------------------- workload pieces


def fee_caps(base_fee: int) -> tuple[int, int]:
    """(maxFeePerGas, maxPriorityFeePerGas) that stay valid while automine lowers the base fee."""
    return 2 * base_fee + TIP_WEI, TIP_WEI


def sign_transfers(key: str, chain_id: int, first_nonce: int, count: int, base_fee: int) -> list[str]:
    max_fee, tip = fee_caps(base_fee)
    raws = []
    for nonce in range(first_nonce, first_nonce + count):
        tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": TRANSFER_TO, "value": TRANSFER_VALUE,
              "gas": 21_000, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip, "data": b""}
        raws.append("0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex())
    return raws


def sign_counter_deploy(key: str, chain_id: int, nonce: int, base_fee: int) -> str:
    artifact = load_artifact("Counter")
    code = artifact["bytecode"]
    code = code if isinstance(code, str) else code["object"]
    data = bytes.fromhex(code.removeprefix("0x")) + abi_encode(["uint256"], [COUNTER_INITIAL])
    max_fee, tip = fee_caps(base_fee)
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": b"", "value": 0, "gas": DEPLOY_GAS,
          "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip, "data": data}
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


def tx_hash(raw_hex: str) -> str:
    return "0x" + keccak(hexstr=raw_hex).hex()


def timed(fn: Callable[[str], Any], args: Sequence[str]) -> tuple[float, list[float], list[Any]]:
    """Call ``fn`` on every argument in turn: (elapsed seconds, per-call latencies, results)."""
    latencies: list[float] = []
    results: list[Any] = []
    clock = time.perf_counter
    started = clock()
    for arg in args:
        t = clock()
        results.append(fn(arg))
        latencies.append(clock() - t)
    return clock() - started, latencies, results


def check_hashes(peer: str, raws: Sequence[str], hashes: Sequence[Any]) -> None:
    for raw, got in zip(raws, hashes, strict=True):
        got_hex = got if isinstance(got, str) else "0x" + bytes(got).hex()
        if got_hex.lower() != tx_hash(raw):
            raise BenchError(f"{peer}: eth_sendRawTransaction returned {got_hex}, expected {tx_hash(raw)}")


def check_calls(peer: str, results: Sequence[Any]) -> None:
    for got in results:
        got_hex = got if isinstance(got, str) else "0x" + bytes(got).hex()
        if got_hex.lower() != EXPECTED_NUMBER:
            raise BenchError(f"{peer}: eth_call number() returned {got_hex}, expected {EXPECTED_NUMBER}")


def make_round(startup: float, transfers: tuple[float, list[float]], calls: tuple[float, list[float]],
               blocks: int, reconnects: int = 0) -> Round:
    (t_elapsed, t_lat), (c_elapsed, c_lat) = transfers, calls
    return Round(
        transfers_per_s=len(t_lat) / t_elapsed, calls_per_s=len(c_lat) / c_elapsed, startup_s=startup,
        transfer_p50_ms=percentile(t_lat, 50) * 1e3, transfer_p95_ms=percentile(t_lat, 95) * 1e3,
        call_p50_ms=percentile(c_lat, 50) * 1e3, call_p95_ms=percentile(c_lat, 95) * 1e3,
        blocks_mined=blocks, reconnects=reconnects,
    )


# --------------------------------------------------------------------------- peers


class Session(ABC):
    """One peer, started, with a Counter deployed, warmed up and its timed transfers signed.

    A round interleaves the peers' sessions in chunks (``timed_chunks``), so each peer's
    figure averages over the same minutes of this machine's speed, which can swing 2x within
    a run on a shared host; one peer's whole run after another's would compare two phases.
    """

    name: str
    startup_s: float
    raws: list[str]
    reconnects = 0

    @abstractmethod
    def send(self, raw: str) -> Any:
        """Send one pre-signed transfer; returns its hash once it is mined."""

    @abstractmethod
    def call(self, _: str) -> Any:
        """One eth_call of Counter.number()."""

    @abstractmethod
    def verify(self, hashes: Sequence[Any]) -> int:
        """Check that every timed transfer was mined and succeeded; returns the blocks mined
        during the timed transfers. Raises BenchError."""

    def close(self) -> None:  # noqa: B027 - most sessions hold nothing to release
        """Release what the session holds (its connection)."""

    def warm_up(self, key: str, chain_id: int, nonce: int, warmups: tuple[int, int], n_transfers: int,
                base_fee: Callable[[], int]) -> int:
        """Untimed transfers and calls, then the timed transfers signed (``self.raws``) for
        the base fee by then; returns the first timed nonce."""
        for raw in sign_transfers(key, chain_id, nonce, warmups[0], base_fee()):
            self.send(raw)
        for _ in range(warmups[1]):
            self.call("")
        nonce += warmups[0]
        self.raws = sign_transfers(key, chain_id, nonce, n_transfers, base_fee())
        return nonce


def wait_receipt(rpc: RpcClient, h: str, timeout: float = 30.0, pause: float = 0.0) -> dict[str, Any]:
    """Poll ``eth_getTransactionReceipt`` until the transaction is mined."""
    deadline = time.perf_counter() + timeout
    while True:
        receipt = rpc.call("eth_getTransactionReceipt", [h])
        if receipt:
            return dict(receipt)
        if time.perf_counter() > deadline:
            raise BenchError(f"{rpc.url}: transaction {h} not mined after {timeout}s")
        if pause:
            time.sleep(pause)


class HttpSession(Session):
    """A peer's JSON-RPC endpoint over one keep-alive HTTP connection (xrollup or anvil).

    ``confirm``: the peer answers ``eth_sendRawTransaction`` before mining (anvil's automine is
    asynchronous), so each timed transfer also polls for its receipt, to time the same thing:
    a transfer sent and mined.
    """

    def __init__(self, name: str, server: ServerProcess, chain_id: int, n_transfers: int,
                 warmup_transfers: int, warmup_calls: int, confirm: bool = False) -> None:
        self.name, self.startup_s, self.confirm = name, server.startup_s, confirm
        self.rpc = rpc = RpcClient(server.urls[0])
        key = DEV_KEY_0
        sender = Account.from_key(key).address
        got_chain = int(rpc.call("eth_chainId"), 16)
        if got_chain != chain_id:
            raise BenchError(f"{name}: {rpc.url} answers chain id {got_chain}, expected {chain_id}")
        nonce = int(rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
        base_fee = int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)

        deploy = sign_counter_deploy(key, chain_id, nonce, base_fee)
        receipt = wait_receipt(rpc, rpc.call("eth_sendRawTransaction", [deploy]), pause=0.005)
        if int(receipt["status"], 16) != 1 or not receipt.get("contractAddress"):
            raise BenchError(f"{name}: deploying Counter failed: {receipt}")
        self.counter = {"to": receipt["contractAddress"], "data": NUMBER_CALLDATA}
        self.warm_up(key, chain_id, nonce + 1, (warmup_transfers, warmup_calls), n_transfers,
                     lambda: int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16))
        self.first_block = int(rpc.call("eth_blockNumber"), 16)
        self.reconnects_before = rpc.reconnects

    def send(self, raw: str) -> Any:
        h = self.rpc.call("eth_sendRawTransaction", [raw])
        if self.confirm:
            wait_receipt(self.rpc, h)
        return h

    def call(self, _: str) -> Any:
        return self.rpc.call("eth_call", [self.counter, "latest"])

    def verify(self, hashes: Sequence[Any]) -> int:
        self.reconnects = self.rpc.reconnects - self.reconnects_before
        blocks = int(self.rpc.call("eth_blockNumber"), 16) - self.first_block
        check_hashes(self.name, self.raws, hashes)
        for h in hashes:
            r = wait_receipt(self.rpc, h, pause=0.005)
            if int(r["status"], 16) != 1:
                raise BenchError(f"{self.name}: transfer {h} has no successful receipt: {r}")
        return blocks

    def close(self) -> None:
        self.rpc.close()


# --------------------------------------------------------------------------- eth-tester in-process


def cold_eth_tester_startup() -> float:
    """Spawn-to-answer of eth-tester in a fresh interpreter (imports included, like a spawned server)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", COLD_ETH_TESTER], capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if out.returncode != 0 or int(out.stdout.strip() or 0) != ETH_TESTER_CHAIN_ID:
        raise BenchError(f"eth-tester in a fresh interpreter failed: {out.stderr[-500:]}")
    return elapsed


class EthTesterSession(Session):
    """eth-tester's PyEVMBackend in this process: transfers through ``send_raw_transaction``,
    calls through Web3(EthereumTesterProvider)."""

    name = "eth-tester"

    def __init__(self, n_transfers: int, warmup_transfers: int, warmup_calls: int) -> None:
        started = time.perf_counter()
        self.tester = tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(tester))
        chain_id = self.w3.eth.chain_id
        self.startup_s = time.perf_counter() - started
        if chain_id != ETH_TESTER_CHAIN_ID or tester.backend.chain.chain_id != ETH_TESTER_CHAIN_ID:
            raise BenchError(f"eth-tester chain id {chain_id}, expected {ETH_TESTER_CHAIN_ID}")

        key = tester.backend.account_keys[0].to_hex()
        self.sender = Account.from_key(key).address
        nonce = tester.get_nonce(self.sender)
        base_fee = tester.get_block_by_number("latest")["base_fee_per_gas"]
        deploy = sign_counter_deploy(key, ETH_TESTER_CHAIN_ID, nonce, base_fee)
        receipt = tester.get_transaction_receipt(tester.send_raw_transaction(deploy))
        if receipt["status"] != 1 or not receipt["contract_address"]:
            raise BenchError(f"eth-tester: deploying Counter failed: {receipt}")
        self.counter = {"to": Web3.to_checksum_address(receipt["contract_address"]), "data": NUMBER_CALLDATA}
        self.first_nonce = self.warm_up(key, ETH_TESTER_CHAIN_ID, nonce + 1, (warmup_transfers, warmup_calls),
                                        n_transfers, lambda: int(tester.get_block_by_number("latest")["base_fee_per_gas"]))
        self.first_block = tester.get_block_by_number("latest")["number"]
        self.paid_before = tester.get_balance(TRANSFER_TO)

    def send(self, raw: str) -> Any:
        return self.tester.send_raw_transaction(raw)

    def call(self, _: str) -> Any:
        return self.w3.eth.call(self.counter)  # type: ignore[arg-type]

    def verify(self, hashes: Sequence[Any]) -> int:
        tester, n = self.tester, len(self.raws)
        last_block = tester.get_block_by_number("latest")["number"]
        check_hashes(self.name, self.raws, hashes)
        # eth-tester finds a receipt by scanning every block (quadratic over the run), so check the
        # same thing in one pass: every transfer is in a mined block, the nonce moved on and all the
        # ETH arrived.
        mined = {h for b in range(self.first_block + 1, last_block + 1)
                 for h in tester.get_block_by_number(b)["transactions"]}
        missing = [h for h in hashes if h not in mined]
        if missing:
            raise BenchError(f"eth-tester: {len(missing)} transfers not mined, e.g. {missing[0]}")
        if tester.get_nonce(self.sender) != self.first_nonce + n:
            raise BenchError(f"eth-tester: sender nonce {tester.get_nonce(self.sender)}, expected {self.first_nonce + n}")
        if tester.get_balance(TRANSFER_TO) - self.paid_before != n * TRANSFER_VALUE:
            raise BenchError("eth-tester: the recipient did not receive every transfer")
        return int(last_block - self.first_block)


# --------------------------------------------------------------------------- a round


def timed_chunks(sessions: Sequence[Session], work: Callable[[Session], tuple[Callable[[str], Any], list[str]]],
                 chunk: int) -> dict[str, tuple[float, list[float], list[Any]]]:
    """Run each session's work (a function and its arguments) in turns of ``chunk`` calls,
    the order rotating every turn: (elapsed seconds, per-call latencies, results) per peer."""
    jobs = {s.name: work(s) for s in sessions}
    out: dict[str, tuple[float, list[float], list[Any]]] = {s.name: (0.0, [], []) for s in sessions}
    longest = max(len(args) for _, args in jobs.values())
    for turn, start in enumerate(range(0, longest, chunk)):
        k = turn % len(sessions)
        for session in [*sessions[k:], *sessions[:k]]:
            fn, args = jobs[session.name]
            elapsed, latencies, results = timed(fn, args[start:start + chunk])
            total, all_latencies, all_results = out[session.name]
            out[session.name] = (total + elapsed, all_latencies + latencies, all_results + results)
    return out


def run_round(sessions: Sequence[Session], n_calls: int, chunk: int) -> dict[str, Round]:
    """The timed transfers, then the timed calls, of every session, interleaved; then the checks."""
    transfers = timed_chunks(sessions, lambda s: (s.send, s.raws), chunk)
    calls = timed_chunks(sessions, lambda s: (s.call, [""] * n_calls), 2 * chunk)
    rounds = {}
    for s in sessions:
        blocks = s.verify(transfers[s.name][2])
        check_calls(s.name, calls[s.name][2])
        rounds[s.name] = make_round(s.startup_s, transfers[s.name][:2], calls[s.name][:2], blocks, s.reconnects)
    return rounds


# --------------------------------------------------------------------------- report


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
        "startup_time": xr.median_of("startup_s") / other.median_of("startup_s"),
    }


def per_round_ratios(xr: Peer, other: Peer, attr: str) -> list[float]:
    """xrollup / other for ``attr`` within each round (both timed in alternating turns)."""
    return [getattr(a, attr) / getattr(b, attr) for a, b in zip(xr.rounds, other.rounds, strict=False)]


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
        f"  start-up     {r['startup_time']:8.2f}x  (xrollup {xs:.3f} s / {label} {os_:.3f} s, time; lower is better)",
    ]


def report(peers: list[Peer], args: argparse.Namespace, machine: dict[str, Any], versions: dict[str, str],
           warmups: tuple[int, int], anvil_note: str) -> dict[str, Any]:
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
          f"each returns once mined), {args.calls} sequential eth_call of Counter.number(); "
          f"{warmups[0]} transfers and {warmups[1]} calls of warm-up untimed; the peers take turns of "
          f"{args.chunk} transfers and {2 * args.chunk} calls; median of {args.rounds} round(s)")
    print()
    rows = []
    for p in peers:
        if p.available and p.rounds:
            rows.append([p.name, fmt_rate(p.median_of("transfers_per_s")), fmt_rate(p.median_of("calls_per_s")),
                         fmt_seconds(p.median_of("startup_s"))])
    print(format_table(["peer", "transfers/s", "eth_call/s", "start-up (s)"], rows))
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
            p.name: {attr: per_round_ratios(xr, p, attr) for attr in ("transfers_per_s", "calls_per_s", "startup_s")}
            for p in peers if p.name != "xrollup" and p.rounds
        },
        "targets": {
            "transfers_vs_eth_tester": {"target": TARGET_TRANSFER_RATIO, "value": vs_et["transfers_per_s"],
                                        "met": transfer_ok},
            "two_chain_startup_s": {"target": TARGET_STARTUP_S, "value": startup, "met": startup_ok},
        },
    }


# --------------------------------------------------------------------------- main


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
    def open_session(name: str, stack: contextlib.ExitStack) -> Session:
        """Start a peer (its start-up timed) and prepare it. Raises ServerStartError or OSError."""
        session: Session
        if name == "xrollup":
            server = stack.enter_context(xrollup_devnet(XROLLUP_CHAINS))
            if server.chain_ids != list(XROLLUP_CHAINS):
                raise BenchError(f"xrollup answered chain ids {server.chain_ids}, expected {list(XROLLUP_CHAINS)}")
            session = HttpSession(name, server, XROLLUP_CHAINS[0], args.transfers, *warmups)
        elif name == "anvil":
            assert anvil_exe is not None
            server = stack.enter_context(anvil_node(anvil_exe))
            session = HttpSession(name, server, ANVIL_CHAIN_ID, args.transfers, *warmups, confirm=True)
        else:
            session = EthTesterSession(args.transfers, *warmups)
        stack.callback(session.close)
        return session

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
                        sessions.append(open_session(peer.name, stack))
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
    if args.json == "-":
        print(json.dumps(json_safe(results)))
    elif args.json:
        Path(args.json).write_text(json.dumps(json_safe(results), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
