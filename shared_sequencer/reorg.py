"""What a reorg takes back: the work of the superblocks it drops (``Sequencer.reorg`` applies it).

``dropped_work`` reads the blocks above the fork point: the users' transactions go back to the
pools, the bundles back to the queue whole (a bundle's legs never return one by one), and the
sequencer's own system transactions (cross-rollup executes and pre-fills, relays) are not kept:
re-sequencing the users' work makes them again. ``relays_after`` is the relay queue as of the
fork point: a message sent in a dropped block vanishes, one relayed in a dropped block waits again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chains.block import PendingTx
from chains.mailbox import SEQUENCER
from chains.rollup import RollupChain
from shared_sequencer.bundles import Bundle
from shared_sequencer.relay import Relay, relayed_keys, sent_messages
from shared_sequencer.superblock import SuperBlock


@dataclass
class DroppedWork:
    heights: dict[int, int]  # each chain's head at the fork point
    txs: list[tuple[int, PendingTx]] = field(default_factory=list)  # users' transactions, in order, no bundle legs
    bundles: list[Bundle] = field(default_factory=list)
    relayed: set[tuple[int, int, int]] = field(default_factory=set)  # (source, block, log index) relayed
    tx_hashes: set[bytes] = field(default_factory=set)  # every transaction dropped, system ones too


def dropped_work(chains: Mapping[int, RollupChain], superblocks: Sequence[SuperBlock], heights: dict[int, int],
                 bundle_legs: Mapping[bytes, list[tuple[int, bytes]]]) -> DroppedWork:
    """The work of ``superblocks`` (those a reorg drops, in order), given each chain's head at
    the fork point (``heights``). A bundle's reverting legs are those that reverted when it
    was included (it was allowed to)."""
    work = DroppedWork(dict(heights))
    by_hash: dict[bytes, tuple[int, PendingTx, bool]] = {}
    ordered: list[tuple[int, PendingTx]] = []
    for superblock in superblocks:
        for ref in superblock.blocks:
            block = chains[ref.chain_id].blocks[ref.number]
            work.relayed |= relayed_keys(block)
            for tx in block.txs:
                pending = tx.outcome.pending
                work.tx_hashes.add(pending.hash)
                if pending.sender == SEQUENCER:
                    continue
                by_hash[pending.hash] = (ref.chain_id, pending, tx.outcome.success)
                ordered.append((ref.chain_id, pending))
    legs_of_bundles: set[bytes] = set()
    for superblock in superblocks:
        for bundle_hash in superblock.bundles:
            legs = [by_hash[tx_hash] for _cid, tx_hash in bundle_legs.get(bundle_hash, []) if tx_hash in by_hash]
            if not legs:
                continue
            reverting = frozenset(p.hash for _cid, p, ok in legs if not ok)
            work.bundles.append(Bundle(tuple((cid, p) for cid, p, _ok in legs), reverting))
            legs_of_bundles.update(p.hash for _cid, p, _ok in legs)
    work.txs = [(cid, p) for cid, p in ordered if p.hash not in legs_of_bundles]
    return work


def relays_after(relays: list[Relay], work: DroppedWork, chains: Mapping[int, RollupChain],
                 superblock_of: Mapping[int, list[int]]) -> list[Relay]:
    """The relay queue once the chains are back at ``work.heights``: waiting relays of messages
    sent at or below the fork point stay; those relayed in a dropped block wait again (first)."""
    heights = work.heights
    again = []
    for source, number, log_index in sorted(work.relayed):
        if source in chains and number <= heights[source]:
            block = chains[source].blocks[number]
            again += [r for r in sent_messages(source, block, chains, superblock_of[source][number])
                      if r.log_index == log_index]
    kept = [r for r in relays if r.block_number <= heights.get(r.source, -1)]
    return again + kept
