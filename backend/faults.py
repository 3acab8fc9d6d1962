"""Fault services: set and clear the sequencer's fault modes, list them, reorg (xr_setFault...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.base import SequencerHolder
from chains.errors import BundleFailed, ChainHalted
from shared_sequencer.bundles import BundleStatus
from shared_sequencer.faults import Fault, Reorg


class FaultServices(SequencerHolder):
    settled: Callable[[], Awaitable[None]]

    async def set_fault(self, fault: Fault) -> int:
        """Start ``fault`` and wait until automine has mined what it no longer holds.
        Raises UnknownChain."""
        fault_id = self.sequencer.set_fault(fault)
        await self.settled()
        return fault_id

    async def clear_faults(self, selector: int | str) -> list[int]:
        """End the faults ``selector`` names and wait until automine has mined what they
        held back, so a client sees it included when the call answers. Raises InvalidInput
        when no active fault matches."""
        ids = self.sequencer.clear_faults(selector)
        await self.settled()
        return ids

    def reorg(self, depth: int) -> Reorg:
        """Raises InvalidInput (a depth below 1, or one reaching a safe superblock)."""
        return self.sequencer.reorg(depth)

    def faults_view(self) -> dict[str, Any]:
        """The active faults, every fault period, the reorgs, what the faults hold back now
        (pooled transactions, queued bundles, and deposits from the L1, marked ``deposit`` with
        the L1 block by which the window forces them in), and the safe superblock: what
        xr_faults answers and the explorer draws."""
        seq = self.sequencer
        return {
            "active": [p.to_json() for p in seq.faults.active.values()],
            "periods": [p.to_json() for p in seq.faults.history],
            "reorgs": [r.to_json() for r in seq.faults.reorgs],
            "held": [{"chainId": cid or None, ("hash" if cid else "bundleHash"): "0x" + h.hex(), "reason": reason}
                     for cid, h, reason in seq.held()]
            + [{"chainId": cid, "hash": "0x" + h.hex(), "reason": reason, "deposit": True, "deadline": deadline}
               for cid, h, reason, deadline in seq.held_deposits()],
            "forced": [{"superblock": inc.superblock, "chainId": seq.windows.submitted[h].chain_id, "hash": "0x" + h.hex(),
                        "block": inc.block} for h, inc in seq.windows.included.items() if inc.forced],
            "safeSuperblock": seq.safe_superblock,
            "head": seq.head.number,
        }


def raise_for_halted(bundle_hash: bytes, status: BundleStatus) -> None:
    """A bundle that failed because it touched a halted chain: ChainHalted names the chain;
    any other failure: BundleFailed."""
    failure = status.failure
    if failure is None:
        return
    if failure.kind == "halted":
        raise ChainHalted(failure.chain_id, bundle_hash, failure.leg)
    raise BundleFailed(bundle_hash, failure)
