"""The settlement services on an L1: the batcher and the proposer before each L1 block; after
it, the rollups' and the L1's heads, and the block's deposits (with the block as L1 origin)
handed to the sequencer. An evm_revert of the L1 makes the superblocks whose batches it
dropped unsafe again, and the deposits it dropped are forgotten (``Sequencer.l1_reverted``).

The rollups' queue of deposits is not saved; the L1 is their record. ``requeue`` hands the
rollups again the L1's deposits no rollup block includes yet, in L1 order, each with its
original L1 block (deadline): the composition root calls it once the L1 and the rollups it
serves are both in place after a restart from --state-dir, an anvil_loadState of either side
and an anvil_reset of the L1 (whose new chain holds no deposit: nothing to do). An
anvil_reset of the rollups does not: fresh rollups follow the L1 from its head on, and the
deposits of earlier L1 blocks, included or waiting, went with the chains they were for."""

from __future__ import annotations

from collections.abc import Callable

from chains.rollup import MinedBlock
from settlement import forced
from settlement.batcher import Batcher
from settlement.deposits import requeue_waiting, submit_block_deposits
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

    def requeue(self, l1: L1Sequencer) -> None:
        """Queue again, on the rollups, the deposits of ``l1`` that none of their blocks
        includes (settlement/deposits.py ``requeue_waiting``): those past their deadline go in
        at once, by force; the others as the sequencer takes deposits."""
        requeue_waiting(self._rollups(), l1.l1)

    def attach(self, l1: L1Sequencer) -> None:
        """Serve a new L1 sequencer (at start, anvil_reset or anvil_loadState on the L1)."""
        self.batcher.forget_l1()
        l1.mark_safe(l1.head.number, l1.head.number)
        l1.mark_finalized(max(l1.head.number - self.finality_depth, 0))

        def before() -> None:
            self.proposer.before_block(l1)  # proposals first: they are about what is already safe
            forced.enforce(self._rollups(), l1)  # deposits past their window, in before the batch goes out
            self.batcher.before_block(l1)

        def after(superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
            block = mined.get(l1.chain_id)
            if block is None:
                return
            l1.mark_safe(block.number, block.number)  # the L1's own tags: safe is its head,
            l1.mark_finalized(max(block.number - self.finality_depth, 0))  # finalized this deep
            self.batcher.after_block(block)
            submit_block_deposits(self._rollups(), block)  # for the first superblock after this L1 block

        def reverted() -> None:
            self._rollups().l1_reverted(l1.head.number)  # what the L1 lost is unsafe again

        l1.before_block.append(before)
        l1.superblock_listeners.append(after)
        l1.revert_listeners.append(reverted)
