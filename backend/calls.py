"""Execution without effect (eth_call, eth_estimateGas, eth_createAccessList), receipts and logs."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.base import SequencerHolder
from backend.logs import LogFilter, find_logs
from backend.reads import ReadRunner
from backend.simulation import prepare_call, run_call
from chains.mailbox import MAILBOX, XCALL_EVENT, decode_xcall_log, is_execute_log_of
from chains.rollup import (
    AccessListResult,
    BlockRef,
    CallMessage,
    LogRecord,
    MinedTx,
    ReadPoint,
    RollupChain,
    raise_for_computation,
)
from shared_sequencer.xcall import find_missing


class CallServices(SequencerHolder):
    """Calls run in worker threads, bounded by the gas cap and the time limit
    (backend/reads.py); every one raises ExecutionTimeout past it."""

    reads: ReadRunner

    def _read(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> tuple[RollupChain, CallMessage, ReadPoint]:
        """The chain, ``msg`` under the gas cap, and ``ref`` resolved now. Raises
        BlockNotFound, UnknownChain."""
        chain = self.chain(chain_id)
        return chain, self.reads.limits.capped(msg, chain.config.gas_limit), chain.read_point(ref)

    async def call(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> bytes:
        """eth_call; a call at the head that makes cross-rollup calls is simulated on every
        chain it touches. Raises ExecutionReverted (far side's data and reason),
        ExecutionHalted, ExecutionTimeout, BlockNotFound, UnknownChain."""
        chain, msg, point = self._read(chain_id, msg, ref)
        deadline = self.reads.deadline()
        computation = await self.reads.run(deadline, chain.execute_call, msg, point)
        if find_missing(computation, chain_id) is None or not point.is_head:
            raise_for_computation(computation, chain_id)
            return bytes(computation.output)
        result = await self.reads.run(deadline, run_call, prepare_call(self.sequencer, chain_id, msg), inline=False)
        raise_for_computation(result.outcome.computation, result.failed_chain or chain_id)
        return result.outcome.output

    async def estimate_gas(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> int:
        """eth_estimateGas, at most the fork's transaction gas limit cap (as geth's estimator on
        Osaka). Raises ExecutionReverted, ExecutionHalted, ExecutionTimeout, BlockNotFound."""
        chain, msg, point = self._read(chain_id, msg, ref)
        deadline = self.reads.deadline()
        cap = msg.gas if msg.gas is not None else chain.config.gas_limit
        fork_cap = chain.rules.tx_gas_limit_cap  # Osaka (EIP-7825): no transaction may ask for more
        if fork_cap is not None:
            cap = min(cap, fork_cap)
        msg = dataclasses.replace(msg, gas=cap)
        computation = await self.reads.run(deadline, chain.execute_call, msg, point)
        if find_missing(computation, chain_id) is None or not point.is_head:
            return await self.reads.run(deadline, chain.estimate_gas, msg, point, computation)
        cap = min(cap, chain.config.gas_limit // 2)  # room for the pre-fill system transactions
        # Cross-rollup: the caller's frame reads the pre-filled responses and burns the far
        # side's cost there (chains/mailbox.py), so what it consumed at the cap includes every
        # chain it touched. That, plus the 1/64 that EIP-150 withholds, verified once.
        first = await self.reads.run(deadline, run_call,
                                     prepare_call(self.sequencer, chain_id, dataclasses.replace(msg, gas=cap)), inline=False)
        raise_for_computation(first.outcome.computation, first.failed_chain or chain_id)
        consumed = cap - first.outcome.computation.get_gas_remaining()
        guess = min(cap, consumed * 64 // 63 + 2_300)
        check = await self.reads.run(deadline, run_call,
                                     prepare_call(self.sequencer, chain_id, dataclasses.replace(msg, gas=guess)), inline=False)
        return guess if check.outcome.success else cap

    async def access_list(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> AccessListResult:
        """eth_createAccessList: (address, slots) touched, and the gas used. Raises as
        ``call``."""
        chain, msg, point = self._read(chain_id, msg, ref)
        return await self.reads.run(self.reads.deadline(), chain.access_list, msg, point)

    # -- receipts and logs ------------------------------------------------------------------

    def receipt_extra(self, chain_id: int, mined: MinedTx) -> dict[str, Any]:
        """What a receipt says beyond geth's: ``xcalls`` (each cross-rollup call the
        transaction made, with the destination transaction) and ``xrollupError`` (why a
        cross-rollup transaction reverted, naming the chain that failed)."""
        extra: dict[str, Any] = {}
        xcalls = [self._xcall_record(chain_id, mined.block_number, log) for log in mined.logs
                  if log.address == MAILBOX and log.topics and log.topics[0] == XCALL_EVENT]
        if xcalls:
            extra["xcalls"] = xcalls
        error = self.sequencer.xcall_errors.get(mined.hash)
        if error is not None and not mined.outcome.success:
            extra["xrollupError"] = {"chainId": hex(error.chain_id) if error.chain_id else None, "reason": error.reason}
        return extra

    def _xcall_record(self, chain_id: int, number: int, log: LogRecord) -> dict[str, Any]:
        dst = int.from_bytes(log.topics[1], "big")
        target, value, request_id, success = decode_xcall_log(log.data)
        dest_tx = None
        superblock = self.sequencer.superblock_of(chain_id, number)
        ref = next((b for b in superblock.blocks if b.chain_id == dst), None)  # the same superblock
        if ref is not None:
            for tx in self.chain(dst).blocks[ref.number].txs:
                if any(is_execute_log_of(lg.address, lg.topics, request_id) for lg in tx.logs):
                    dest_tx = "0x" + tx.hash.hex()
        return {"destinationChainId": hex(dst), "nonce": hex(int.from_bytes(log.topics[2], "big")),
                "target": target, "value": hex(value), "requestId": "0x" + request_id.hex(),
                "success": success, "destinationTxHash": dest_tx}

    def logs(self, chain_id: int, query: LogFilter) -> list[LogRecord]:
        """eth_getLogs. Raises BlockNotFound, InvalidInput (a range inverted or too long)."""
        return find_logs(self.chain(chain_id), query)
