"""What every backend service stands on: the current sequencer, replaced in place on reset."""

from __future__ import annotations

from chains.rollup import RollupChain
from shared_sequencer.sequencer import Sequencer


class SequencerHolder:
    """Holds the devnet's current ``Sequencer``. anvil_reset and anvil_loadState put a new
    one here (``Backend.install``); whoever holds the backend sees it at once."""

    sequencer: Sequencer

    def chain(self, chain_id: int) -> RollupChain:
        """Raises UnknownChain."""
        return self.sequencer.chain(chain_id)
