"""One chain's transaction pool, keyed by (sender, nonce).

Transactions whose nonce is above the sender's next nonce wait (queued) until the gap fills.
A replacement for the same (sender, nonce) needs a 10% higher fee cap and tip, as anvil and
geth require. ``ready`` yields what a block can take, in policy order, each sender in nonce
order; ``prune`` drops what a superblock included or made stale.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from eth_typing import Address

from chains.block import PendingTx
from chains.errors import TransactionRejected
from shared_sequencer.ordering import OrderingPolicy

PRICE_BUMP_PERCENT = 10
_arrivals = itertools.count()


def fee_cap(pending: PendingTx) -> int:
    tx = pending.tx
    return int(tx.gas_price) if tx.type_id in (None, 1) else int(tx.max_fee_per_gas)


def tip_cap(pending: PendingTx) -> int:
    tx = pending.tx
    return int(tx.gas_price) if tx.type_id in (None, 1) else int(tx.max_priority_fee_per_gas)


@dataclass
class PoolTx:
    pending: PendingTx
    arrival: int = field(default_factory=lambda: next(_arrivals))
    base_fee: int = 0
    received: float = field(default_factory=time.time)  # wall-clock seconds

    @property
    def tx_hash(self) -> bytes:
        return self.pending.hash

    @property
    def sender(self) -> bytes:
        return self.pending.sender

    @property
    def tip(self) -> int:
        return max(0, min(tip_cap(self.pending), fee_cap(self.pending) - self.base_fee))

    @property
    def key(self) -> tuple[bytes, int]:
        return self.pending.sender, int(self.pending.tx.nonce)


@dataclass
class Mempool:
    by_key: dict[tuple[bytes, int], PoolTx] = field(default_factory=dict)
    by_hash: dict[bytes, PoolTx] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.by_key)

    def __iter__(self) -> Iterator[PoolTx]:
        return iter(sorted(self.by_key.values(), key=lambda p: p.arrival))

    def copy(self) -> Mempool:
        return Mempool(dict(self.by_key), dict(self.by_hash))

    def add(self, pending: PendingTx) -> PoolTx | None:
        """Add or replace. Returns the replaced entry. Raises TransactionRejected."""
        if pending.hash in self.by_hash:
            raise TransactionRejected("transaction already imported")
        entry = PoolTx(pending)
        old = self.by_key.get(entry.key)
        if old is not None:
            bump = 100 + PRICE_BUMP_PERCENT
            if fee_cap(pending) * 100 < fee_cap(old.pending) * bump or tip_cap(pending) * 100 < tip_cap(old.pending) * bump:
                raise TransactionRejected("replacement transaction underpriced")
            del self.by_hash[old.pending.hash]
        self.by_key[entry.key] = entry
        self.by_hash[pending.hash] = entry
        return old

    def remove(self, tx_hash: bytes) -> PoolTx | None:
        entry = self.by_hash.pop(tx_hash, None)
        if entry is not None:
            del self.by_key[entry.key]
        return entry

    def clear(self) -> list[PoolTx]:
        entries = list(self.by_key.values())
        self.by_key.clear()
        self.by_hash.clear()
        return entries

    def prune(self, nonce_of: Callable[[Address], int]) -> list[PoolTx]:
        """Drop every entry whose nonce the chain has used. Returns what was dropped."""
        cache: dict[bytes, int] = {}
        stale = []
        for (sender, nonce), entry in list(self.by_key.items()):
            if sender not in cache:
                cache[sender] = nonce_of(Address(sender))
            if nonce < cache[sender]:
                stale.append(entry)
                self.remove(entry.pending.hash)
        return stale

    def ready(self, nonce_of: Callable[[bytes], int], order: OrderingPolicy, base_fee: int) -> Iterator[PoolTx]:
        """Executable transactions, best first; each sender's in nonce order, with no gaps.

        The consumer may stop early; a sender whose transaction it skipped should not get more
        (use ``ready`` afresh for the next block). A transaction the policy holds back
        (``order.eligible``) ends its sender's run: its successors wait with it.
        """
        by_sender: dict[bytes, list[PoolTx]] = {}
        for entry in self.by_key.values():
            entry.base_fee = base_fee
            by_sender.setdefault(entry.pending.sender, []).append(entry)
        heap: list[tuple[tuple[int, ...], int, bytes]] = []
        queues: dict[bytes, Iterator[PoolTx]] = {}
        heads: dict[bytes, PoolTx] = {}
        for sender, entries in by_sender.items():
            entries.sort(key=lambda e: e.pending.tx.nonce)
            expected = nonce_of(sender)
            run = []
            for entry in entries:
                if entry.pending.tx.nonce != expected or not order.eligible(entry):
                    break
                run.append(entry)
                expected += 1
            if run:
                queues[sender] = iter(run)
                heads[sender] = next(queues[sender])
                heapq.heappush(heap, (order.key(heads[sender], base_fee), heads[sender].arrival, sender))
        while heap:
            _, _, sender = heapq.heappop(heap)
            yield heads[sender]
            following = next(queues[sender], None)
            if following is not None:
                heads[sender] = following
                heapq.heappush(heap, (order.key(following, base_fee), following.arrival, sender))

    def release_at(self, order: OrderingPolicy) -> float | None:
        """The earliest time a transaction ``order`` holds back becomes eligible, or None."""
        times = [t for t in (order.release_at(e) for e in self.by_key.values() if not order.eligible(e)) if t is not None]
        return min(times, default=None)
