"""debug_trace* handlers of one chain (geth's tracers; see chains/tracing.py and backend/tracing.py).

debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber, debug_traceBlockByHash.
Traces re-execute on throwaway VMs: nothing here changes any chain.
"""

from __future__ import annotations

from typing import Any

from backend import Backend
from chains.errors import InvalidInput
from chains.rollup import BlockRef, CallMessage
from chains.tracing import TraceOptions
from node.params import TxFields


def trace_options(value: Any) -> TraceOptions:
    """Parameter parser: geth's trace options object (tracer, tracerConfig, ...)."""
    try:
        return TraceOptions.from_json(value)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


class DebugApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    def debug_traceTransaction(self, tx_hash: bytes, options: TraceOptions) -> Any:
        return self.backend.trace_transaction(self.chain_id, tx_hash, options)

    def debug_traceCall(self, fields: TxFields, ref: BlockRef, options: TraceOptions) -> Any:
        msg = CallMessage(fields.sender or b"\x00" * 20, fields.to, fields.data, fields.value, fields.gas,
                          fields.access_list)
        return self.backend.trace_call(self.chain_id, msg, ref, options)

    def debug_traceBlockByNumber(self, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        return self.backend.trace_block(self.chain_id, ref, options)

    debug_traceBlockByHash = debug_traceBlockByNumber
