"""Transaction traces (debug_traceTransaction, debug_traceCall): re-execute, with hooks.

A committed transaction keeps only a frozen summary of its computation, so a trace runs the
transaction again: a fresh ``BlockBuilder`` on the state the block was built on, in the
block's own environment, applies the block's earlier transactions, then the traced one with
a *traced computation class* installed on that throwaway VM's state only. That class (a
subclass of the fork's computation made per trace) wraps the opcode table and
``apply_computation``: every frame's entry and exit and, as each tracer needs, every opcode
are seen. Nothing global is patched, so normal execution is untouched; the instance
attribute is removed in a ``finally`` anyway. The re-executed receipt is checked against the
mined one (status and gas).

Tracers, as geth shapes them:
  - the struct logger (no ``tracer``): pc, op, gas, gasCost, depth, stack, and memory /
    storage / returnData when asked, plus ``error`` on the op that failed;
  - ``callTracer``: the call tree with types, gas, input/output, errors and revert reasons,
    logs (``withLog``), ``onlyTopCall``;
  - ``prestateTracer``: touched accounts before the transaction (``diffMode``: pre and post).

Cross-rollup calls: in a callTracer trace, the frame of every call to ``Mailbox.xcall``
carries ``"xrollup": {chainId, requestId, txHash, trace}``, the destination chain's system
transaction (``Mailbox.execute``) that served the request in the same superblock, traced
the same way, so nested calls A -> B -> C nest as well. The request id is computed at the
frame's entry exactly as the mailbox does (the source nonce is read from the mailbox's
``outNonce`` before the frame runs) and found on the destination chain through the
``XCallExecuted`` event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from eth.abc import BlockHeaderAPI, ComputationAPI, MessageAPI, StateAPI
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
from eth_abi import decode, encode
from eth_typing import Address
from eth_utils import keccak

from chains.builder import BlockBuilder, BlockEnv, PendingTx, TxOutcome
from chains.errors import XRollupError, decode_revert_reason
from chains.rollup import BlockRef, CallMessage, MinedBlock, RollupChain

# The mailbox protocol (shared_sequencer/xcall.py and bridge_contracts/src/Mailbox.sol);
# repeated here so that chains/ does not import the sequencer.
MAILBOX = bytes.fromhex("4200000000000000000000000000000000000100")
XCALL_SELECTOR = keccak(b"xcall(uint256,address,bytes)")[:4]
XCALL_TOPIC = int.from_bytes(keccak(b"XCall(uint256,uint256,address,address,uint256,bytes32,bool)"), "big")
XCALL_EXECUTED_TOPIC = keccak(b"XCallExecuted(uint256,uint256,bytes32,bool,bytes)")
OUT_NONCE_SLOT = 0  # Mailbox storage: mapping(uint256 => uint256) outNonce
MAX_XCALL_DEPTH = 16

TRACERS = ("callTracer", "prestateTracer")
CALL_OPS = {0xF0: "CREATE", 0xF1: "CALL", 0xF2: "CALLCODE", 0xF4: "DELEGATECALL", 0xF5: "CREATE2",
            0xFA: "STATICCALL"}
LOG_OPS = frozenset(range(0xA0, 0xA5))
SLOAD, SSTORE = 0x54, 0x55
GETH_NAMES = {"SHA3": "KECCAK256"}


class TransactionNotFound(XRollupError):
    """debug_trace* of a hash that names no mined transaction of the chain."""


class TraceDiverged(XRollupError):
    """Re-execution did not reproduce the mined receipt (a bug; never expected)."""


# -- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceOptions:
    """geth's trace config: ``tracer`` None is the struct logger (parsed from JSON by
    node/debug.py's ``trace_options``)."""

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


def _hex32(value: int) -> str:
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
                and message.code_address == MAILBOX and bytes(message.data[:4]) == XCALL_SELECTOR:
            info.xcall = self._xcall_request(state, message)
        if self.accesses:
            for address in (message.sender, message.storage_address, message.code_address):
                if len(address) == 20:  # a create message's code address is the empty "to"
                    self.touch(address)
        self._frames.append(info)
        return info

    def _xcall_request(self, state: StateAPI, message: MessageAPI) -> tuple[int, bytes] | None:
        """(destination, request id) as Mailbox.xcall computes them, before it runs."""
        try:
            dst, target, data = decode(["uint256", "address", "bytes"], bytes(message.data[4:]))
        except Exception:  # malformed calldata: the mailbox reverts; nothing to link
            return None
        slot = int.from_bytes(keccak(dst.to_bytes(32, "big") + OUT_NONCE_SLOT.to_bytes(32, "big")), "big")
        nonce = int(state.get_storage(Address(MAILBOX), slot))
        return dst, request_id(self.chain_id, dst, nonce, bytes(message.sender), bytes.fromhex(target[2:]),
                               int(message.value), bytes(data))

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
            entry["storage"] = {_hex32(k): _hex32(v) for k, v in known.items()}
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


def request_id(src: int, dst: int, nonce: int, sender: bytes, target: bytes, value: int, data: bytes) -> bytes:
    """The mailbox's request id: keccak256(abi.encode(src, dst, nonce, sender, target, value, data))."""
    return keccak(encode(["uint256", "uint256", "uint256", "address", "address", "uint256", "bytes"],
                         [src, dst, nonce, sender, target, value, data]))


# -- blocks to re-execute ---------------------------------------------------------------------

Log = tuple[bytes, tuple[bytes, ...], bytes]


@dataclass
class BlockView:
    """A block to re-execute: a mined one, or a simulated one (debug_traceCall with
    cross-rollup calls). ``expected`` holds each transaction's (success, gas used)."""

    chain: RollupChain
    number: int
    parent: BlockHeaderAPI
    base_state_root: bytes
    env: BlockEnv
    txs: list[PendingTx]
    logs: list[list[Log]]
    expected: list[tuple[bool, int]]
    simulated: bool = False

    @classmethod
    def mined(cls, chain: RollupChain, block: MinedBlock) -> BlockView:
        h = block.header
        env = BlockEnv(int(h.timestamp), int(h.gas_limit), bytes(h.coinbase), int(h.base_fee_per_gas or 0))
        return cls(
            chain, block.number, chain.blocks[block.number - 1].header, block.sealed.base_state_root, env,
            [t.outcome.pending for t in block.txs],
            [[(lg.address, lg.topics, lg.data) for lg in t.logs] for t in block.txs],
            [(t.outcome.success, t.outcome.gas_used) for t in block.txs],
        )

    @classmethod
    def from_outcomes(cls, chain: RollupChain, env: BlockEnv, outcomes: Sequence[TxOutcome]) -> BlockView:
        """The block a builder on ``chain``'s head would seal from ``outcomes``."""
        logs = [[(bytes(e.address), tuple(int(t).to_bytes(32, "big") for t in e.topics), bytes(e.data))
                 for e in o.receipt.logs] for o in outcomes]
        return cls(chain, chain.height + 1, chain.head.header, chain.head_state_root, env,
                   [o.pending for o in outcomes], logs, [(o.success, o.gas_used) for o in outcomes], simulated=True)

    def find_execute(self, req_id: bytes) -> int | None:
        """The index of the transaction whose Mailbox.execute served request ``req_id``."""
        for index, logs in enumerate(self.logs):
            for address, topics, _data in logs:
                if address == MAILBOX and len(topics) > 3 and topics[0] == XCALL_EXECUTED_TOPIC \
                        and topics[3] == req_id:
                    return index
        return None


@dataclass
class Run:
    """One re-executed transaction: its live outcome and what its recorder saw."""

    view: BlockView
    index: int
    outcome: TxOutcome
    recorder: Recorder
    pre: StateAPI | None  # the state before it (prestateTracer)
    post: StateAPI | None  # after it

    @property
    def computation(self) -> ComputationAPI:
        return self.outcome.computation


def replay(view: BlockView, indexes: Sequence[int], make_recorder: Callable[[int], Recorder]) -> list[Run]:
    """Re-execute ``view`` up to its last wanted transaction, tracing those in ``indexes``."""
    wanted = sorted(set(indexes))
    builder = BlockBuilder(view.chain.evm, view.parent, view.base_state_root, view.env)
    builder.fast_transfers = False  # the recorder watches py-evm's computation
    runs: list[Run] = []
    for index, pending in enumerate(view.txs[: wanted[-1] + 1] if wanted else []):
        if index not in wanted:
            builder.apply(pending)
            continue
        recorder = make_recorder(index)
        pre = builder.fork().vm.state if recorder.accesses else None
        state = builder.vm.state
        with recorder.installed(state):
            outcome = builder.apply(pending)
        success, gas = view.expected[index]
        if outcome.success != success or outcome.gas_used != gas:
            raise TraceDiverged(
                f"re-execution of tx {index} of block {view.number} on chain {view.chain.chain_id} diverged: "
                f"success {outcome.success} gas {outcome.gas_used}, mined success {success} gas {gas}")
        runs.append(Run(view, index, outcome, recorder, pre, state if recorder.accesses else None))
    return runs


# -- the tracer ---------------------------------------------------------------------------------

ViewResolver = Callable[[int, int], BlockView | None]
"""(chain id, block number) -> the block to look for a cross-rollup request's execution in."""


class Tracer:
    """Traces over a devnet's chains (a mapping chain id -> RollupChain)."""

    def __init__(self, chains: Mapping[int, RollupChain]) -> None:
        self.chains = chains

    def _mined_view(self, chain_id: int, number: int) -> BlockView | None:
        chain = self.chains.get(chain_id)
        if chain is None or not 0 < number < len(chain.blocks):
            return None
        return BlockView.mined(chain, chain.blocks[number])

    # -- entry points -------------------------------------------------------------------------

    def trace_transaction(self, chain_id: int, tx_hash: bytes, options: TraceOptions) -> Any:
        chain = self.chains[chain_id]
        mined = chain.tx_by_hash.get(tx_hash)
        if mined is None:
            raise TransactionNotFound(f"transaction 0x{tx_hash.hex()} not found")
        view = BlockView.mined(chain, chain.blocks[mined.block_number])
        return self.trace_in_view(view, mined.index, options, self._mined_view)

    def trace_block(self, chain_id: int, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        """debug_traceBlockByNumber/Hash: [{txHash, result}] in one pass over the block."""
        chain = self.chains[chain_id]
        block = chain.block(ref)
        if block.number == 0 or not block.txs:
            return []
        view = BlockView.mined(chain, block)
        runs = replay(view, range(len(view.txs)), lambda _i: Recorder(chain_id, options))
        return [{"txHash": "0x" + view.txs[r.index].hash.hex(), "result": self.result(r, self._mined_view)}
                for r in runs]

    def trace_in_view(self, view: BlockView, index: int, options: TraceOptions, resolve: ViewResolver,
                      seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        (run,) = replay(view, [index], lambda _i: Recorder(view.chain.chain_id, options))
        return self.result(run, resolve, seen | {(view.chain.chain_id, view.number, index)})

    def trace_call(self, chain_id: int, msg: CallMessage, ref: BlockRef, options: TraceOptions) -> Any:
        """debug_traceCall on the state after block ``ref``, in that block's context (as
        eth_call). Cross-rollup requests are NOT served here (see ``trace_call_with_xcalls``)."""
        chain = self.chains[chain_id]
        recorder = Recorder(chain_id, options)
        with chain.call_state(ref) as (state, header):
            gas = msg.gas if msg.gas is not None else int(header.gas_limit)
            tx = chain.call_tx(msg, state.get_nonce(Address(msg.sender)), gas)
            if recorder.accesses:
                recorder.touch(msg.sender)
                recorder.touch(bytes(header.coinbase))
            with recorder.installed(state):
                computation = state.costless_execute_transaction(tx)
            used = _call_gas_used(gas, computation)
            if not recorder.accesses:
                return self._shape(recorder, computation, msg.sender, gas, used, self._no_view)
            created = _created_address(computation)
            touched = _touched_with(recorder, msg.sender, msg.to or created, msg.access_list)
            post = _snapshot_accounts(state, touched, options)
        with chain.call_state(ref) as (pre_state, _header):
            pre = _snapshot_accounts(pre_state, touched, options)
        return _prestate_json(pre, post, options)

    def trace_call_with_xcalls(self, chain_id: int, job: PendingTx, builders: dict[int, BlockBuilder],
                               envs: Mapping[int, BlockEnv], options: TraceOptions,
                               simulate: Callable[[dict[int, BlockBuilder], int, PendingTx], Any]) -> Any | None:
        """debug_traceCall of a call that makes cross-rollup calls, at the head: simulate it
        as the sequencer would (``simulate`` is shared_sequencer.xcall.simulate, on
        ``builders``), then trace the simulated blocks. None if the call reverts in the end
        (its requests never happen: the caller traces it plainly)."""
        result = simulate(builders, chain_id, job)
        if result.simulated is not None or not result.outcome.success:
            return None
        views = {cid: BlockView.from_outcomes(self.chains[cid], envs[cid], b.outcomes)
                 for cid, b in builders.items() if b.outcomes}
        view = views[chain_id]
        index = next(i for i, p in enumerate(view.txs) if p.hash == job.hash)

        def resolve(cid: int, number: int) -> BlockView | None:
            v = views.get(cid)
            return v if v is not None and v.number == number else None

        return self.trace_in_view(view, index, options, resolve)

    # -- shaping results ----------------------------------------------------------------------

    def _no_view(self, _cid: int, _number: int) -> BlockView | None:
        return None

    def result(self, run: Run, resolve: ViewResolver, seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        pending = run.view.txs[run.index]
        if run.recorder.accesses:
            assert run.pre is not None and run.post is not None
            opts = run.recorder.options
            touched = _touched_with(run.recorder, pending.sender, pending.tx.to or run.outcome.contract_address,
                                    _access_list(pending))
            touched.setdefault(bytes(run.view.env.coinbase), set())
            return _prestate_json(_snapshot_accounts(run.pre, touched, opts),
                                  _snapshot_accounts(run.post, touched, opts), opts)
        return self._shape(run.recorder, run.computation, pending.sender, int(pending.tx.gas),
                           run.outcome.gas_used, resolve, run.view, seen)

    def _shape(self, rec: Recorder, computation: ComputationAPI, sender: bytes, gas: int, used: int,
               resolve: ViewResolver, view: BlockView | None = None,
               seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        if rec.struct:
            failed = computation.is_error
            output = bytes(computation.output)
            keep = not failed or isinstance(computation.error, Revert)
            return {"gas": used, "failed": failed, "returnValue": "0x" + (output.hex() if keep else ""),
                    "structLogs": rec.struct_logs}
        number = view.number if view is not None else -1
        frame = _FrameBuilder(self, rec, resolve, number, seen).frame(computation, None)
        frame["from"] = "0x" + bytes(sender).hex()
        frame["gas"] = hex(gas)
        frame["gasUsed"] = hex(used)
        return frame


class _FrameBuilder:
    """callTracer frames from a traced computation tree."""

    def __init__(self, tracer: Tracer, rec: Recorder, resolve: ViewResolver, number: int,
                 seen: frozenset[tuple[int, int, int]]) -> None:
        self.tracer, self.rec, self.resolve, self.number, self.seen = tracer, rec, resolve, number, seen
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
                        "topics": ["0x" + _hex32(int(t)) for t in topics],
                        "data": "0x" + bytes(data).hex(),
                        "position": hex(positions[i] if i < len(positions) else len(c.children))})
        return out

    def _xrollup(self, c: ComputationAPI, dst: int, req_id: bytes) -> dict[str, Any]:
        # The XCall event, when the call succeeded, names the request id the mailbox used.
        for _counter, address, topics, data in getattr(c, "_log_entries", ()):
            if bytes(address) == MAILBOX and len(topics) > 2 and int(topics[0]) == XCALL_TOPIC:
                try:
                    req_id = bytes(decode(["address", "uint256", "bytes32", "bool"], bytes(data))[2])
                except Exception:
                    pass
        out: dict[str, Any] = {"chainId": hex(dst), "requestId": "0x" + req_id.hex(), "txHash": None}
        view = self.resolve(dst, self.number) if self.number >= 0 else None
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
        out["trace"] = self.tracer.trace_in_view(view, index, opts, self.resolve, self.seen)
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


# -- prestate -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    balance: int
    nonce: int
    code: bytes
    storage: dict[int, int]

    @property
    def exists(self) -> bool:
        return bool(self.balance or self.nonce or self.code)


def _access_list(pending: PendingTx) -> tuple[tuple[bytes, tuple[int, ...]], ...]:
    try:
        return tuple((bytes(a), tuple(int(s) for s in slots)) for a, slots in pending.tx.access_list)
    except (AttributeError, NotImplementedError):
        return ()


def _touched_with(rec: Recorder, sender: bytes, to: bytes | None,
                  access_list: Sequence[tuple[bytes, Sequence[int]]]) -> dict[bytes, set[int]]:
    touched = {a: set(s) for a, s in rec.touched.items()}
    touched.setdefault(bytes(sender), set())
    if to:
        touched.setdefault(bytes(to), set())
    for address, slots in access_list:
        touched.setdefault(bytes(address), set()).update(slots)
    return touched


def _snapshot_accounts(state: StateAPI, touched: Mapping[bytes, set[int]], opts: TraceOptions) -> dict[bytes, _Account]:
    precompiles = set(state.computation_class.get_precompiles())
    out: dict[bytes, _Account] = {}
    for raw, slots in touched.items():
        address = Address(raw)
        if address in precompiles:
            continue
        storage = {} if opts.disable_prestate_storage else {s: int(state.get_storage(address, s)) for s in slots}
        out[address] = _Account(int(state.get_balance(address)), int(state.get_nonce(address)),
                                b"" if opts.disable_code else bytes(state.get_code(address)), storage)
    return out


def _account_json(acct: _Account, storage: Mapping[int, int] | None = None, fields: Sequence[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not fields or "balance" in fields:
        out["balance"] = hex(acct.balance)
    if (not fields or "nonce" in fields) and acct.nonce:
        out["nonce"] = acct.nonce
    if (not fields or "code" in fields) and acct.code:
        out["code"] = "0x" + acct.code.hex()
    slots = acct.storage if storage is None else storage
    if slots:
        out["storage"] = {"0x" + _hex32(k): "0x" + _hex32(v) for k, v in sorted(slots.items())}
    return out


def _prestate_json(pre: Mapping[bytes, _Account], post: Mapping[bytes, _Account], opts: TraceOptions) -> Any:
    """geth's prestateTracer: every touched account before the transaction; ``diffMode``:
    the changed accounts before (``pre``) and their changed fields after (``post``)."""
    if not opts.diff_mode:
        return {"0x" + a.hex(): _account_json(acct) for a, acct in pre.items()
                if acct.exists or acct.storage}
    pre_out: dict[str, Any] = {}
    post_out: dict[str, Any] = {}
    for address, before in pre.items():
        after = post[address]
        changed_slots = {s: v for s, v in before.storage.items() if after.storage.get(s, 0) != v}
        fields = [f for f in ("balance", "nonce", "code") if getattr(before, f) != getattr(after, f)]
        if not fields and not changed_slots:
            continue
        key = "0x" + address.hex()
        if before.exists:
            pre_out[key] = _account_json(before, {s: v for s, v in changed_slots.items() if v})
        if after.exists:
            post_out[key] = _account_json(after, {s: after.storage[s] for s in changed_slots if after.storage[s]},
                                          fields or ("storage",))
    return {"pre": pre_out, "post": post_out}


# -- helpers ------------------------------------------------------------------------------------


def _call_gas_used(gas: int, computation: ComputationAPI) -> int:
    """What a transaction with ``gas`` would be charged (refund and EIP-7623 floor applied)."""
    used = gas - computation.get_gas_remaining()
    refund = min(computation.get_gas_refund(), used // 5)
    return used - refund + int(getattr(computation, "data_floor_gas", 0) or 0)


def _created_address(computation: ComputationAPI) -> bytes | None:
    return bytes(computation.msg.storage_address) if computation.msg.is_create else None
