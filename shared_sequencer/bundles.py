"""Atomic multi-chain bundles: every leg in one superblock and every leg succeeds, or none.

``execute_bundle`` applies the legs in order to the superblock's block builders and stops at
the first failure; the caller then throws those builders away (py-evm cannot roll back across
transactions). ``BundleBook`` keeps the queue and each bundle's status for xr_getBundleStatus.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from chains.block import PendingTx, TxOutcome
from chains.builder import BlockBuilder
from chains.errors import BundleFailure, TransactionRejected, decode_revert_reason
from shared_sequencer.builders import halted_of
from shared_sequencer.xcall import apply_with_xcalls


@dataclass(frozen=True)
class Bundle:
    legs: tuple[tuple[int, PendingTx], ...]  # (chain id, tx), in execution order
    reverting: frozenset[bytes] = frozenset()  # tx hashes allowed to revert
    min_superblock: int | None = None
    max_superblock: int | None = None
    min_timestamp: int | None = None  # the superblock's timestamp bounds (Flashbots bundles)
    max_timestamp: int | None = None
    target: tuple[int, int] | None = None  # (chain id, block number): due only as that chain's next block

    @property
    def hash(self) -> bytes:
        return keccak(b"".join(p.hash for _, p in self.legs))


@dataclass
class LegResult:
    index: int
    chain_id: int
    tx_hash: bytes
    success: bool
    gas_used: int = 0
    output: bytes = b""
    reason: str | None = None
    failure: BundleFailure | None = None  # set when this leg sank the bundle
    outcome: TxOutcome | None = None

    @property
    def error(self) -> str | None:
        return self.failure.error if self.failure is not None else None

    def to_json(self) -> dict[str, Any]:
        logs = []
        if self.outcome is not None:
            for entry in self.outcome.receipt.logs:
                logs.append({
                    "address": "0x" + bytes(entry.address).hex(),
                    "topics": ["0x" + t.to_bytes(32, "big").hex() for t in entry.topics],
                    "data": "0x" + bytes(entry.data).hex(),
                })
        return {
            "index": self.index,
            "chainId": hex(self.chain_id),
            "txHash": "0x" + self.tx_hash.hex(),
            "status": "0x1" if self.success else "0x0",
            "gasUsed": hex(self.gas_used),
            ("returnData" if self.success else "revertData"): "0x" + self.output.hex(),
            "reason": self.reason,
            "error": self.error,
            "logs": logs,
        }


@dataclass
class BundleResult:
    legs: list[LegResult]
    failed: LegResult | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None


def execute_bundle(builders: dict[int, BlockBuilder], bundle: Bundle, stop_on_failure: bool = True) -> BundleResult:
    """Apply the legs in order. A rejected leg, or a reverted one not listed as allowed to
    revert, fails the bundle. Never raises for a leg's failure."""
    result = BundleResult([])
    halted = halted_of(builders)
    for index, (chain_id, pending) in enumerate(bundle.legs):
        if chain_id in halted:  # a fault: the chain makes no block, so the bundle cannot go in
            failure = BundleFailure(index, chain_id, pending.hash, "halted", f"chain {chain_id} is halted")
            result.legs.append(LegResult(index, chain_id, pending.hash, False, reason=failure.reason, failure=failure))
            result.failed = result.failed or result.legs[-1]
            if stop_on_failure:
                break
            continue
        try:
            applied = apply_with_xcalls(builders, chain_id, pending)
        except TransactionRejected as exc:
            failure = BundleFailure(index, chain_id, pending.hash, "rejected", str(exc))
            leg = LegResult(index, chain_id, pending.hash, False, reason=str(exc), failure=failure)
        else:
            outcome = applied.outcome
            reason = None if outcome.success else decode_revert_reason(outcome.output)
            leg = LegResult(index, chain_id, pending.hash, outcome.success, outcome.gas_used,
                            outcome.output, reason, outcome=outcome)
            if not outcome.success and pending.hash not in bundle.reverting:
                leg.failure = BundleFailure(index, chain_id, pending.hash, "reverted", reason, outcome.output)
                if applied.failure is not None and applied.failure.halted:  # its cross-rollup call met one
                    leg.failure = BundleFailure(index, applied.failure.chain_id, pending.hash, "halted",
                                                applied.failure.reason, outcome.output)
        result.legs.append(leg)
        if leg.failure is not None and result.failed is None:
            result.failed = leg
            if stop_on_failure:
                break
    return result


@dataclass
class BundleStatus:
    state: str  # pending | included | failed
    detail: dict[str, Any] = field(default_factory=dict)
    failure: BundleFailure | None = None  # the leg that failed (not for an expired bundle)


def _failure_detail(failure: BundleFailure, height: int) -> dict[str, Any]:
    """xr_getBundleStatus's fields for a failed leg."""
    return {"superblock": height, "failedLeg": failure.leg, "chainId": failure.chain_id, "txHash": failure.tx_hash,
            "error": failure.error, "reason": failure.reason, "revertData": failure.revert_data}


@dataclass
class BundleBook:
    queue: list[Bundle] = field(default_factory=list)
    statuses: dict[bytes, BundleStatus] = field(default_factory=dict)
    legs: dict[bytes, list[tuple[int, bytes]]] = field(default_factory=dict)  # (chain id, tx hash)

    def copy(self) -> BundleBook:
        return BundleBook(list(self.queue), copy.deepcopy(self.statuses), dict(self.legs))

    def add(self, bundle: Bundle, height: int) -> None:
        if bundle.hash in self.statuses and self.statuses[bundle.hash].state != "failed":
            raise TransactionRejected("bundle already known")
        if bundle.max_superblock is not None and bundle.max_superblock <= height:
            raise TransactionRejected(f"bundle expired: maxSuperblock {bundle.max_superblock} is not after {height}")
        self.queue.append(bundle)
        self.legs[bundle.hash] = [(cid, p.hash) for cid, p in bundle.legs]
        self.statuses[bundle.hash] = BundleStatus("pending")

    def refuse(self, bundle: Bundle, failure: BundleFailure, height: int) -> None:
        """Record a bundle refused at submission (a leg failed the pool's checks)."""
        known = self.statuses.get(bundle.hash)
        if known is not None and known.state != "failed":
            return  # a resubmission of a pending or included bundle: its status stands
        self.legs[bundle.hash] = [(cid, p.hash) for cid, p in bundle.legs]
        self.statuses[bundle.hash] = BundleStatus(
            "failed", {**_failure_detail(failure, height), "atSubmission": True}, failure)

    def due(self, number: int, timestamp: int | None = None,
            height: Callable[[int], int] | None = None) -> list[Bundle]:
        """Bundles to try in superblock ``number`` (at ``timestamp``); expired ones are failed
        here. ``height``: a chain's head number now, for bundles that target a chain's block
        (due when that chain's next block is the target, expired once the chain is there)."""
        due = []
        for bundle in list(self.queue):
            late = timestamp is not None and bundle.max_timestamp is not None and timestamp > bundle.max_timestamp
            next_block = None
            if bundle.target is not None and height is not None:
                next_block = height(bundle.target[0]) + 1
                late = late or next_block > bundle.target[1]
            if late or (bundle.max_superblock is not None and number > bundle.max_superblock):
                self.queue.remove(bundle)
                self.statuses[bundle.hash] = BundleStatus("failed", {"error": "bundle expired", "superblock": number})
            elif next_block is not None and bundle.target is not None and next_block < bundle.target[1]:
                continue  # its chain is not there yet
            elif timestamp is not None and bundle.min_timestamp is not None and timestamp < bundle.min_timestamp:
                continue  # too early: it may still land in a later superblock of its range
            elif bundle.min_superblock is None or number >= bundle.min_superblock:
                due.append(bundle)
        return due

    def settle(self, bundle: Bundle, result: BundleResult, number: int) -> None:
        self.queue.remove(bundle)
        failure = result.failed.failure if result.failed is not None else None
        if failure is not None:
            self.statuses[bundle.hash] = BundleStatus("failed", _failure_detail(failure, number), failure)
        else:
            self.statuses[bundle.hash] = BundleStatus("included", {"superblock": number})

    def mark_included(self, superblock: Any, logged: dict[bytes, list[tuple[int, bytes]]] | None = None) -> None:
        """Record where each bundle of ``superblock`` went. ``logged``: the legs as the
        superblock log has them (replay rebuilds the statuses from it)."""
        for bundle_hash in superblock.bundles:
            if logged and bundle_hash in logged:
                self.legs[bundle_hash] = logged[bundle_hash]
                self.statuses[bundle_hash] = BundleStatus("included", {"superblock": superblock.number})
            legs = []
            for index, (chain_id, tx_hash) in enumerate(self.legs.get(bundle_hash, [])):
                ref = superblock.block_of(chain_id)
                legs.append({"index": index, "chainId": chain_id, "blockNumber": ref.number,
                             "blockHash": ref.hash, "txHash": tx_hash})
            if bundle_hash in self.statuses:
                self.statuses[bundle_hash].detail.update({"superblockHash": superblock.hash, "legs": legs})

    def requeue(self, bundles: list[Bundle]) -> None:
        """Queue again, in order and ahead of the rest, bundles whose superblocks a reorg dropped."""
        self.queue[0:0] = bundles
        for bundle in bundles:
            self.legs[bundle.hash] = [(cid, p.hash) for cid, p in bundle.legs]
            self.statuses[bundle.hash] = BundleStatus("pending")

    def status(self, bundle_hash: bytes) -> BundleStatus | None:
        return self.statuses.get(bundle_hash)
