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

    def coinbase(self) -> bytes:
        """Who receives the fees of the next blocks."""
        return self.sequencer.coinbase

    def next_base_fee(self, chain_id: int) -> int:
        """The base fee the next block of ``chain_id`` will have. Raises UnknownChain."""
        return self.sequencer.next_base_fee_of(chain_id)

    def pending_nonce(self, chain_id: int, sender: bytes) -> int:
        """The next nonce for ``sender``, past its pooled transactions. Raises UnknownChain."""
        return self.sequencer.pending_nonce(chain_id, sender)

    def is_impersonated(self, address: bytes) -> bool:
        return address in self.sequencer.impersonated
