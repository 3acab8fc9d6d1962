"""The hooks: a traced computation class that reports every frame and, as the tracer needs,
every opcode to a ``Recorder``, installed on one throwaway VM's state only.

The class (a subclass of the fork's computation made per trace) wraps the opcode table and
``apply_computation``. Nothing global is patched, so normal execution is untouched; the
instance attributes are removed in a ``finally`` anyway. For a call to ``Mailbox.xcall`` the
recorder computes, at the frame's entry, the request id exactly as the mailbox does (the
source nonce is read from the mailbox's ``outNonce`` before the frame runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth.abc import ComputationAPI, MessageAPI, StateAPI
from eth.exceptions import (
    ContractCreationCollision,
    FullStack,
    Halt,
    InsufficientFunds,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    ReservedBytesInCode,
    Revert,
    StackDepthLimit,
    VMError,
    WriteProtection,
)
from eth.vm.logic.invalid import InvalidOpcode
from eth_typing import Address

from chains.mailbox import MAILBOX, XCALL, decode_xcall_args, out_nonce, request_id
from chains.tracing.options import TraceOptions

CALL_OPS = {0xF0: "CREATE", 0xF1: "CALL", 0xF2: "CALLCODE", 0xF4: "DELEGATECALL", 0xF5: "CREATE2",
            0xFA: "STATICCALL"}
LOG_OPS = frozenset(range(0xA0, 0xA5))
SLOAD, SSTORE = 0x54, 0x55
GETH_NAMES = {"SHA3": "KECCAK256"}


# -- the hooks ---------------------------------------------------------------------------


@dataclass
class FrameInfo:
    """What the hooks learnt about one frame (a message's computation)."""

    kind: str
    parent: ComputationAPI | None
    log_positions: list[int] = field(default_factory=list)  # per own log: calls made before it
    xcall: tuple[int, bytes] | None = None  # (destination chain, request id) of Mailbox.xcall
    computation: ComputationAPI | None = None


@dataclass
class _CallStep:
    """A CALL/CREATE-family opcode in progress in some frame."""

    name: str
    gas_before: int
    entry: dict[str, Any] | None


class _Hooked:
    """One opcode of the traced table: the recorder around the original function."""

    __slots__ = ("fn", "code", "name", "rec")

    def __init__(self, fn: Any, code: int, name: str, rec: Recorder) -> None:
        self.fn, self.code, self.name, self.rec = fn, code, name, rec

    @property
    def mnemonic(self) -> str:
        return self.name

    def __call__(self, computation: ComputationAPI) -> None:
        self.rec.step(self, computation)


class _OpTable(dict[int, Any]):
    """The traced opcode table; an undefined opcode is traced too (it fails as INVALID)."""

    def __init__(self, items: Mapping[int, Any], rec: Recorder) -> None:
        super().__init__(items)
        self._rec = rec

    def __missing__(self, code: int) -> Any:
        return _Hooked(InvalidOpcode(code), code, "INVALID", self._rec)


def _mnemonic(fn: Any) -> str:
    name = getattr(fn, "mnemonic", None) or getattr(getattr(fn, "__wrapped__", None), "mnemonic", None) or "INVALID"
    return GETH_NAMES.get(name, name)


def _word(value: int | bytes) -> int:
    return value if isinstance(value, int) else int.from_bytes(value, "big")


def hex32(value: int) -> str:
    return value.to_bytes(32, "big").hex()


class Recorder:
    """Collects, during one transaction, what the requested tracer needs."""

    def __init__(self, chain_id: int, options: TraceOptions) -> None:
        self.chain_id = chain_id
        self.options = options
        self.struct = options.tracer is None
        self.calls = options.tracer == "callTracer"
        self.accesses = options.tracer == "prestateTracer"
        self.frames: dict[int, FrameInfo] = {}
        self.struct_logs: list[dict[str, Any]] = []
        self.touched: dict[bytes, set[int]] = {}
        self._steps: list[_CallStep] = []
        self._frames: list[FrameInfo] = []
        self._storage: dict[bytes, dict[int, int]] = {}

    # -- installing -------------------------------------------------------------------------

    def computation_class(self, base: type[ComputationAPI]) -> type[ComputationAPI]:
        """A subclass of ``base`` that reports to this recorder (children inherit it)."""
        rec = self
        if self.struct:
            wanted = dict(base.opcodes)
        elif self.calls:
            wanted = {c: f for c, f in base.opcodes.items() if c in CALL_OPS or c in LOG_OPS}
        else:
            wanted = {c: f for c, f in base.opcodes.items() if c in CALL_OPS}
        table: dict[int, Any] = dict(base.opcodes)
        table.update({c: _Hooked(f, c, _mnemonic(f), rec) for c, f in wanted.items()})
        opcodes = _OpTable(table, rec) if self.struct else table

        class Traced(base):  # type: ignore[valid-type, misc]
            @classmethod
            def apply_computation(cls, state: StateAPI, message: MessageAPI, transaction_context: Any,
                                  parent_computation: ComputationAPI | None = None) -> ComputationAPI:
                info = rec.enter(state, message, parent_computation)
                try:
                    computation = super().apply_computation(state, message, transaction_context,
                                                            parent_computation=parent_computation)
                finally:
                    rec._frames.pop()
                info.computation = computation
                rec.frames[id(computation)] = info
                return computation

        Traced.opcodes = opcodes  # type: ignore[attr-defined]
        Traced.__name__ = f"Traced{base.__name__}"
        return Traced

    @contextmanager
    def installed(self, state: StateAPI) -> Iterator[None]:
        """Trace what runs on ``state`` (a throwaway VM's) inside the block."""
        state.computation_class = self.computation_class(type(state).computation_class)  # type: ignore[misc]
        if self.accesses:
            mark_address, mark_storage = state.mark_address_warm, state.mark_storage_warm

            def on_address(address: Address) -> None:
                self.touch(address)
                mark_address(address)

            def on_storage(address: Address, slot: int) -> None:
                self.touch(address, slot)
                mark_storage(address, slot)

            state.mark_address_warm, state.mark_storage_warm = on_address, on_storage  # type: ignore[method-assign]
        try:
            yield
        finally:
            for name in ("computation_class", "mark_address_warm", "mark_storage_warm"):
                state.__dict__.pop(name, None)

    def touch(self, address: bytes, slot: int | None = None) -> None:
        slots = self.touched.setdefault(bytes(address), set())
        if slot is not None:
            slots.add(int(slot))

    # -- frames ------------------------------------------------------------------------------

    def enter(self, state: StateAPI, message: MessageAPI, parent: ComputationAPI | None) -> FrameInfo:
        if parent is None or not self._steps:
            kind = "CREATE" if message.is_create else "CALL"
        else:
            step = self._steps[-1]
            kind = step.name
            if step.entry is not None and step.entry["gasCost"] is None:
                # geth's gasCost of a call includes the gas it passes on
                step.entry["gasCost"] = step.gas_before - parent.get_gas_remaining()
        info = FrameInfo(kind, parent)
        if self.calls and not message.is_create and message.storage_address == MAILBOX \
                and message.code_address == MAILBOX and bytes(message.data[:4]) == XCALL:
            info.xcall = self._xcall_request(state, message)
        if self.accesses:
            for address in (message.sender, message.storage_address, message.code_address):
                if len(address) == 20:  # a create message's code address is the empty "to"
                    self.touch(address)
        self._frames.append(info)
        return info

    def _xcall_request(self, state: StateAPI, message: MessageAPI) -> tuple[int, bytes] | None:
        """(destination, request id) as Mailbox.xcall computes them, before it runs."""
        call = decode_xcall_args(bytes(message.data))
        if call is None:  # malformed calldata: the mailbox reverts; nothing to link
            return None
        dst, target, data = call
        nonce = out_nonce(state, dst)
        return dst, request_id(self.chain_id, dst, nonce, bytes(message.sender), target, int(message.value), data)

    # -- opcodes -----------------------------------------------------------------------------

    def step(self, op: _Hooked, computation: ComputationAPI) -> None:
        entry = self._struct_entry(op, computation) if self.struct else None
        gas_before = computation.get_gas_remaining()
        is_call = op.code in CALL_OPS
        if is_call:
            self._steps.append(_CallStep(op.name, gas_before, entry))
        try:
            op.fn(computation=computation)
        except VMError as exc:
            if entry is not None:
                if entry["gasCost"] is None:
                    entry["gasCost"] = _failed_cost(exc, gas_before, computation)
                if not isinstance(exc, Revert):
                    entry["error"] = error_message(exc)
            raise
        except Halt:
            if entry is not None and entry["gasCost"] is None:
                entry["gasCost"] = gas_before - computation.get_gas_remaining()
            raise
        finally:
            if is_call:
                self._steps.pop()
        if entry is not None and entry["gasCost"] is None:
            entry["gasCost"] = gas_before - computation.get_gas_remaining()
        if op.code in LOG_OPS and self.calls and self._frames:
            self._frames[-1].log_positions.append(len(computation.children))

    def _struct_entry(self, op: _Hooked, computation: ComputationAPI) -> dict[str, Any] | None:
        opts = self.options
        if opts.limit and len(self.struct_logs) >= opts.limit:
            return None
        c: Any = computation
        entry: dict[str, Any] = {
            "pc": max(0, c.code.program_counter - 1),
            "op": op.name,
            "gas": c.get_gas_remaining(),
            "gasCost": None,  # known once the op ran (or, for a call, when the callee starts)
            "depth": c.msg.depth + 1,
        }
        values = c._stack.values
        if not opts.disable_stack:
            entry["stack"] = [hex(_word(v)) for v in values]
        if opts.enable_memory:
            mem = bytes(c._memory._bytes)
            entry["memory"] = [mem[i:i + 32].hex() for i in range(0, len(mem), 32)]
        if opts.enable_return_data:
            entry["returnData"] = "0x" + bytes(c.return_data).hex()
        if not opts.disable_storage and op.code in (SLOAD, SSTORE) and values:
            address = bytes(c.msg.storage_address)
            slot = _word(values[-1])
            if op.code == SLOAD:
                value = int(c.state.get_storage(address, slot))
            else:
                value = _word(values[-2]) if len(values) > 1 else 0
            known = self._storage.setdefault(address, {})
            known[slot] = value
            entry["storage"] = {hex32(k): hex32(v) for k, v in known.items()}
        self.struct_logs.append(entry)
        return entry


def _failed_cost(exc: VMError, gas_before: int, computation: ComputationAPI) -> int:
    if isinstance(exc, OutOfGas):  # "Out of gas: Needed 20000 - Remaining 1234 - Reason: ..."
        match = re.search(r"Needed (\d+)", str(exc))
        if match:
            return int(match.group(1))
    return max(0, gas_before - computation.get_gas_remaining())


def error_message(error: BaseException) -> str:
    """geth's wording of an EVM error."""
    if isinstance(error, Revert):
        return "execution reverted"
    if isinstance(error, OutOfGas):
        return "max code size exceeded" if "EIP170" in str(error) else "out of gas"
    mapping: tuple[tuple[type[BaseException], str], ...] = (
        (InsufficientStack, "stack underflow"),
        (FullStack, "stack limit reached 1024"),
        (InvalidJumpDestination, "invalid jump destination"),
        (InvalidInstruction, "invalid opcode"),
        (InsufficientFunds, "insufficient balance for transfer"),
        (StackDepthLimit, "max call depth exceeded"),
        (ContractCreationCollision, "contract address collision"),
        (WriteProtection, "write protection"),
        (OutOfBoundsRead, "return data out of bounds"),
        (ReservedBytesInCode, "invalid code: must not begin with 0xef"),
    )
    for kind, text in mapping:
        if isinstance(error, kind):
            if kind is InvalidInstruction:
                match = re.search(r"0x[0-9a-f]+", str(error))
                return f"invalid opcode: opcode {match.group(0)} not defined" if match else text
            return text
    return str(error) or type(error).__name__
