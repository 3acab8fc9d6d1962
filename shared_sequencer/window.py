"""The sequencing window: every deposit from the L1 is included within ``window`` L1 blocks.

A deposit taken from L1 block ``n`` must be on its rollup before L1 block ``n + window`` is
built (its *deadline*). The sequencer may hold it until then (a ``censor`` fault that names its
sender, target or chain does: ``censored``); when the L1 is about to build the deadline block and
the deposit still waits, derivation includes it anyway (``overdue``: the queue prefix that must
go in, in L1 order), in a superblock of deposits alone if need be, even while the sequencer is
down. ``Windows`` keeps, per deposit hash, when it came and when and how it was included.

A ``delay`` fault that names a deposit's chain or sender holds it as a censor does, for its
superblocks or seconds (``delayed``), and never past its deadline: the window forces it in then.

The superblock log keeps, with each superblock, the window record of the deposits included in it
(``record_entry``: the L1 block, deadline, the rollup's head when it came, and whether it was
forced), so that a restart, a replay or anvil_loadState knows them again (``Windows.restore``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chains.block import PendingTx
from shared_sequencer.faults import Censor, Delay, FaultBook, delayed

DEFAULT_WINDOW = 4  # L1 blocks: 8 s at the L1's default 2 s block time


@dataclass(frozen=True)
class Submitted:
    """A deposit as it came: its chain, the L1 block that holds it, its deadline (the L1 block
    before which it must be included), and the chain's head block when it came."""

    chain_id: int
    l1_block: int
    deadline: int
    rollup_head: int


@dataclass(frozen=True)
class Included:
    """Where a deposit went: superblock, its chain's block, and whether the sequencer chose to
    include it (``forced`` False) or derivation forced it at its deadline (True)."""

    superblock: int
    block: int
    forced: bool
    l1_head: int  # the last L1 block when it was included


@dataclass
class Windows:
    window: int = DEFAULT_WINDOW
    l1_head: int = 0  # the last L1 block the sequencer knows of
    submitted: dict[bytes, Submitted] = field(default_factory=dict)
    included: dict[bytes, Included] = field(default_factory=dict)

    def submit(self, chain_id: int, hashes: Iterable[bytes], l1_block: int | None, rollup_head: int) -> None:
        """Deposits ``hashes`` came from L1 block ``l1_block`` (None: the last one known)."""
        number = self.l1_head if l1_block is None else l1_block
        self.l1_head = max(self.l1_head, number)
        for tx_hash in hashes:
            self.submitted.setdefault(tx_hash, Submitted(chain_id, number, number + self.window, rollup_head))

    def note_included(self, hashes: Iterable[bytes], superblock: int, block: int, forced: bool) -> None:
        for tx_hash in hashes:
            if tx_hash in self.submitted:
                self.included[tx_hash] = Included(superblock, block, forced, self.l1_head)

    def forget_included(self, hashes: Iterable[bytes]) -> None:
        """A reorg dropped these deposits' blocks: they wait again (their deadline unchanged)."""
        for tx_hash in hashes:
            self.included.pop(tx_hash, None)

    def deadline_of(self, tx_hash: bytes) -> int | None:
        item = self.submitted.get(tx_hash)
        return None if item is None else item.deadline

    def copy(self) -> Windows:
        return Windows(self.window, self.l1_head, dict(self.submitted), dict(self.included))

    def record_entry(self, tx_hash: bytes) -> dict[str, Any] | None:
        """The superblock log's record of deposit ``tx_hash``'s window and inclusion (None for
        a deposit it does not know as included): where it was included follows from the
        superblock record it goes with."""
        came, went = self.submitted.get(tx_hash), self.included.get(tx_hash)
        if came is None or went is None:
            return None
        return {"chainId": came.chain_id, "hash": "0x" + tx_hash.hex(), "l1Block": came.l1_block,
                "deadline": came.deadline, "rollupHead": came.rollup_head, "forced": went.forced,
                "l1Head": went.l1_head}

    def restore(self, entry: Mapping[str, Any], superblock: int, block: int) -> None:
        """Replay: a deposit's record (``record_entry``) of superblock ``superblock``, in which
        its chain's block is ``block``."""
        tx_hash = bytes.fromhex(str(entry["hash"])[2:])
        self.submitted[tx_hash] = Submitted(int(entry["chainId"]), int(entry["l1Block"]), int(entry["deadline"]),
                                            int(entry["rollupHead"]))
        self.included[tx_hash] = Included(superblock, block, bool(entry["forced"]), int(entry["l1Head"]))
        self.l1_head = max(self.l1_head, int(entry["l1Head"]))


def overdue(queues: Mapping[int, Sequence[PendingTx]], windows: Windows, building: int) -> dict[int, int]:
    """For L1 block ``building`` about to be built: per chain, how many of its queued deposits
    (a prefix, to keep the L1's order) derivation must include now, those up to the last one
    whose deadline is ``building`` or earlier. Chains with none are left out."""
    out: dict[int, int] = {}
    for chain_id, queue in queues.items():
        last = -1
        for index, pending in enumerate(queue):
            deadline = windows.deadline_of(pending.hash)
            if deadline is not None and deadline <= building:
                last = index
        if last >= 0:
            out[chain_id] = last + 1
    return out


def censored(book: FaultBook, chain_id: int, pending: PendingTx) -> bool:
    """Whether an active ``censor`` fault names the deposit's sender, its target or its chain:
    the sequencer holds it (and the deposits after it on that chain) until its deadline."""
    target = bytes(pending.tx.to) if pending.tx.to else b""
    return any(isinstance(f, Censor) and (pending.sender in f.senders or target in f.contracts
                                          or chain_id in f.chains) for f in book.faults())


def deposit_hold(book: FaultBook, chain_id: int, pending: PendingTx, number: int, now: float) -> str | None:
    """Why the sequencer holds a queued deposit (and those after it on its chain) out of
    superblock ``number`` at wall-clock ``now``: ``censored`` (``censored``), or ``delayed``: an
    active ``delay`` fault names its chain or its sender (the deposit's ``from``) and its
    superblocks or seconds, counted from when the deposit came (or the delay began), have not
    passed. None when it may go. Either way its deadline forces it in (``overdue``)."""
    if censored(book, chain_id, pending):
        return "censored"
    for period in book.active.values():
        fault = period.fault
        if (isinstance(fault, Delay) and (chain_id in fault.chains or pending.sender in fault.senders)
                and delayed(book, period, pending.hash, number, now)):
            return "delayed"
    return None
