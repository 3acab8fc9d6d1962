"""The operators' L1 transactions: signed with their fixed keys, priced for the next L1 block."""

from __future__ import annotations

from chains.block import PendingTx
from chains.txbuild import TxRequest, sign
from settlement.l1 import L1Sequencer

TX_GAS = 21_000


def calldata_gas(data: bytes) -> int:
    """The gas a plain call with ``data`` to an account without code uses under EIP-7623
    (Prague's floor: 10 gas per token, a nonzero byte 4 tokens), which is never less than
    the standard 16/4 per byte."""
    zeros = data.count(0)
    return TX_GAS + 10 * (zeros + 4 * (len(data) - zeros))


def operator_tx(l1: L1Sequencer, key: bytes, sender: bytes, to: bytes, data: bytes, gas: int) -> PendingTx:
    """A signed transaction of an operator (batcher, proposer) at its next pending nonce,
    with room for the base fee to rise a hundredfold while it waits (a long log's frames may
    fill several blocks)."""
    cid = l1.chain_id
    fee = 100 * l1.next_base_fee_of(cid) + 10**9
    req = TxRequest(cid, sender, l1.pending_nonce(cid, sender), gas, to, 0, data,
                    max_fee_per_gas=fee, max_priority_fee_per_gas=1)
    return sign(req, key)
