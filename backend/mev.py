"""The MEV report (xr_getMevReport): the detector (shared_sequencer/mev.py) over superblocks."""

from __future__ import annotations

from backend.base import SequencerHolder
from chains.errors import InvalidInput
from chains.rollup import CallMessage
from shared_sequencer.mev import Finding, TokenPair, TxLogs, decode_swaps, find_mev

MAX_REPORT_SUPERBLOCKS = 1000
TOKEN0 = bytes.fromhex("0dfe1681")  # token0()
TOKEN1 = bytes.fromhex("d21220a7")  # token1()
_NOBODY = b"\x00" * 20


class MevServices(SequencerHolder):
    def _pool_tokens(self, chain_id: int, pool: bytes) -> TokenPair | None:
        """A pool's (token0, token1) at the chain's head, or None if it answers neither."""
        chain = self.chain(chain_id)
        words = []
        for selector in (TOKEN0, TOKEN1):
            computation = chain.execute_call(CallMessage(_NOBODY, pool, selector, gas=100_000), "latest")
            output = bytes(computation.output)
            if computation.is_error or len(output) != 32:
                return None
            words.append(output[12:])
        return words[0], words[1]

    def superblock_txs(self, number: int) -> list[TxLogs]:
        """Every transaction of superblock ``number``, chain by chain. Raises BlockNotFound."""
        out = []
        for ref in self.sequencer.superblock(number).blocks:
            block = self.chain(ref.chain_id).block(ref.number)
            for mined in block.txs:
                out.append(TxLogs(ref.chain_id, mined.hash, mined.index, mined.outcome.pending.sender,
                                  tuple((log.address, log.topics, log.data) for log in mined.logs)))
        return out

    def mev_report(self, first: int, last: int) -> list[Finding]:
        """Sandwiches, back-runs and arbitrage of superblocks ``first``..``last``. Raises
        InvalidInput for an empty or too long range, BlockNotFound beyond the head."""
        if last < first:
            raise InvalidInput(f"empty range: to {last} is before from {first}")
        if last - first + 1 > MAX_REPORT_SUPERBLOCKS:
            raise InvalidInput(f"at most {MAX_REPORT_SUPERBLOCKS} superblocks per report")
        self.sequencer.superblock(last)  # raises BlockNotFound beyond the head
        cache: dict[tuple[int, bytes], TokenPair | None] = {}

        def tokens(chain_id: int, pool: bytes) -> TokenPair | None:
            if (chain_id, pool) not in cache:
                cache[(chain_id, pool)] = self._pool_tokens(chain_id, pool)
            return cache[(chain_id, pool)]

        findings: list[Finding] = []
        for number in range(first, last + 1):
            findings += find_mev(number, decode_swaps(self.superblock_txs(number), tokens))
        return findings
