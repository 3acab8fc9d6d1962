"""Tracing entry points (debug_trace*): traces re-execute on throwaway VMs, nothing changes."""

from __future__ import annotations

from typing import Any

from backend.base import SequencerHolder
from backend.reads import ReadRunner
from backend.simulation import call_job, next_superblock
from chains.rollup import BlockRef, CallMessage
from chains.tracing import TraceOptions, Tracer
from shared_sequencer.xcall import find_missing, simulate


class TracingServices(SequencerHolder):
    """Traces re-execute in a read's worker thread, under its deadline (backend/reads.py)."""

    reads: ReadRunner

    @property
    def tracer(self) -> Tracer:
        return Tracer(self.sequencer.chains, self._locate)

    def _locate(self, src: int, number: int, dst: int) -> int | None:
        """``dst``'s block in the superblock that holds block ``number`` of ``src``."""
        superblock = self.sequencer.superblock_of(src, number)
        return next((b.number for b in superblock.blocks if b.chain_id == dst), None)

    async def trace_transaction(self, chain_id: int, tx_hash: bytes, options: TraceOptions) -> Any:
        """Raises TransactionNotFound, ExecutionTimeout."""
        self.chain(chain_id)
        result = await self.reads.run(self.reads.deadline(), self.tracer.trace_transaction, chain_id, tx_hash, options)
        if options.tracer == "callTracer" and isinstance(result, dict) and "error" in result:
            # Why a cross-rollup transaction reverted, as its receipt says (its requests never
            # happened, so its xcall frames show only the mailbox's MissingResponse).
            error = self.sequencer.xcall_errors.get(tx_hash)
            if error is not None:
                result["xrollupError"] = {"chainId": hex(error.chain_id) if error.chain_id else None, "reason": error.reason}
        return result

    async def trace_call(self, chain_id: int, msg: CallMessage, ref: BlockRef, options: TraceOptions) -> Any:
        """debug_traceCall; a call at the head that makes cross-rollup calls is simulated on
        every chain it touches, as eth_call does, and traced across them. Raises
        BlockNotFound, UnknownChain, ExecutionTimeout."""
        chain = self.chain(chain_id)
        msg = self.reads.limits.capped(msg, chain.config.gas_limit)
        point = chain.read_point(ref)
        deadline = self.reads.deadline()
        tracer = self.tracer
        if point.is_head and find_missing(await self.reads.run(deadline, chain.execute_call, msg, point),
                                          chain_id) is not None:
            sim = next_superblock(self.sequencer, base_fee=0)
            job = call_job(self.sequencer, chain_id, msg)
            traced = await self.reads.run(deadline, tracer.trace_call_with_xcalls, chain_id, job, sim.builders,
                                          sim.envs, options, simulate, inline=False)
            if traced is not None:
                return traced
        return await self.reads.run(deadline, tracer.trace_call, chain_id, msg, point, options)

    async def trace_block(self, chain_id: int, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        """debug_traceBlockByNumber/Hash. Raises BlockNotFound, UnknownChain, ExecutionTimeout."""
        block = self.chain(chain_id).block(ref)
        return await self.reads.run(self.reads.deadline(), self.tracer.trace_block, chain_id, block.hash, options)
