"""The sequencer's fault modes (shared_sequencer/faults.py) and reorgs (reorg.py): setting and
clearing faults, what they hold back, and dropping the last superblocks to sequence again. A
mixin of ``Sequencer``: its state is declared in seq_state.py."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from chains.block import PendingTx
from chains.deposits import DEPOSIT_TX_TYPE
from chains.errors import (
    InvalidInput,
    TransactionRejected,
)
from shared_sequencer import faults as fault_modes
from shared_sequencer import interop
from shared_sequencer import reorg as reorg_plan
from shared_sequencer.log import decode_edit
from shared_sequencer.mining import Automine
from shared_sequencer.relay import Relay
from shared_sequencer.seq_state import SequencerState


class FaultsMixin(SequencerState):
    def set_fault(self, fault: fault_modes.Fault) -> int:
        """Start ``fault`` now (from the next superblock on). Returns its id. Raises
        UnknownChain for a chain this devnet does not run."""
        for cid in fault_modes.named_chains(fault):
            self.chain(cid)
        fault_id = self.faults.add(fault, self.head.number).id
        self._faults_changed()
        return fault_id

    def clear_faults(self, selector: int | str) -> list[int]:
        """End the active faults ``selector`` names (an id, or a kind: all of that kind); what
        they held back is sequenced now (automine). Returns their ids. Raises InvalidInput when
        none is active."""
        ids = self.faults.matching(selector)
        if not ids:
            raise InvalidInput(f"no active fault {selector!r} (xr_faults lists them)")
        self.faults.remove(ids, self.head.number)
        self._faults_changed()
        return ids

    def _faults_changed(self) -> None:
        base = self.faults.base_relay or self.relay_policy
        self.relay_policy = fault_modes.relay_policy(base, self.faults)  # a message delay is the relay policy's
        self.faults.base_relay = base if self.relay_policy is not base else None
        for listener in self.mode_listeners:
            listener()
        if any(self.pools.values()) or self.bundles.queue or self.relays:
            self._automine()

    def held(self) -> list[tuple[int, bytes, str]]:
        """Pooled transactions a fault holds back now: (chain id, hash, reason), and queued
        bundles (chain id 0, bundle hash, reason)."""
        if not self.faults.active:
            return []
        number, now = self.head.number + 1, time.time()
        out = [(cid, pending.hash, reason) for cid, pending in self._pooled_txs()
               if (reason := fault_modes.tx_hold(self.faults, cid, pending, number, now)) is not None]
        halted = fault_modes.halted_chains(self.faults)
        for bundle in self.bundles.queue:
            reason = fault_modes.bundle_hold(self.faults, bundle.hash, bundle.legs, number, now)
            if reason is None and any(cid in halted for cid, _ in bundle.legs):
                reason = "halted"
            if reason is not None:
                out.append((0, bundle.hash, reason))
        return out

    def _pooled_txs(self) -> list[tuple[int, PendingTx]]:
        return [(cid, e.pending) for cid in self._pooled for e in self.pools[cid].by_key.values()]

    def _due_relays(self, timestamp: int, number: int) -> list[Relay]:
        due = self.relay_policy.due(self.relays, timestamp, number)
        if self.faults.active:
            due = [r for r in due if not fault_modes.relay_hold(self.faults, r)]
        return due

    def reorg(self, depth: int) -> fault_modes.Reorg:
        """Drop the last ``depth`` superblocks and sequence again: every chain rolls back to its
        head at the fork point (dev-method edits made after that superblock are undone too),
        with the cross-rollup calls and messages of the dropped superblocks on every side; the
        users' transactions go back to the pools and the bundles to the queue, and one
        superblock in which every rolled-back chain advances is mined at once (unless the
        sequencer is down; under automine, what else waits follows). The log records the reorg (a restart and replay reproduce it). Returns
        the record, with what could not be sequenced again and why. Raises InvalidInput for a
        depth below 1 or one that reaches a safe superblock (at or below ``safe_superblock``)."""
        if depth < 1:
            raise InvalidInput(f"reorg depth must be at least 1, got {depth}")
        fork = self.head.number - depth
        if fork < self.safe_superblock:
            raise InvalidInput(f"cannot reorg {depth} superblocks: that drops superblock {max(fork + 1, 0)}, but "
                               f"superblocks up to {self.safe_superblock} are safe (head {self.head.number})")
        heights = {cid: self.block_at(cid, fork) for cid in self.chains}
        work = reorg_plan.dropped_work(self.chains, self.superblocks[fork + 1 :], heights, self.bundles.legs)
        length = self.log.superblock_end(fork)
        rolled = {cid for cid, chain in self.chains.items() if chain.height != heights[cid]}
        included = self._included_deposits()
        self.relays = reorg_plan.relays_after(self.relays, work, self.chains, self._superblock_of)
        dropped = tuple(sb.hash for sb in self.superblocks[fork + 1 :])
        self._roll_back(fork, heights, length)
        for tx_hash in work.tx_hashes:
            self.xcall_errors.pop(tx_hash, None)
        invalid: list[tuple[int, bytes, str]] = []
        user_txs = self._requeue_reorged_deposits(work.txs)
        for cid, pending in user_txs:
            try:  # an executing message whose log a dropped block held is invalid now
                interop.check_pending(pending, lambda c, n: self.chain(c).block(n))
                self.pools[cid].add(pending)
                self._pooled.add(cid)
            except TransactionRejected as exc:
                invalid.append((cid, pending.hash, str(exc)))
        self.bundles.requeue(work.bundles)
        self._requeue_deposits(included)  # in the L1's order, with what still waits
        requeued = tuple((cid, p.hash) for cid, p in user_txs) + tuple(
            (cid, p.hash) for bundle in work.bundles for cid, p in bundle.legs)
        record = fault_modes.Reorg(fork, depth, dropped, requeued, time.time())
        self.log.rewrite_tail(length, fault_modes.reorg_entry(record, length))
        self._invalidated = {}
        try:
            if not fault_modes.is_down(self.faults):
                advancing = rolled - fault_modes.halted_chains(self.faults)
                if advancing:
                    self.mine(chains=advancing)
                if isinstance(self.mode, Automine):
                    self.mine_pending()
            chain_of = {h: cid for cid, h in requeued}
            invalid += [(chain_of[h], h, reason) for h, reason in self._invalidated.items() if h in chain_of]
        finally:
            self._invalidated = None
        record = dataclasses.replace(record, invalid=tuple(invalid))
        self.faults.reorgs.append(record)
        for listener in self.mode_listeners:
            listener()
        return record

    def _roll_back(self, fork: int, heights: dict[int, int], length: int) -> None:
        """Every chain back to ``heights`` (its head at superblock ``fork``) plus the dev edits
        the log keeps before ``length``; superblocks after ``fork`` and the snapshots taken
        after the cut are dropped."""
        entries = self.log.entries
        for cid, chain in self.chains.items():
            height = heights[cid]
            start = self.log.superblock_end(self._superblock_of[cid][height])
            edits = [decode_edit(e) for e in entries[start:length] if e["t"] == "edit" and e["chainId"] == cid]
            root = bytes(chain.blocks[height].header.state_root)
            if chain.height != height or chain.head_state_root != root or edits:
                chain.truncate(height, root)
                del self._superblock_of[cid][height + 1 :]
                for edit in edits:
                    chain.edit_state(edit)
        del self.superblocks[fork + 1 :]
        for snap_id in [i for i, snap in self.snapshots.items() if snap.height > fork or snap.log_length > length]:
            del self.snapshots[snap_id]

    def _requeue_reorged_deposits(self, txs: list[tuple[int, PendingTx]]) -> list[tuple[int, PendingTx]]:
        """Put the deposits among a reorg's dropped ``txs`` back at the front of their chains'
        queues, in their order (a deposit is never lost, and keeps its deadline); returns the
        other transactions."""
        back: dict[int, list[PendingTx]] = {}
        rest = []
        for cid, pending in txs:
            if getattr(pending.tx, "type_id", None) == DEPOSIT_TX_TYPE:
                back.setdefault(cid, []).append(pending)
            else:
                rest.append((cid, pending))
        for cid, items in back.items():
            self.deposits[cid] = items + self.deposits.get(cid, [])
            self.windows.forget_included(p.hash for p in items)
        return rest

    def note_reorg(self, entry: dict[str, Any]) -> None:
        """Replay: a reorg record of the log (its truncation was applied when the log was read)."""
        self.faults.reorgs.append(fault_modes.reorg_from_entry(entry))
        self.log.append(entry, sync=False)
