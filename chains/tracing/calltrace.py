"""callTracer frames from a traced computation tree, geth's shape, plus cross-rollup links.

In a callTracer trace, the frame of every call to ``Mailbox.xcall`` carries ``"xrollup":
{chainId, requestId, txHash, trace}``: the destination chain's system transaction
(``Mailbox.execute``) that served the request in the same superblock, found through the
``XCallExecuted`` event and traced the same way, so nested calls A -> B -> C nest as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from eth.abc import ComputationAPI
from eth.exceptions import Revert

from chains.errors import decode_revert_reason
from chains.mailbox import MAILBOX, XCALL_EVENT, xcall_log_request_id
from chains.tracing.options import TraceOptions
from chains.tracing.recorder import FrameInfo, Recorder, error_message, hex32
from chains.tracing.reexec import BlockView, ViewResolver

MAX_XCALL_DEPTH = 16

NestedTrace = Callable[[BlockView, int, TraceOptions, ViewResolver, frozenset[tuple[int, int, int]]], Any]
"""(view, transaction index, options, resolver, seen) -> the trace of a destination transaction."""


class CallFrames:
    """callTracer frames from a traced computation tree."""

    def __init__(self, trace_nested: NestedTrace, rec: Recorder, resolve: ViewResolver, number: int,
                 seen: frozenset[tuple[int, int, int]]) -> None:
        self.trace_nested, self.rec, self.resolve, self.number, self.seen = trace_nested, rec, resolve, number, seen
        self.opts = rec.options

    def frame(self, c: ComputationAPI, parent: ComputationAPI | None, failed: bool = False) -> dict[str, Any]:
        """``failed``: an ancestor failed, so this frame's logs were discarded (geth)."""
        info = self.rec.frames.get(id(c))
        msg = c.msg
        kind = info.kind if info is not None else _infer_kind(c, parent)
        if kind == "DELEGATECALL":
            sender = parent.msg.storage_address if parent is not None else msg.sender
            to = msg.code_address
        elif kind == "CALLCODE":
            sender, to = msg.sender, msg.code_address
        else:
            sender, to = msg.sender, msg.storage_address
        out: dict[str, Any] = {
            "type": kind,
            "from": "0x" + bytes(sender).hex(),
            "to": "0x" + bytes(to).hex(),
        }
        if kind != "STATICCALL":
            out["value"] = hex(int(msg.value))
        out["gas"] = hex(int(msg.gas))
        out["gasUsed"] = hex(int(c.get_gas_used()))
        out["input"] = "0x" + bytes(msg.code if msg.is_create else msg.data).hex()
        output = bytes(c.output)
        if c.is_error:
            out["error"] = error_message(c.error)
            if isinstance(c.error, Revert):
                if output:
                    out["output"] = "0x" + output.hex()
                reason = decode_revert_reason(output)
                if reason is not None:
                    out["revertReason"] = reason
        elif output:
            out["output"] = "0x" + output.hex()
        failed = failed or c.is_error
        if self.opts.with_log and not failed:
            logs = self._logs(c, info)
            if logs:
                out["logs"] = logs
        if info is not None and info.xcall is not None:
            out["xrollup"] = self._xrollup(c, *info.xcall)
        if not self.opts.only_top_call and c.children:
            out["calls"] = [self.frame(child, c, failed) for child in c.children]
        return out

    def _logs(self, c: ComputationAPI, info: FrameInfo | None) -> list[dict[str, Any]]:
        entries = list(getattr(c, "_log_entries", ()))
        positions = info.log_positions if info is not None else []
        out = []
        for i, (_counter, address, topics, data) in enumerate(entries):
            out.append({"address": "0x" + bytes(address).hex(),
                        "topics": ["0x" + hex32(int(t)) for t in topics],
                        "data": "0x" + bytes(data).hex(),
                        "position": hex(positions[i] if i < len(positions) else len(c.children))})
        return out

    def _xrollup(self, c: ComputationAPI, dst: int, req_id: bytes) -> dict[str, Any]:
        # The XCall event, when the call succeeded, names the request id the mailbox used.
        for _counter, address, topics, data in getattr(c, "_log_entries", ()):
            if bytes(address) == MAILBOX and len(topics) > 2 and int(topics[0]).to_bytes(32, "big") == XCALL_EVENT \
                    and len(data) >= 128:
                req_id = xcall_log_request_id(bytes(data))
        out: dict[str, Any] = {"chainId": hex(dst), "requestId": "0x" + req_id.hex(), "txHash": None}
        view = self.resolve(self.rec.chain_id, self.number, dst) if self.number >= 0 else None
        index = view.find_execute(req_id) if view is not None else None
        if view is None or index is None:
            return out
        out["txHash"] = "0x" + view.txs[index].hash.hex()
        if view.simulated:
            out["simulated"] = True
        key = (dst, view.number, index)
        if key in self.seen or len(self.seen) >= MAX_XCALL_DEPTH:
            return out
        opts = replace(self.opts, tracer="callTracer")
        out["trace"] = self.trace_nested(view, index, opts, self.resolve, self.seen)
        return out


def _infer_kind(c: ComputationAPI, parent: ComputationAPI | None) -> str:
    msg = c.msg
    if msg.is_create:
        return "CREATE"
    if parent is None:
        return "CALL"
    if msg.is_static and not parent.msg.is_static:
        return "STATICCALL"
    if msg.code_address != msg.storage_address and not msg.is_delegation:
        return "CALLCODE" if msg.should_transfer_value else "DELEGATECALL"
    return "STATICCALL" if msg.is_static else "CALL"
