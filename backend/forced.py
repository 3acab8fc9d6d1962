"""Forced inclusion's read service (xr_getForcedInclusion): settlement/forced.py over the L1 and
the rollups, in a read's worker thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.base import SequencerHolder
from backend.reads import ReadRunner
from chains.errors import InvalidInput
from chains.rollup import RollupChain
from chains.tracing.tracer import Tracer
from settlement.forced import deposits_of, report


class ForcedServices(SequencerHolder):
    reads: ReadRunner
    l1_chain: Callable[[], RollupChain] | None = None  # the devnet's L1 (set by the composition root)

    async def forced_inclusion(self, l1_tx_hash: bytes) -> dict[str, Any] | None:
        """Each deposit L1 transaction ``l1_tx_hash`` made: when it came, its deadline, where and
        how it was included, and the hand-off (settlement/forced.py). None for a transaction
        the L1 does not have. Raises InvalidInput on a devnet without an L1, ExecutionTimeout."""
        if self.l1_chain is None:
            raise InvalidInput("no L1 settles the chains of this endpoint (--no-l1, or the L1's own endpoint): "
                               "ask a rollup's endpoint of a devnet with an L1")
        l1, seq = self.l1_chain(), self.sequencer
        tracer = Tracer(seq.chains, lambda src, number, dst: next(
            (b.number for b in seq.superblock_of(src, number).blocks if b.chain_id == dst), None))
        found = deposits_of(l1, seq.chains, l1_tx_hash)
        if found is None:
            return None

        def build() -> dict[str, Any]:
            return {"l1TxHash": "0x" + l1_tx_hash.hex(), "l1Head": l1.height,
                    "deposits": [report(tracer, seq, item) for item in found]}

        return await self.reads.run(self.reads.deadline(), build)
