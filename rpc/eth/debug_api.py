"""debug_trace* handlers of one chain (geth's tracers; see chains/tracing/).

debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber, debug_traceBlockByHash.
Traces re-execute on throwaway VMs: nothing here changes any chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_typing import Address

from chains.block import BlockEnv
from chains.builder import BlockBuilder
from chains.rollup import BlockRef, CallMessage
from chains.tracing import TRACERS, TraceOptions, Tracer
from chains.txbuild import TxRequest, impersonate
from rpc.eth.params import TxFields

if TYPE_CHECKING:
    from xrollup.devnet import Devnet


def trace_options(value: Any) -> TraceOptions:
    """Parameter parser: geth's trace options object (tracer, tracerConfig, ...). Raises
    ValueError (unknown tracer, bad types)."""
    if value is None:
        return TraceOptions()
    if not isinstance(value, dict):
        raise ValueError("trace options must be an object")
    tracer = value.get("tracer")
    if tracer is not None and tracer not in TRACERS:
        raise ValueError(f"unknown tracer {tracer!r}: supported are callTracer, prestateTracer and "
                         "the struct logger (no tracer)")
    config = value.get("tracerConfig") or {}
    if not isinstance(config, dict):
        raise ValueError("tracerConfig must be an object")

    def flag(source: dict[str, Any], key: str, default: bool = False) -> bool:
        v = source.get(key, default)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise ValueError(f"{key} must be a boolean")
        return v

    limit = value.get("limit") or 0
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueError("limit must be a non-negative integer")
    # enableMemory (geth >= 1.11); the older disableMemory: false also turns memory on.
    memory = flag(value, "enableMemory") if "enableMemory" in value else not flag(value, "disableMemory", True)
    return TraceOptions(
        tracer=tracer,
        disable_stack=flag(value, "disableStack"),
        disable_storage=flag(value, "disableStorage"),
        enable_memory=memory,
        enable_return_data=flag(value, "enableReturnData"),
        limit=limit,
        with_log=flag(config, "withLog"),
        only_top_call=flag(config, "onlyTopCall"),
        diff_mode=flag(config, "diffMode"),
        disable_code=flag(config, "disableCode"),
        disable_prestate_storage=flag(config, "disableStorage"),
    )


class DebugApi:
    def __init__(self, devnet: Devnet, chain_id: int) -> None:
        self.devnet = devnet
        self.chain_id = chain_id

    @property
    def tracer(self) -> Tracer:
        return Tracer(self.devnet.sequencer.chains)

    def debug_traceTransaction(self, tx_hash: bytes, options: TraceOptions) -> Any:
        result = self.tracer.trace_transaction(self.chain_id, tx_hash, options)
        if options.tracer == "callTracer" and isinstance(result, dict) and "error" in result:
            # Why a cross-rollup transaction reverted, as its receipt says (its requests never
            # happened, so its xcall frames show only the mailbox's MissingResponse).
            error = getattr(self.devnet.sequencer, "xcall_errors", {}).get(tx_hash)
            if error is not None:
                result["xrollupError"] = {"chainId": hex(error.chain_id) if error.chain_id else None,
                                          "reason": error.reason}
        return result

    def debug_traceCall(self, fields: TxFields, ref: BlockRef, options: TraceOptions) -> Any:
        msg = CallMessage(fields.sender or b"\x00" * 20, fields.to, fields.data, fields.value, fields.gas,
                          fields.access_list)
        traced = self._trace_xcall(msg, ref, options)
        if traced is not None:
            return traced
        return self.tracer.trace_call(self.chain_id, msg, ref, options)

    def _trace_xcall(self, msg: CallMessage, ref: BlockRef, options: TraceOptions) -> Any | None:
        """A call at the head that makes cross-rollup calls: simulated on every chain it
        touches, as eth_call does, and traced across them. None otherwise."""
        from shared_sequencer.xcall import find_missing, simulate

        chain = self.devnet.chain(self.chain_id)
        if chain.block(ref) is not chain.head:
            return None
        if find_missing(chain.execute_call(msg, ref), self.chain_id) is None:
            return None
        seq = self.devnet.sequencer
        ts = seq.clock.next(seq.head.timestamp)
        envs = {cid: BlockEnv(ts, c.config.gas_limit, seq.coinbase, base_fee=0) for cid, c in seq.chains.items()}
        # Builders of their own (not new_builder: that hands out the chain's warm account
        # database, which belongs to the next real block).
        builders = {cid: BlockBuilder(c.evm, c.head.header, c.head_state_root, envs[cid])
                    for cid, c in seq.chains.items()}
        nonce = chain.state_at("latest").get_nonce(Address(msg.sender))
        gas = msg.gas if msg.gas is not None else chain.config.gas_limit // 2
        job = impersonate(TxRequest(self.chain_id, msg.sender, nonce, gas, msg.to, msg.value, msg.data,
                                    gas_price=0, access_list=msg.access_list))
        return self.tracer.trace_call_with_xcalls(self.chain_id, job, builders, envs, options, simulate)

    def debug_traceBlockByNumber(self, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        return self.tracer.trace_block(self.chain_id, ref, options)

    debug_traceBlockByHash = debug_traceBlockByNumber
