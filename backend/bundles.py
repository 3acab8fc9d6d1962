"""Atomic bundles: decode, send, simulate, and report their status (xr_sendBundle...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.base import SequencerHolder
from backend.faults import raise_for_halted
from backend.reads import ReadRunner
from backend.simulation import next_superblock
from chains.errors import InvalidInput, TransactionRejected
from chains.txbuild import decode_raw, tx_chain_id
from shared_sequencer.bundles import Bundle, BundleResult, BundleStatus, execute_bundle


@dataclass(frozen=True)
class BundleSpec:
    """A bundle as a client sends it: signed raw transactions, not decoded yet."""

    txs: tuple[bytes, ...]
    reverting: frozenset[bytes] = frozenset()
    min_superblock: int | None = None
    max_superblock: int | None = None


class BundleServices(SequencerHolder):
    settled: Callable[[], Awaitable[None]]
    reads: ReadRunner

    def bundle(self, spec: BundleSpec) -> Bundle:
        """Decode every leg and find its chain. Raises TransactionRejected (a leg that does
        not decode), InvalidInput (a leg for no chain of this devnet)."""
        legs = []
        for index, raw in enumerate(spec.txs):
            try:
                pending = decode_raw(raw)
            except TransactionRejected as exc:
                raise TransactionRejected(f"bundle leg {index}: {exc}") from exc
            chain_id = tx_chain_id(pending)
            if chain_id is None:
                raise InvalidInput(f"bundle leg {index}: an unprotected transaction names no chain")
            if chain_id not in self.sequencer.chains:
                raise InvalidInput(f"bundle leg {index}: unknown chain id {chain_id}")
            legs.append((chain_id, pending))
        return Bundle(tuple(legs), spec.reverting, spec.min_superblock, spec.max_superblock)

    async def send_bundle(self, bundle: Bundle) -> BundleStatus:
        """Queue ``bundle`` and wait for automine. Raises BundleFailed when a leg was refused
        or sank the bundle, ChainHalted when it touched a halted chain, InvalidInput for an
        unknown bundle."""
        self.sequencer.submit_bundle(bundle)
        await self.settled()
        status = self.bundle_status(bundle.hash)
        if status.state == "failed":
            raise_for_halted(bundle.hash, status)  # ChainHalted or BundleFailed
        return status

    async def simulate_bundle(self, bundle: Bundle) -> BundleResult:
        """Run every leg on the next superblock's scratch builders (the next block's base
        fee, as mining would), in a read's worker thread under its deadline; nothing is
        committed. A failed leg does not stop the rest. Raises ExecutionTimeout."""
        sim = next_superblock(self.sequencer, base_fee=None)
        return await self.reads.run(self.reads.deadline(), execute_bundle, sim.builders, bundle, False, inline=False)

    def bundle_status(self, bundle_hash: bytes) -> BundleStatus:
        """Raises InvalidInput for a bundle this devnet never saw."""
        status = self.sequencer.bundles.status(bundle_hash)
        if status is None:
            raise InvalidInput(f"unknown bundle 0x{bundle_hash.hex()}")
        return status
