"""The settlement services on an L1: the batcher and the proposer before each L1 block; after
it, the rollups' and the L1's heads, and the block's deposits (with the block as L1 origin)
handed to the sequencer."""

from __future__ import annotations

from collections.abc import Callable

from chains.rollup import MinedBlock
from settlement.batcher import Batcher
from settlement.deposits import submit_block_deposits
from settlement.l1 import L1Sequencer
from settlement.proposer import Proposer
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.superblock import SuperBlock


class Settlement:
    def __init__(self, rollups: Callable[[], Sequencer], finality_depth: int) -> None:
        """``rollups``: the rollups' current sequencer."""
        self.finality_depth = finality_depth
        self._rollups = rollups
        self.batcher = Batcher(rollups, finality_depth)
        self.proposer = Proposer(rollups)

    def adopt(self, seq: Sequencer) -> None:
        """A new rollup sequencer: its genesis superblock is settled (the L1's genesis holds
        its contracts); everything after it waits for its batch."""
        seq.mark_safe(0, 0)
        seq.mark_finalized(0)

    def attach(self, l1: L1Sequencer) -> None:
        """Serve a new L1 sequencer (at start, anvil_reset or anvil_loadState on the L1)."""
        self.batcher.forget_l1()
        l1.mark_safe(l1.head.number, l1.head.number)
        l1.mark_finalized(max(l1.head.number - self.finality_depth, 0))

        def before() -> None:
            self.proposer.before_block(l1)  # proposals first: they are about what is already safe
            self.batcher.before_block(l1)

        def after(superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
            block = mined.get(l1.chain_id)
            if block is None:
                return
            l1.mark_safe(block.number, block.number)  # the L1's own tags: safe is its head,
            l1.mark_finalized(max(block.number - self.finality_depth, 0))  # finalized this deep
            self.batcher.after_block(block)
            submit_block_deposits(self._rollups(), block)  # for the first superblock after this L1 block

        l1.before_block.append(before)
        l1.superblock_listeners.append(after)
