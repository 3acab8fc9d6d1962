"""debug_trace* handlers of one chain (geth's tracers; see chains/tracing.py and backend/tracing.py).

debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber, debug_traceBlockByHash.
Traces re-execute on throwaway VMs: nothing here changes any chain.
"""

from __future__ import annotations

from typing import Any

from backend import Backend
from chains.rollup import BlockRef, CallMessage
from chains.tracing import TRACERS, TraceOptions
from node.params import TxFields


def _flag(source: dict[str, Any], key: str, default: bool = False) -> bool:
    v = source.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise ValueError(f"{key} must be a boolean")
    return v


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
    limit = value.get("limit") or 0
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueError("limit must be a non-negative integer")
    # enableMemory (geth >= 1.11); the older disableMemory: false also turns memory on.
    memory = _flag(value, "enableMemory") if "enableMemory" in value else not _flag(value, "disableMemory", True)
    return TraceOptions(
        tracer=tracer,
        disable_stack=_flag(value, "disableStack"),
        disable_storage=_flag(value, "disableStorage"),
        enable_memory=memory,
        enable_return_data=_flag(value, "enableReturnData"),
        limit=limit,
        with_log=_flag(config, "withLog"),
        only_top_call=_flag(config, "onlyTopCall"),
        diff_mode=_flag(config, "diffMode"),
        disable_code=_flag(config, "disableCode"),
        disable_prestate_storage=_flag(config, "disableStorage"),
    )


class DebugApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    async def debug_traceTransaction(self, tx_hash: bytes, options: TraceOptions) -> Any:
        return await self.backend.trace_transaction(self.chain_id, tx_hash, options)

    async def debug_traceCall(self, fields: TxFields, ref: BlockRef, options: TraceOptions) -> Any:
        msg = CallMessage(fields.sender or b"\x00" * 20, fields.to, fields.data, fields.value, fields.gas,
                          fields.access_list)
        return await self.backend.trace_call(self.chain_id, msg, ref, options)

    async def debug_traceBlockByNumber(self, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        return await self.backend.trace_block(self.chain_id, ref, options)

    debug_traceBlockByHash = debug_traceBlockByNumber
