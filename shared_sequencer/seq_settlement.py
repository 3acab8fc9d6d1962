"""The sequencer's side of the settlement layer: safe and finalized superblocks as the L1
carries them (``mark_safe``), OP deposits handed in from the L1 (queued, held by a censor or
delay fault, re-queued after a revert, forgotten after an L1 revert, queued again from the L1
after a restart or a load: ``restore_deposits``) and the sequencing window
that forces overdue ones in (shared_sequencer/window.py), whose record goes into the
superblock log with each superblock. A mixin of ``Sequencer``: its state is declared in
seq_state.py."""

from __future__ import annotations

import bisect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import Address

from chains.block import BlockEnv, PendingTx, SealedBlock
from chains.deposits import L1_BLOCK, Deposit, L1Origin, as_pending
from chains.errors import (
    InvalidInput,
)
from chains.rollup import BlockRef, MinedBlock, RollupChain
from shared_sequencer import faults as fault_modes
from shared_sequencer import window as windows
from shared_sequencer.builders import Envs
from shared_sequencer.seq_state import SequencerState
from shared_sequencer.superblock import SuperBlock

ORIGIN_NUMBER_BITS = 64  # L1Block's slot 0: the origin's number in its low 64 bits


@dataclass(frozen=True)
class WaitingDeposit:
    """A deposit of the L1 that no rollup block includes yet (settlement/deposits.py finds
    them when the settlement layer attaches after a restart or a load): the L1 block that holds
    it, as L1 origin, and its chain's head block when that L1 block came (where its hand-off
    starts)."""

    deposit: Deposit
    origin: L1Origin
    rollup_head: int


def origin_number_at(chain: RollupChain, ref: BlockRef = "latest") -> int:
    """The number of the L1 origin ``chain``'s block ``ref`` holds in L1Block (0 before any).
    Raises BlockNotFound."""
    return int(chain.state_at(ref).get_storage(Address(L1_BLOCK), 0)) & ((1 << ORIGIN_NUMBER_BITS) - 1)


class SettlementMixin(SequencerState):
    def mark_safe(self, number: int, l1_block: int) -> None:
        """Superblocks up to ``number`` (at most the head) are in L1 block ``l1_block``: every
        chain's "safe" tag moves to its head as of it. The first call makes the devnet settled
        (tags and statuses follow the L1 from then on). Never lowers the safe head."""
        number = min(number, self.head.number)
        if self.settled and number <= self.safe_superblock:
            return
        self.settled = True
        self.safe_superblock = number
        self._carriers.append((number, l1_block))
        for cid, chain in self.chains.items():
            chain.set_tag("safe", self.block_at(cid, number))
            chain.tags.setdefault("finalized", 0)

    def mark_finalized(self, number: int) -> None:
        """Superblocks up to ``number`` (at most the safe head) are final on the L1: every
        chain's "finalized" tag moves to its head as of it. Never lowers it."""
        number = min(number, self.safe_superblock)
        if number < self.finalized_superblock:
            return
        self.finalized_superblock = number
        for cid, chain in self.chains.items():
            chain.set_tag("finalized", self.block_at(cid, number))

    def l1_block_of(self, number: int) -> int | None:
        """The L1 block that carries superblock ``number``'s batch; None while it is unsafe."""
        index = bisect.bisect_left(self._carriers, (number, -1))
        return self._carriers[index][1] if index < len(self._carriers) else None

    def status_of(self, number: int) -> str:
        """unsafe, safe (its batch is in an L1 block) or finalized (that L1 block is final)."""
        if not self.settled:
            return "unsafe"
        if number <= self.finalized_superblock:
            return "finalized"
        return "safe" if number <= self.safe_superblock else "unsafe"

    def submit_deposits(self, deposits: Mapping[int, Sequence[Deposit]], l1_origin: L1Origin | None = None
                        ) -> dict[int, list[bytes]]:
        """Queue OP deposit transactions (type 0x7E) for the next block of each chain they name,
        and ``l1_origin`` (the L1 block they come from) for the next block of every chain named:
        the next superblock includes them all, at the top of their blocks, in the given order
        (a chain's queue spills into later blocks only beyond its block gas limit). Deposits
        pass no admission and no ordering policy. Wakes automine like a submission. Returns
        each chain's deposit hashes.

        Raises UnknownChain, or InvalidInput for a deposit whose gas is above its chain's block
        gas limit (it could never be included); nothing is queued then."""
        for chain_id, items in deposits.items():
            limit = self.chain(chain_id).config.gas_limit
            for deposit in items:
                if deposit.gas > limit:
                    raise InvalidInput(f"deposit 0x{deposit.hash.hex()} asks for {deposit.gas} gas, above chain "
                                       f"{chain_id}'s block gas limit {limit}")
        hashes: dict[int, list[bytes]] = {}
        for chain_id, items in deposits.items():
            pendings = [as_pending(d) for d in items]
            if pendings:  # an empty queue would read as work waiting (the mining service's test)
                self.deposits.setdefault(chain_id, []).extend(pendings)
            self._l1_deposits.setdefault(chain_id, []).extend((p, l1_origin) for p in pendings)
            hashes[chain_id] = [d.hash for d in items]
            self.windows.submit(chain_id, hashes[chain_id], None if l1_origin is None else l1_origin.number,
                                self.chains[chain_id].height)
            if l1_origin is not None:
                self.l1_origins[chain_id] = l1_origin
            for tx_hash in hashes[chain_id]:  # a delay fault counts from here
                self.faults.note_arrival(tx_hash, self.head.number)
        self._automine()
        if self.faults.active:  # a delay may hold them: the mining service recomputes when to wake
            for listener in self.mode_listeners:
                listener()
        return hashes

    def restore_deposits(self, waiting: Mapping[int, Sequence[WaitingDeposit]], l1_head: int
                         ) -> dict[int, list[bytes]]:
        """Queue again deposits the L1 holds that no chain includes yet (the queue is not in the
        superblock log: after a restart from the state dir or a load, the L1 is the record of
        them), each with its own L1 block: its deadline is the one it had, and each chain's
        queue stays in the L1's order. A deposit its chain includes or queues already is
        skipped. A chain's next L1 origin moves up to the newest of its deposits' L1 blocks,
        never below the origin its head holds or the one already waiting. Then, as before L1
        block ``l1_head + 1``: deposits whose deadline is ``l1_head`` or earlier (the L1 built
        their deadline block without them) are included at once, by force (``enforce_window``);
        the others wake automine like a submission. Returns each chain's deposits queued again.

        Raises UnknownChain, or InvalidInput for a deposit whose gas is above its chain's block
        gas limit; nothing is queued then."""
        for chain_id, items in waiting.items():
            limit = self.chain(chain_id).config.gas_limit
            for item in items:
                if item.deposit.gas > limit:
                    raise InvalidInput(f"deposit 0x{item.deposit.hash.hex()} asks for {item.deposit.gas} gas, above "
                                       f"chain {chain_id}'s block gas limit {limit}")
        self.windows.l1_head = max(self.windows.l1_head, l1_head)
        hashes: dict[int, list[bytes]] = {}
        for chain_id, items in waiting.items():
            chain = self.chains[chain_id]
            queued = {p.hash for p in self.deposits.get(chain_id, [])}
            fresh = [item for item in items if item.deposit.hash not in chain.tx_by_hash
                     and item.deposit.hash not in queued]
            if not fresh:
                continue
            for item in fresh:
                self.windows.submit(chain_id, [item.deposit.hash], item.origin.number, item.rollup_head)
            pendings: list[tuple[PendingTx, L1Origin | None]] = [(as_pending(item.deposit), item.origin)
                                                                  for item in fresh]
            self.deposits[chain_id] = sorted([p for p, _o in pendings] + self.deposits.get(chain_id, []),
                                             key=self._l1_block_of_deposit)
            self._l1_deposits[chain_id] = sorted(
                self._l1_deposits.get(chain_id, []) + pendings,
                key=lambda held: held[1].number if held[1] is not None else self._l1_block_of_deposit(held[0]))
            newest = max((item.origin for item in fresh), key=lambda origin: origin.number)
            if newest.number > self._origin_number(chain_id):
                self.l1_origins[chain_id] = newest
            hashes[chain_id] = [item.deposit.hash for item in fresh]
            for tx_hash in hashes[chain_id]:  # a delay fault counts from here
                self.faults.note_arrival(tx_hash, self.head.number)
        if not hashes:
            return hashes
        self.enforce_window(l1_head)
        if any(self.deposits.values()):
            self._automine()
        if self.faults.active:  # a delay may hold them: the mining service recomputes when to wake
            for listener in self.mode_listeners:
                listener()
        return hashes

    def _l1_block_of_deposit(self, pending: PendingTx) -> int:
        """The L1 block a queued deposit came from (the window's record; the last one known
        for a deposit without one)."""
        came = self.windows.submitted.get(pending.hash)
        return self.windows.l1_head if came is None else came.l1_block

    def _origin_number(self, chain_id: int) -> int:
        """The number of the L1 origin ``chain_id``'s next block writes: the one waiting, else
        the one its head block holds in L1Block (0 before any)."""
        waiting = self.l1_origins.get(chain_id)
        return waiting.number if waiting is not None else origin_number_at(self.chains[chain_id])

    def _included_deposits(self) -> set[bytes]:
        """The hashes of the deposits handed in that the chains include now."""
        return {p.hash for cid, held in self._l1_deposits.items() for p, _origin in held
                if p.hash in self.chains[cid].tx_by_hash}

    def _requeue_deposits(self, included: set[bytes]) -> None:
        """After a revert or reorg: the deposits of ``included`` (those the chains included
        before it) that their chain no longer includes wait again, with those still queued, in
        the L1's order, and the newest L1 origin among them for the chain's next block. (A
        deposit queued after an evm_snapshot and never included is forgotten by evm_revert
        to it, as any queued work.)"""
        for cid, held in self._l1_deposits.items():
            wanted = included | {p.hash for p in self.deposits.get(cid, [])}
            missing = [(p, origin) for p, origin in held
                       if p.hash in wanted and p.hash not in self.chains[cid].tx_by_hash]
            if missing:
                self.deposits[cid] = [p for p, _origin in missing]
                origin = missing[-1][1]
                if origin is not None:
                    current = self.l1_origins.get(cid)
                    self.l1_origins[cid] = origin if current is None or current.number < origin.number else current
            else:
                self.deposits.pop(cid, None)

    def l1_reverted(self, l1_height: int) -> None:
        """The L1 went back to block ``l1_height`` (evm_revert, a reorg there): superblocks
        whose batches were in later L1 blocks are unsafe again (safe and finalized fall to the
        last superblock a remaining L1 block carries), and deposits from later L1 blocks are
        forgotten: those still waiting are not included, those a rollup already included stay
        (unsafe: a revert or reorg of the rollup removes them)."""
        self._l1_deposits = {cid: [(p, o) for p, o in held if o is None or o.number <= l1_height]
                             for cid, held in self._l1_deposits.items()}
        for cid, queue in list(self.deposits.items()):
            kept = {p.hash for p, _o in self._l1_deposits.get(cid, [])}
            queue[:] = [p for p in queue if p.hash in kept]
            if not queue:
                del self.deposits[cid]
        self.l1_origins = {cid: o for cid, o in self.l1_origins.items() if o.number <= l1_height}
        kept_carriers = [(number, l1) for number, l1 in self._carriers if l1 <= l1_height]
        if kept_carriers == self._carriers:
            return
        self._carriers = kept_carriers
        safe = max((number for number, _l1 in kept_carriers), default=0)
        if safe >= self.safe_superblock:
            return
        self.safe_superblock = safe
        self.finalized_superblock = min(self.finalized_superblock, safe)
        for cid, chain in self.chains.items():
            chain.set_tag("safe", self.block_at(cid, safe))
            chain.set_tag("finalized", self.block_at(cid, self.finalized_superblock))

    def _due_deposits(self, envs: Envs) -> dict[int, list[PendingTx]]:
        """Each chain's queued deposits that fit in the next superblock's block, in queue order;
        a chain's queue stops at a deposit a censor or delay fault holds (window.py: at most
        until its deadline, when ``enforce_window`` includes it)."""
        due: dict[int, list[PendingTx]] = {}
        number, now = self.head.number + 1, time.time()
        for chain_id, queue in self.deposits.items():
            room = envs[chain_id].gas_limit
            for pending in queue:
                if pending.tx.gas > room or (self.faults.active and windows.deposit_hold(
                        self.faults, chain_id, pending, number, now) is not None):
                    break
                room -= pending.tx.gas
                due.setdefault(chain_id, []).append(pending)
        return due

    def enforce_window(self, l1_block: int) -> list[SuperBlock]:
        """L1 block ``l1_block`` is about to be built: include every queued deposit whose
        deadline (window.py) is that block or earlier, with the deposits before it on its chain,
        as derivation would: in superblocks of those deposits alone (as many as their gas
        needs), whether the sequencer is down, censoring or halting their chain. Returns the
        superblocks made (none when nothing is overdue). Raises nothing of its own."""
        self.windows.l1_head = max(self.windows.l1_head, l1_block - 1)
        made: list[SuperBlock] = []
        while due := windows.overdue(self.deposits, self.windows, l1_block):
            parent = self.head
            ts = self.clock.next(parent.timestamp)
            envs = self.block_envs(ts)
            sealed: dict[int, SealedBlock] = {}
            for cid in sorted(due, key=self._order.__getitem__):
                builder = self.chains[cid].new_builder(envs[cid])
                room = envs[cid].gas_limit
                for pending in self.deposits[cid][: due[cid]]:
                    if pending.tx.gas > room:
                        break
                    room -= pending.tx.gas
                    builder.apply(pending)
                sealed[cid] = builder.seal()
            self._forcing = True
            try:
                made.append(self.commit(parent.number + 1, ts, parent, sealed, envs, ()))
            finally:
                self._forcing = False
        return made

    def held_deposits(self) -> list[tuple[int, bytes, str, int | None]]:
        """Queued deposits the sequencer holds back now: (chain id, hash, reason, deadline).
        The reason is the fault's (``down``, ``censored``, ``delayed``: window.py), or, for one
        queued behind a held deposit of its chain, that deposit's; each waits at most until
        its deadline."""
        if not self.faults.active:
            return []
        number, now = self.head.number + 1, time.time()
        down = fault_modes.is_down(self.faults)
        out = []
        for chain_id, queue in self.deposits.items():
            reason: str | None = "down" if down else None
            for pending in queue:
                reason = reason or windows.deposit_hold(self.faults, chain_id, pending, number, now)
                if reason is not None:
                    out.append((chain_id, pending.hash, reason, self.windows.deadline_of(pending.hash)))
        return out

    def queued_deposits(self) -> list[tuple[int, PendingTx]]:
        """Every queued deposit, with its chain (what a delay in seconds may hold: the mining
        service wakes when it ends)."""
        return [(chain_id, pending) for chain_id, queue in self.deposits.items() for pending in queue]

    def _window_record(self, mined: Mapping[int, MinedBlock], number: int) -> tuple[dict[str, Any], ...]:
        """The window records (window.py ``record_entry``) of the deposits superblock
        ``number`` includes, in block order, for its log record."""
        included = self.windows.included
        if not included:
            return ()
        out = []
        for block in mined.values():
            for tx in block.txs:
                went = included.get(tx.hash)
                if went is not None and went.superblock == number:
                    entry = self.windows.record_entry(tx.hash)
                    if entry is not None:
                        out.append(entry)
        return tuple(out)

    def restore_windows(self, entries: Sequence[Mapping[str, Any]], number: int, blocks: Mapping[int, int]) -> None:
        """Replay: superblock ``number``'s window records (``_window_record``), its chains'
        block numbers in ``blocks``."""
        for entry in entries:
            self.windows.restore(entry, number, blocks[int(entry["chainId"])])

    def _settle_deposits(self, mined: Mapping[int, MinedBlock], envs: Mapping[int, BlockEnv]) -> None:
        """Forget the queued deposits and L1 origins the chains in ``mined`` just included."""
        for cid, block in mined.items():
            queue = self.deposits.get(cid)
            if queue:
                included = {tx.hash for tx in block.txs}
                self.windows.note_included([p.hash for p in queue if p.hash in included],
                                           self._superblock_of[cid][block.number], block.number, self._forcing)
                queue[:] = [p for p in queue if p.hash not in included]
            if queue is not None and not queue:
                del self.deposits[cid]
            if cid in self.l1_origins and envs[cid].l1_origin == self.l1_origins[cid]:
                del self.l1_origins[cid]
