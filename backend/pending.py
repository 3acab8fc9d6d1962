"""The pending block: what the pool would make of the next block now, built and thrown away."""

from __future__ import annotations

import time

from backend.base import SequencerHolder
from chains.block import base_fee_of
from chains.errors import TransactionRejected
from chains.rollup import MinedBlock, MinedTx
from shared_sequencer.ordering import Round


class PendingServices(SequencerHolder):
    def pending_block(self, chain_id: int) -> MinedBlock:
        """The next block of ``chain_id`` as the pool would fill it now (``"pending"`` in
        eth_getBlockByNumber): the ready transactions in the ordering policy's order, executed
        on a throwaway builder at the next block's timestamp and base fee. Cross-rollup calls
        are not resolved here and bundles are left out (both are settled at mining). Its
        transactions carry no block hash. Under a sealed policy (``encrypted``) nothing is
        ordered before mining, so the pending block holds no transaction. Raises UnknownChain."""
        seq = self.sequencer
        chain = seq.chain(chain_id)
        builder = chain.scratch_builder(seq.block_envs(seq.next_timestamp())[chain_id])
        number = int(builder.header.block_number)
        skipped: set[bytes] = set()
        policy = seq.order_of(chain_id)
        order = policy.bind(Round(seq.head.number + 1, time.time()))
        pool = seq.pools[chain_id]
        for entry in () if policy.sealed else pool.ready(builder.nonce_of, order, int(base_fee_of(builder.header))):
            sender = entry.pending.sender
            if sender in skipped or entry.pending.tx.gas > builder.gas_left:
                skipped.add(sender)
                continue
            try:
                builder.apply(entry.pending)
            except TransactionRejected:
                skipped.add(sender)
        outcomes = list(builder.outcomes)
        sealed = builder.seal()
        return MinedBlock(sealed, [MinedTx(o, number, b"", i, []) for i, o in enumerate(outcomes)])
