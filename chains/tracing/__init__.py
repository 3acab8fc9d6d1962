"""Transaction traces (debug_traceTransaction, debug_traceCall, debug_traceBlock*): re-execute,
with hooks.

A trace runs the transaction again on a throwaway VM with a traced computation class
installed on that VM's state only, and shapes what it saw as geth does:
  - the struct logger (no ``tracer``): pc, op, gas, gasCost, depth, stack, and memory /
    storage / returnData when asked, plus ``error`` on the op that failed;
  - ``callTracer``: the call tree with types, gas, input/output, errors and revert reasons,
    logs (``withLog``), ``onlyTopCall``, and for each ``Mailbox.xcall`` frame the destination
    chain's transaction that served it, traced the same way;
  - ``prestateTracer``: touched accounts before the transaction (``diffMode``: pre and post).

Modules, by job: ``options`` (what a trace asks for), ``recorder`` (the hooks),
``reexec`` (blocks to re-execute and the re-execution), ``calltrace`` (callTracer frames and
cross-rollup links), ``prestate`` (prestateTracer), ``tracer`` (the entry points).
"""

from chains.tracing.options import CALL_TRACER, TRACERS, TraceOptions
from chains.tracing.reexec import TraceDiverged
from chains.tracing.tracer import Tracer, TransactionNotFound

__all__ = ["CALL_TRACER", "TRACERS", "TraceDiverged", "TraceOptions", "Tracer", "TransactionNotFound"]
