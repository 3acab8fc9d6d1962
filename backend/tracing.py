"""Tracing entry points (debug_trace*): traces re-execute on throwaway VMs, nothing changes."""

from __future__ import annotations

from typing import Any

from backend.base import SequencerHolder
from backend.simulation import call_job, next_superblock
from chains.rollup import BlockRef, CallMessage
from chains.tracing import TraceOptions, Tracer
from shared_sequencer.xcall import find_missing, simulate


class TracingServices(SequencerHolder):
    @property
    def tracer(self) -> Tracer:
        return Tracer(self.sequencer.chains, self._locate)

    def _locate(self, src: int, number: int, dst: int) -> int | None:
        """``dst``'s block in the superblock that holds block ``number`` of ``src``."""
        superblock = self.sequencer.superblock_of(src, number)
        return next((b.number for b in superblock.blocks if b.chain_id == dst), None)

    def trace_transaction(self, chain_id: int, tx_hash: bytes, options: TraceOptions) -> Any:
        """Raises TransactionNotFound."""
        result = self.tracer.trace_transaction(chain_id, tx_hash, options)
        if options.tracer == "callTracer" and isinstance(result, dict) and "error" in result:
            # Why a cross-rollup transaction reverted, as its receipt says (its requests never
            # happened, so its xcall frames show only the mailbox's MissingResponse).
            error = self.sequencer.xcall_errors.get(tx_hash)
            if error is not None:
                result["xrollupError"] = {"chainId": hex(error.chain_id) if error.chain_id else None, "reason": error.reason}
        return result

    def trace_call(self, chain_id: int, msg: CallMessage, ref: BlockRef, options: TraceOptions) -> Any:
        """debug_traceCall; a call at the head that makes cross-rollup calls is simulated on
        every chain it touches, as eth_call does, and traced across them. Raises
        BlockNotFound, UnknownChain."""
        traced = self._trace_xcall(chain_id, msg, ref, options)
        if traced is not None:
            return traced
        return self.tracer.trace_call(chain_id, msg, ref, options)

    def _trace_xcall(self, chain_id: int, msg: CallMessage, ref: BlockRef, options: TraceOptions) -> Any | None:
        chain = self.chain(chain_id)
        if chain.block(ref) is not chain.head:
            return None
        if find_missing(chain.execute_call(msg, ref), chain_id) is None:
            return None
        sim = next_superblock(self.sequencer, base_fee=0)
        job = call_job(self.sequencer, chain_id, msg)
        return self.tracer.trace_call_with_xcalls(chain_id, job, sim.builders, sim.envs, options, simulate)

    def trace_block(self, chain_id: int, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        """debug_traceBlockByNumber/Hash. Raises BlockNotFound, UnknownChain."""
        return self.tracer.trace_block(chain_id, ref, options)
