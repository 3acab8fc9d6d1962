"""Dev commands (evm_*, anvil_*, txpool_*): mining, time, snapshots, state edits, the pools.

Snapshots, time and mining are devnet-wide, because the chains share one superblock history:
evm_mine / anvil_mine mine every chain; automine advances only the chains with work. Every
change goes through a public ``Sequencer`` method.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import Address

from backend.base import SequencerHolder
from chains.errors import InvalidInput
from chains.rollup import StateEdit
from shared_sequencer.mempool import PoolTx
from shared_sequencer.mining import Automine, IntervalMining, Manual


@dataclass(frozen=True)
class PoolView:
    """A chain's pooled transactions as geth's txpool_* split them: ``pending`` can be mined
    next (contiguous nonces from the state's), ``queued`` wait for a gap to close."""

    pending: list[PoolTx]
    queued: list[PoolTx]


class DevServices(SequencerHolder):
    # -- snapshots and mining ------------------------------------------------------------

    def snapshot(self) -> int:
        return self.sequencer.snapshot()

    def revert(self, snap_id: int) -> bool:
        """False for an unknown snapshot id (as anvil answers)."""
        return self.sequencer.revert(snap_id)

    def mine(self, blocks: int = 1, timestamp: int | None = None, interval: int | None = None) -> None:
        """Mine ``blocks`` superblocks now, whatever the mining mode: the first at
        ``timestamp`` and each next one a second later, or each ``interval`` seconds after
        the previous one (the first at evm_setNextBlockTimestamp's time when one is set, as
        anvil and Hardhat do), or on the clock. Raises InvalidInput for a timestamp not after
        the head's."""
        seq = self.sequencer
        for i in range(blocks):
            if timestamp is not None:
                seq.mine(timestamp + i)
            elif interval:
                forced = seq.clock.next_timestamp if i == 0 else None
                seq.mine(forced if forced is not None else seq.head.timestamp + interval)
            else:
                seq.mine()

    def set_automine(self, enabled: bool) -> None:
        """Automine on (mining what waits at once) or manual mining."""
        seq = self.sequencer
        seq.set_mode(Automine() if enabled else Manual())
        if enabled and (any(len(p) for p in seq.pools.values()) or seq.bundles.queue):
            seq.mine_pending()  # as automine would have: only the chains with work advance

    def automine(self) -> bool:
        return isinstance(self.sequencer.mode, Automine)

    def set_interval_mining(self, seconds: int) -> None:
        """A superblock every ``seconds``; 0 switches to manual mining."""
        self.sequencer.set_mode(IntervalMining(seconds) if seconds > 0 else Manual())

    # -- time ------------------------------------------------------------------------------

    def increase_time(self, seconds: int) -> int:
        return self.sequencer.increase_time(seconds)

    def set_next_timestamp(self, timestamp: int) -> None:
        """Raises InvalidInput for a timestamp not after the head's."""
        self.sequencer.set_next_timestamp(timestamp)

    def set_time(self, timestamp: int) -> int:
        return self.sequencer.set_time(timestamp)

    # -- state edits --------------------------------------------------------------------

    def set_balance(self, chain_id: int, address: bytes, value: int) -> None:
        self.sequencer.edit_state(chain_id, StateEdit("balance", address, value))

    def set_nonce(self, chain_id: int, address: bytes, value: int) -> None:
        self.sequencer.edit_state(chain_id, StateEdit("nonce", address, value))

    def set_code(self, chain_id: int, address: bytes, code: bytes) -> None:
        self.sequencer.edit_state(chain_id, StateEdit("code", address, code))

    def set_storage(self, chain_id: int, address: bytes, slot: int, value: bytes) -> None:
        """Raises InvalidInput for a value longer than 32 bytes."""
        if len(value) > 32:
            raise InvalidInput("storage value is longer than 32 bytes")
        self.sequencer.edit_state(chain_id, StateEdit("storage", address, int.from_bytes(value, "big"), slot))

    def impersonate(self, address: bytes) -> None:
        self.sequencer.impersonate(address)

    def stop_impersonating(self, address: bytes) -> None:
        self.sequencer.stop_impersonating(address)

    def set_next_base_fee(self, fee: int) -> None:
        self.sequencer.set_next_base_fee(fee)

    def set_coinbase(self, address: bytes) -> None:
        self.sequencer.set_coinbase(address)

    def set_next_prev_randao(self, value: bytes) -> None:
        """Raises InvalidInput for a value that is not 32 bytes."""
        self.sequencer.set_next_prev_randao(value)

    def set_block_gas_limit(self, gas_limit: int) -> None:
        """Raises InvalidInput below 21,000."""
        self.sequencer.set_block_gas_limit(gas_limit)

    # -- the pools -------------------------------------------------------------------------

    def drop_transaction(self, chain_id: int, tx_hash: bytes) -> bool:
        """False if the transaction was not pooled."""
        return self.sequencer.drop(chain_id, tx_hash)

    def drop_all(self, chain_id: int) -> None:
        self.sequencer.drop_all(chain_id)

    def pool_sealed(self, chain_id: int) -> bool:
        """Whether ``chain_id``'s pending transactions show only commitments (``encrypted``)."""
        return self.sequencer.order_of(chain_id).sealed

    def pooled(self, chain_id: int, tx_hash: bytes) -> PoolTx | None:
        return self.sequencer.pools[chain_id].by_hash.get(tx_hash)

    def pool(self, chain_id: int) -> PoolView:
        state = self.chain(chain_id).state_at("latest")
        nonces: dict[bytes, int] = {}
        pending: list[PoolTx] = []
        queued: list[PoolTx] = []
        entries = self.sequencer.pools[chain_id].by_key.values()
        for entry in sorted(entries, key=lambda e: (e.pending.sender, e.pending.tx.nonce)):
            sender = entry.pending.sender
            expected = nonces.get(sender, state.get_nonce(Address(sender)))
            if entry.pending.tx.nonce == expected:
                pending.append(entry)
                nonces[sender] = expected + 1
            else:
                queued.append(entry)
                nonces[sender] = -1
        return PoolView(pending, queued)
