"""The sequencer's dev commands (anvil_*, evm_*): state edits, time, the next block's fee,
randomness and gas limit, the coinbase, impersonation, the mining mode, and snapshots with
revert. A mixin of ``Sequencer``: its state is declared in seq_state.py."""

from __future__ import annotations

import copy
import dataclasses
import time

from chains.errors import (
    InvalidInput,
)
from chains.rollup import StateEdit
from shared_sequencer.mempool import Mempool
from shared_sequencer.mining import MiningMode
from shared_sequencer.seq_state import SequencerState, Snapshot


class DevMixin(SequencerState):
    def edit_state(self, chain_id: int, edit: StateEdit) -> None:
        chain = self.chain(chain_id)
        chain.edit_state(edit)
        self.log.append_edit(chain_id, edit)

    def increase_time(self, seconds: int) -> int:
        """Move the clock ``seconds`` ahead of the chain's own time (evm_increaseTime), as
        anvil and Hardhat do: when blocks have run ahead of the wall clock (several a second
        in automine), the offset first catches up with the head, so the next block comes at
        least ``seconds`` after it. Returns the total offset."""
        self.clock.offset = max(self.clock.offset, self.head.timestamp - int(time.time())) + seconds
        self._clock_moved()
        return self.clock.offset

    def set_time(self, timestamp: int) -> int:
        """Make the clock read ``timestamp`` now (anvil_setTime). Returns the new offset."""
        self.clock.offset = timestamp - int(time.time())
        self._clock_moved()
        return self.clock.offset

    def set_next_timestamp(self, timestamp: int) -> None:
        """The next superblock's timestamp (evm_setNextBlockTimestamp). Raises InvalidInput
        for one not after the head's."""
        if timestamp <= self.head.timestamp:
            raise InvalidInput(f"timestamp {timestamp} is not after the latest block's {self.head.timestamp}")
        self.clock.next_timestamp = timestamp
        self._clock_moved()

    def set_next_base_fee(self, fee: int) -> None:
        """The next block's base fee on every chain (anvil_setNextBlockBaseFeePerGas)."""
        self.next_base_fee = fee

    def set_next_prev_randao(self, value: bytes) -> None:
        """The next superblock's blocks' prevRandao (their header's mixHash, ``block.prevrandao``),
        for that superblock only (anvil_setNextBlockPrevRandao, hardhat_setPrevRandao); the
        superblock log records it, so replay needs nothing more. Raises InvalidInput for a
        value that is not 32 bytes."""
        if len(value) != 32:
            raise InvalidInput(f"prevRandao must be 32 bytes, got {len(value)}")
        self.next_prev_randao = bytes(value)

    def set_block_gas_limit(self, gas_limit: int) -> None:
        """The gas limit of every chain's next blocks (evm_setBlockGasLimit); admission and
        estimates follow it. Each block's limit is in the superblock log, so replay needs
        nothing more. Raises InvalidInput below a transfer's 21,000."""
        if gas_limit < 21_000:
            raise InvalidInput(f"block gas limit {gas_limit} is below 21000")
        for chain in self.chains.values():
            chain.config = dataclasses.replace(chain.config, gas_limit=gas_limit)

    def set_coinbase(self, address: bytes) -> None:
        """Who receives the fees of the next blocks (anvil_setCoinbase)."""
        self.coinbase = address

    def impersonate(self, address: bytes) -> None:
        """Accept unsigned transactions from ``address`` (anvil_impersonateAccount)."""
        self.impersonated.add(address)

    def stop_impersonating(self, address: bytes) -> None:
        self.impersonated.discard(address)

    def set_impersonated(self, addresses: set[bytes]) -> None:
        """Exactly ``addresses`` are impersonated from now on (restoring a saved set)."""
        self.impersonated = set(addresses)

    def set_mode(self, mode: MiningMode) -> None:
        self.mode = mode
        for listener in self.mode_listeners:
            listener()

    def snapshot(self) -> int:
        snap_id = self._next_snapshot
        self._next_snapshot += 1
        self.snapshots[snap_id] = Snapshot(
            height=self.head.number,
            chain_heights={cid: c.height for cid, c in self.chains.items()},
            state_roots={cid: c.head_state_root for cid, c in self.chains.items()},
            pools={cid: p.copy() for cid, p in self.pools.items() if p},
            clock=copy.copy(self.clock),
            next_base_fee=self.next_base_fee,
            log_length=len(self.log),
            bundles=self.bundles.copy(),
            relays=list(self.relays),
            gas_limits={cid: c.config.gas_limit for cid, c in self.chains.items()},
            deposits={cid: list(q) for cid, q in self.deposits.items()},
            l1_origins=dict(self.l1_origins),
            windows=self.windows.copy(),
            next_prev_randao=self.next_prev_randao,
        )
        return snap_id

    def revert(self, snap_id: int) -> bool:
        """Restore every chain, the mempools, the clock and the log; drop this snapshot and
        every later one. Returns False for an unknown id (as anvil does)."""
        snap = self.snapshots.get(snap_id)
        if snap is None:
            return False
        included = self._included_deposits()
        for cid, chain in self.chains.items():  # only the chains that moved since have work to undo
            height, root = snap.chain_heights[cid], snap.state_roots[cid]
            if chain.height != height or chain.head_state_root != root:
                chain.truncate(height, root)
                del self._superblock_of[cid][height + 1 :]
        del self.superblocks[snap.height + 1 :]
        self.safe_superblock = min(self.safe_superblock, snap.height)
        self.finalized_superblock = min(self.finalized_superblock, snap.height)
        self._carriers = [(min(number, snap.height), l1) for number, l1 in self._carriers]
        self.pools = {cid: snap.pools[cid].copy() if cid in snap.pools else Mempool() for cid in self.chains}
        self._pooled = set(snap.pools)
        self.clock = copy.copy(snap.clock)
        self.next_base_fee = snap.next_base_fee
        self.next_prev_randao = snap.next_prev_randao
        self.bundles = snap.bundles.copy()
        self.relays = list(snap.relays)
        self.deposits = {cid: list(q) for cid, q in snap.deposits.items()}
        self.l1_origins = dict(snap.l1_origins)
        self.windows = snap.windows.copy()
        self._requeue_deposits(included)
        for cid, gas_limit in snap.gas_limits.items():
            if self.chains[cid].config.gas_limit != gas_limit:
                self.chains[cid].config = dataclasses.replace(self.chains[cid].config, gas_limit=gas_limit)
        self.log.truncate(snap.log_length)
        for later in [i for i in self.snapshots if i >= snap_id]:
            del self.snapshots[later]
        self._clock_moved()  # the clock went back, and relays or held transactions may be back
        return True

    def _clock_moved(self) -> None:
        for listener in self.clock_listeners:
            listener()
