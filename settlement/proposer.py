"""The proposer: proposes each rollup's output root to its L2OutputOracle as its safe head
moves, so that withdrawals can be proven against it.

Just before each L1 block is built, for every rollup whose safe block is past the oracle's
latest proposal, it proposes the output root of that block (OP's version 0:
keccak256(bytes32(0) ++ stateRoot ++ messagePasserStorageRoot ++ blockHash)). It waits while
an earlier proposal of its own is still pooled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import rlp
from eth_abi import encode
from eth_utils import keccak

from chains.errors import TransactionRejected, XRollupError
from chains.proofs import BLANK_ROOT, trie_proof
from chains.rollup import CallMessage, RollupChain
from settlement.contracts import PROPOSER, PROPOSER_KEY, oracle_address
from settlement.l1 import L1Sequencer
from settlement.operators import operator_tx
from shared_sequencer.sequencer import Sequencer

log = logging.getLogger("xrollup.settlement")

MESSAGE_PASSER = bytes.fromhex("4200000000000000000000000000000000000016")
OUTPUT_VERSION = b"\x00" * 32
PROPOSE = keccak(b"proposeL2Output(bytes32,uint256,bytes32,uint256)")[:4]
LATEST_BLOCK_NUMBER = keccak(b"latestBlockNumber()")[:4]
PROPOSAL_GAS = 200_000


def message_passer_storage_root(chain: RollupChain, number: int) -> bytes:
    """The L2ToL1MessagePasser's storage root in block ``number``'s state. Raises
    BlockNotFound."""
    block = chain.block(number)
    _, encoded = trie_proof(chain.evm.chaindb.db, bytes(block.header.state_root), keccak(MESSAGE_PASSER))
    if not encoded:
        return BLANK_ROOT
    return bytes(rlp.decode(encoded)[2])


def output_root(chain: RollupChain, number: int) -> bytes:
    """OP's version-0 output root of block ``number``. Raises BlockNotFound."""
    block = chain.block(number)
    return keccak(OUTPUT_VERSION + bytes(block.header.state_root) + message_passer_storage_root(chain, number)
                  + block.hash)


def latest_proposed(l1: L1Sequencer, chain_id: int) -> int:
    """The oracle's latestBlockNumber() for rollup ``chain_id`` at the L1's head."""
    out = l1.l1.call(CallMessage(b"\x00" * 20, oracle_address(chain_id), LATEST_BLOCK_NUMBER))
    return int.from_bytes(out[:32], "big")


class Proposer:
    def __init__(self, rollups: Callable[[], Sequencer]) -> None:
        self._rollups = rollups

    def before_block(self, l1: L1Sequencer) -> None:
        if l1.pending_nonce(l1.chain_id, PROPOSER) != l1.l1.head_account(PROPOSER)[0]:
            return  # an earlier proposal waits in the pool
        seq = self._rollups()
        if not seq.settled:
            return
        for cid, chain in seq.chains.items():
            number = chain.block("safe").number
            try:
                if number <= latest_proposed(l1, cid):
                    continue
                data = PROPOSE + encode(["bytes32", "uint256", "bytes32", "uint256"],
                                        [output_root(chain, number), number, b"\x00" * 32, 0])
                l1.pool(operator_tx(l1, PROPOSER_KEY, PROPOSER, oracle_address(cid), data, PROPOSAL_GAS))
            except (TransactionRejected, XRollupError) as exc:
                log.warning("the proposer could not propose block %d of chain %d: %s", number, cid, exc)
