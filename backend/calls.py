"""Execution without effect (eth_call, eth_estimateGas, eth_createAccessList), receipts and logs."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.base import SequencerHolder
from backend.logs import LogFilter, find_logs
from backend.simulation import simulate_call
from chains.mailbox import MAILBOX, XCALL_EVENT, decode_xcall_log, is_execute_log_of
from chains.rollup import BlockRef, CallMessage, LogRecord, MinedTx, raise_for_computation
from shared_sequencer.xcall import find_missing


class CallServices(SequencerHolder):
    def call(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> bytes:
        """eth_call; a call at the head that makes cross-rollup calls is simulated on every
        chain it touches. Raises ExecutionReverted (far side's data and reason),
        ExecutionHalted, BlockNotFound, UnknownChain."""
        chain = self.chain(chain_id)
        computation = chain.execute_call(msg, ref)
        if find_missing(computation, chain_id) is None or chain.block(ref) is not chain.head:
            raise_for_computation(computation, chain_id)
            return bytes(computation.output)
        result = simulate_call(self.sequencer, chain_id, msg)
        raise_for_computation(result.outcome.computation, result.failed_chain or chain_id)
        return result.outcome.output

    def estimate_gas(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> int:
        """eth_estimateGas, at most the fork's transaction gas limit cap (as geth's estimator on
        Osaka). Raises ExecutionReverted, ExecutionHalted, BlockNotFound."""
        chain = self.chain(chain_id)
        gas_limit = chain.config.gas_limit
        cap = msg.gas if msg.gas is not None else gas_limit
        fork_cap = chain.rules.tx_gas_limit_cap  # Osaka (EIP-7825): no transaction may ask for more
        if fork_cap is not None:
            cap = min(cap, fork_cap)
        computation = chain.execute_call(dataclasses.replace(msg, gas=cap), ref)
        if find_missing(computation, chain_id) is None or chain.block(ref) is not chain.head:
            return chain.estimate_gas(dataclasses.replace(msg, gas=cap), ref, first=computation)
        cap = min(cap, gas_limit // 2)  # room for the pre-fill system transactions
        # Cross-rollup: the caller's frame reads the pre-filled responses and burns the far
        # side's cost there (chains/mailbox.py), so what it consumed at the cap includes every
        # chain it touched. That, plus the 1/64 that EIP-150 withholds, verified once.
        first = simulate_call(self.sequencer, chain_id, dataclasses.replace(msg, gas=cap))
        raise_for_computation(first.outcome.computation, first.failed_chain or chain_id)
        consumed = cap - first.outcome.computation.get_gas_remaining()
        guess = min(cap, consumed * 64 // 63 + 2_300)
        check = simulate_call(self.sequencer, chain_id, dataclasses.replace(msg, gas=guess))
        return guess if check.outcome.success else cap

    def access_list(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> tuple[list[tuple[bytes, set[int]]], int]:
        """eth_createAccessList: (address, slots) touched, and the gas used."""
        return self.chain(chain_id).access_list(msg, ref)

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
