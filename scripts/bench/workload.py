"""The workload of ``scripts/bench_rpc.py``: what every peer is asked to do, and the checks.

Pre-signed EIP-1559 ETH transfers, the same transfers through ``eth_sendTransaction`` from a
dev account (what web3.py's ``transact()`` and Hardhat's node accounts send), and
``Counter.number()`` calls, timed one by one; the
checks that the answers are right (a wrong answer is a ``BenchError``, never a slow figure);
and ``Round``, the figures of one peer in one round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from _bench_common import percentile
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak

from bridge_contracts import load_artifact

TRANSFER_TO = "0x000000000000000000000000000000000000bEEF"
TRANSFER_VALUE = 1
TIP_WEI = 1_000_000_000
COUNTER_INITIAL = 42
DEPLOY_GAS = 3_000_000
NUMBER_CALLDATA = "0x" + function_signature_to_4byte_selector("number()").hex()
EXPECTED_NUMBER = "0x" + abi_encode(["uint256"], [COUNTER_INITIAL]).hex()


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
    # the same transfers sent unsigned from a dev account (eth_sendTransaction: the server fills
    # in and signs them); None for a peer without that path (eth-tester in-process)
    dev_transfers_per_s: float | None = None
    dev_transfer_p50_ms: float | None = None


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



def dev_transfer(sender: str) -> dict[str, Any]:
    """The eth_sendTransaction object of one timed dev-account transfer (gas given, as
    web3.py's ``transact()`` sends it after its own estimate; the fees left to the server)."""
    return {"from": sender, "to": TRANSFER_TO, "value": hex(TRANSFER_VALUE), "gas": hex(21_000)}


def with_dev_transfers(round_: Round, timed_dev: tuple[float, list[float]] | None) -> Round:
    if timed_dev is None or not timed_dev[1]:
        return round_
    elapsed, latencies = timed_dev
    round_.dev_transfers_per_s = len(latencies) / elapsed
    round_.dev_transfer_p50_ms = percentile(latencies, 50) * 1e3
    return round_
