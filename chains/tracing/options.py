"""What a trace asks for: geth's trace config as a value (parsing its JSON is the method layer's)."""

from __future__ import annotations

from dataclasses import dataclass

TRACERS = ("callTracer", "prestateTracer")  # besides the struct logger (no tracer)


@dataclass(frozen=True)
class TraceOptions:
    """geth's trace config: ``tracer`` None is the struct logger."""

    tracer: str | None = None
    disable_stack: bool = False
    disable_storage: bool = False
    enable_memory: bool = False
    enable_return_data: bool = False
    limit: int = 0
    with_log: bool = False  # callTracer
    only_top_call: bool = False  # callTracer
    diff_mode: bool = False  # prestateTracer
    disable_code: bool = False  # prestateTracer
    disable_prestate_storage: bool = False  # prestateTracer


CALL_TRACER = TraceOptions(tracer="callTracer")
