"""The batcher: posts the rollups' superblock log to the L1 and raises their safe and
finalized heads as its batches land and sink.

Just before each L1 block is built (``before_block``), the entries the log gained since the
last post go out as one channel (settlement/batches.py) from the batcher to the batch inbox;
the rollups never wait on it. When an L1 block holds the last frame of a channel
(``after_block``), every superblock of the channel is safe, carried by that L1 block; once that
block is ``finality_depth`` under the L1's head, they are finalized. The batcher follows the
log through evm_revert (it re-posts from where the log changed: derivation rewrites the tail),
a new rollup sequencer (anvil_reset, anvil_loadState: it posts again from the genesis entry) and
a new or reverted L1 (it posts again what the L1 lost). On a new L1 it first reads back what
that L1 already carries (a restart from --state-dir): the longest part of the log the L1's
batches rebuild is not posted again, and is safe at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chains.errors import TransactionRejected
from chains.rollup import MinedBlock
from settlement.batches import BatchError, encode_channel, superblock_numbers
from settlement.contracts import BATCH_INBOX, BATCHER, BATCHER_KEY
from settlement.derive import ChainSource, derive
from settlement.l1 import L1Sequencer
from settlement.operators import calldata_gas, operator_tx
from shared_sequencer.sequencer import Sequencer

log = logging.getLogger("xrollup.settlement")


@dataclass
class Channel:
    """A posted channel: log entries [first, end), the hashes of its frames' transactions,
    and the last superblock in it (None for a channel of edits alone)."""

    first: int
    end: int
    tx_hashes: list[bytes]
    last_superblock: int | None


class Batcher:
    def __init__(self, rollups: Callable[[], Sequencer], finality_depth: int) -> None:
        """``rollups``: the rollups' current sequencer."""
        self._rollups = rollups
        self.finality_depth = finality_depth
        self._seq: Sequencer | None = None
        self._sent: list[dict[str, Any]] = []  # the log's entries posted so far (the same objects)
        self._channels: list[Channel] = []  # posted, oldest first
        self._landed: dict[bytes, Channel] = {}  # last frame's tx hash -> its channel, not yet seen mined
        self._carried: list[tuple[int, int]] = []  # (L1 block, last superblock it made safe), not yet final
        self._resume = True  # read back what a new L1 carries before posting to it
        self.listeners: list[Callable[[Sequencer], None]] = []  # told after safe or finalized heads move

    def forget_l1(self) -> None:
        """A new L1 (reset, loaded, restarted): post again whatever it does not carry yet."""
        self._forget_posts()
        self._resume = True

    def _forget_posts(self) -> None:
        self._sent.clear()
        self._channels.clear()
        self._landed.clear()
        self._carried.clear()

    def _resume_from(self, l1: L1Sequencer, seq: Sequencer) -> None:
        """Take the part of the log the L1's batches already rebuild as posted, and safe."""
        derived = derive(ChainSource(l1.l1))
        entries = seq.log.entries
        keep, most = 0, min(len(derived.entries), len(entries))
        while keep < most and derived.entries[keep] == entries[keep]:
            keep += 1
        self._sent = list(entries[:keep])
        numbers = list(superblock_numbers(self._sent))
        if numbers and numbers[-1] in derived.last_l1_block:
            carrier = derived.last_l1_block[numbers[-1]]
            seq.mark_safe(numbers[-1], carrier)
            self._carried.append((carrier, numbers[-1]))

    # -- before each L1 block ----------------------------------------------------------------

    def before_block(self, l1: L1Sequencer) -> None:
        seq = self._rollups()
        if seq is not self._seq:  # new rollups (anvil_reset, anvil_loadState): post from their genesis
            if self._seq is not None:
                self._forget_posts()
            self._seq = seq
        if self._resume:
            self._resume = False
            self._resume_from(l1, seq)
        self._recover(l1)
        entries = seq.log.entries
        sent = self._sent
        keep = min(len(entries), len(sent))
        while keep and entries[keep - 1] is not sent[keep - 1]:  # evm_revert changed the tail
            keep -= 1
        if keep == len(entries) == len(sent):
            return
        new = entries[keep:]
        hashes: list[bytes] = []
        try:
            for frame in encode_channel(keep, new):  # each pooled before the next takes the following nonce
                tx = operator_tx(l1, BATCHER_KEY, BATCHER, BATCH_INBOX, frame, calldata_gas(frame))
                hashes.append(l1.pool(tx))
        except (BatchError, TransactionRejected) as exc:  # derivation drops a channel cut short
            log.warning("the batcher could not post log entries %d-%d: %s", keep, len(entries) - 1, exc)
            return
        del sent[keep:]
        sent.extend(new)
        while self._channels and self._channels[-1].end > keep:
            self._channels.pop()
        for tx_hash, stale in list(self._landed.items()):  # what they carry after ``keep`` is gone
            if stale.end > keep:
                del self._landed[tx_hash]
        numbers = list(superblock_numbers(new))
        channel = Channel(keep, len(entries), hashes, numbers[-1] if numbers else None)
        self._channels.append(channel)
        self._landed[channel.tx_hashes[-1]] = channel

    def _recover(self, l1: L1Sequencer) -> None:
        """Post again what an L1 revert dropped: channels whose transactions the L1 no longer
        holds, mined or pooled."""
        chain, pool = l1.l1, l1.pools[l1.chain_id]
        lost = None
        for index in range(len(self._channels) - 1, -1, -1):
            last = self._channels[index].tx_hashes[-1]
            if last in chain.tx_by_hash or last in pool.by_hash:
                break
            lost = index
        if lost is not None:
            first = self._channels[lost].first
            del self._channels[lost:]
            del self._sent[first:]
            self._carried = [(b, n) for b, n in self._carried if b <= chain.height]

    # -- after each L1 block -----------------------------------------------------------------

    def after_block(self, block: MinedBlock) -> None:
        seq = self._seq
        if seq is None:
            return
        moved = False
        for tx in block.txs:
            channel = self._landed.pop(tx.hash, None)
            if channel is not None and channel.last_superblock is not None and tx.outcome.success:
                seq.mark_safe(channel.last_superblock, block.number)
                self._carried.append((block.number, channel.last_superblock))
                moved = True
        final = block.number - self.finality_depth
        done = [n for b, n in self._carried if b <= final]
        if done:
            self._carried = [(b, n) for b, n in self._carried if b > final]
            seq.mark_finalized(max(done))
            moved = True
        if moved:
            for listener in list(self.listeners):
                listener(seq)
