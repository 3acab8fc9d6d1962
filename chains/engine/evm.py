"""The VM the rollups run: py-evm's Prague, with two of its costs cut.

- Accounts are tuples, kept in the engine's trie and hashed with its keccak
  (chains/engine/accounts.py), and KECCAK256 hashes with the engine's keccak too.
- The transaction's message: py-evm's Cancun executor formats a debug line with the hex of the
  callee's whole code for every transaction, logging enabled or not (the Mailbox's code is
  4 KB); ``RollupTransactionExecutor`` builds the same message without it.
- The interpreter loop charges a plain opcode's static gas itself (two calls fewer per
  opcode; the Mailbox's code runs about 1,100 opcodes per cross-rollup call), and does the
  stack opcodes (PUSH, DUP, SWAP, POP, JUMPDEST: about half of what runs) and the simple
  arithmetic, comparison, bitwise and jump ones on the stack's list directly, and MSTORE,
  MLOAD and CALLDATALOAD without py-evm's re-validation of what the stack already holds.
- Jump destinations: py-evm decides whether a JUMP target is an instruction (not PUSH data)
  by looking back up to 32 bytes, per target and per computation, so the same contract's
  code is analysed again for every call. ``CachedCodeStream`` scans each code once, in
  order, as the yellow paper defines it (the positions that start an instruction), and
  shares the result between all computations running that code.

- Where py-evm's Prague departs from the execution specs (a CREATE onto an address with
  storage, the initcode limit's order, MODEXP's 0^0), the computation's opcode and precompile
  tables and the state's collision test follow the specs (chains/engine/forks.py;
  tests/chains/test_osaka_spec.py runs them against the specs).

Everything is in subclasses of py-evm's classes: PragueVM, its state and its computation are
left as they are. tests/chains/test_fastpath.py compares blocks against plain PragueVM;
tests/chains/test_evm.py compares the analysis with py-evm's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from eth._utils.address import generate_contract_address
from eth._utils.numeric import ceil32
from eth.abc import MessageAPI, SignedTransactionAPI
from eth.constants import CREATE_CONTRACT_ADDRESS, GAS_SHA3WORD
from eth.exceptions import FullStack, Halt, InsufficientStack, InvalidInstruction, InvalidJumpDestination, OutOfGas
from eth.vm.code_stream import CodeStream
from eth.vm.computation import NO_RESULT, memory_gas_cost
from eth.vm.forks.cancun.constants import BLOB_TX_TYPE
from eth.vm.forks.cancun.transactions import BlobTransaction
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.logic import arithmetic, comparison, duplication, flow
from eth.vm.logic import context as context_logic
from eth.vm.logic import memory as memory_logic
from eth.vm.logic import sha3 as sha3_logic
from eth.vm.logic import stack as stack_logic
from eth.vm.logic import swap as swap_logic
from eth.vm.logic.invalid import InvalidOpcode
from eth.vm.message import Message
from eth.vm.opcode import _FastOpcode
from eth.vm.opcode_values import JUMPDEST, PUSH1, PUSH32
from eth_typing import Address

from chains.engine.accounts import FastAccountDB
from chains.engine.deadline import CHECK_EVERY
from chains.engine.deadline import check as check_deadline
from chains.engine.deadline import current as current_deadline
from chains.engine.forks import SPEC_PRAGUE_OPCODES, SPEC_PRAGUE_PRECOMPILES, clz, has_code_nonce_or_storage
from chains.engine.hashing import keccak


@lru_cache(maxsize=1024)
def instruction_starts(code: bytes) -> bytes:
    """A map of ``code``: byte i is 1 where an instruction starts (every byte but PUSH data).
    One byte per code byte (24 KB at most), so the cache stays small."""
    starts = bytearray(len(code))
    i, n = 0, len(code)
    while i < n:
        starts[i] = 1
        op = code[i]
        i += op - PUSH1 + 2 if PUSH1 <= op <= PUSH32 else 1
    return bytes(starts)


class CachedCodeStream(CodeStream):
    __slots__ = ["_starts"]

    def __init__(self, code_bytes: bytes) -> None:
        super().__init__(code_bytes)
        self._starts = instruction_starts(bytes(code_bytes))

    def is_valid_opcode(self, position: int) -> bool:
        return 0 <= position < self._length_cache and self._starts[position] == 1


class RollupComputation(PragueComputation):
    checks_deadline = True  # its loop looks at a read's deadline (chains/engine/deadline.py)
    opcodes = SPEC_PRAGUE_OPCODES  # CREATE and MODEXP as the specs have them (chains/engine/forks.py)
    _precompiles = SPEC_PRAGUE_PRECOMPILES

    def __init__(self, state: Any, message: Any, transaction_context: Any) -> None:
        super().__init__(state, message, transaction_context)
        self.code = CachedCodeStream(message.code)

    def extend_memory(self, start_position: int, size: int) -> None:
        """py-evm's extend_memory (every MSTORE, MLOAD, RETURN, KECCAK256 and copy calls it)
        without the work it does when the memory does not grow: the same checks, the same gas
        ("Expanding memory <before> -> <after>") and the same OutOfGas."""
        memory = self._memory
        if (start_position.__class__ is not int or size.__class__ is not int or start_position < 0 or size < 0
                or start_position > _MAX or size > _MAX or self.logger.show_debug2):
            super().extend_memory(start_position, size)  # its ValidationError, its debug line
            return
        if not size:
            return
        before_size = len(memory)  # a multiple of 32 (py-evm's Memory grows by words)
        end = start_position + size
        if end <= before_size:
            return  # no growth: no gas (py-evm charges only a rise in cost), nothing to extend
        after_size = ceil32(end)
        gas_fee = memory_gas_cost(after_size) - memory_gas_cost(before_size)
        if gas_fee > 0:
            self._gas_meter.consume_gas(gas_fee, reason=f"Expanding memory {before_size} -> {after_size}")
        memory.extend(start_position, size)

    @classmethod
    def apply_computation(cls, state: Any, message: Any, transaction_context: Any,
                          parent_computation: Any = None) -> Any:
        """py-evm's BaseComputation.apply_computation, with the static gas of plain opcodes
        charged in the loop instead of through two calls per opcode (the same check, the
        same OutOfGas). Opcodes that are not plain (calls, creates, a tracer's wrappers) and
        debug2 logging take py-evm's own path."""
        if cls.logger.show_debug2:
            return super().apply_computation(state, message, transaction_context, parent_computation)
        with cls(state, message, transaction_context) as computation:
            if computation.is_origin_computation:
                computation.contracts_created = []
                if message.is_create:
                    cls.consume_initcode_gas_cost(computation)
            if parent_computation is not None:
                computation.contracts_created = parent_computation.contracts_created
            if message.is_create:
                computation.contracts_created.append(message.storage_address)
            precompile = computation.precompiles.get(message.code_address, NO_RESULT)
            if precompile is not NO_RESULT:
                if not message.is_delegation:
                    precompile(computation)
                return computation
            table = dispatch_table(computation.opcodes)
            meter = computation._gas_meter
            code = computation.code
            raw = code._raw_code_bytes  # type: ignore[attr-defined]  # py-evm CodeStream
            values = computation._stack.values  # type: ignore[attr-defined]  # py-evm Stack
            deadline = current_deadline()  # a read's time limit (chains/engine/deadline.py)
            check_deadline(deadline)
            countdown = CHECK_EVERY
            try:
                for opcode in code:
                    if deadline is not None:
                        countdown -= 1
                        if not countdown:
                            countdown = CHECK_EVERY
                            check_deadline(deadline)
                    kind, gas, arg, name = table[opcode]
                    if kind == _OTHER:
                        arg(computation=computation)
                        continue
                    if gas > meter.gas_remaining:
                        raise OutOfGas(f"Out of gas: Needed {gas} - Remaining {meter.gas_remaining} - Reason: {name}")
                    meter.gas_remaining -= gas
                    if kind == _PUSH:
                        if len(values) > 1023:
                            raise FullStack("Stack limit reached")
                        pc = code.program_counter
                        pushed = raw[pc:pc + arg]
                        code.program_counter = pc + arg
                        values.append(pushed if len(pushed) == arg else pushed.ljust(arg, b"\x00"))
                    elif kind == _DUP:
                        if len(values) > 1023:
                            raise FullStack("Stack limit reached")
                        try:
                            values.append(values[-arg])
                        except IndexError:
                            raise InsufficientStack(f"Insufficient stack items for DUP{arg}") from None
                    elif kind == _SWAP:
                        try:
                            values[-1], values[-arg - 1] = values[-arg - 1], values[-1]
                        except IndexError:
                            raise InsufficientStack(f"Insufficient stack items for SWAP{arg}") from None
                    elif kind == _NOP:
                        pass
                    elif kind == _BINARY:
                        if len(values) < 2:
                            raise InsufficientStack(f"Wanted 2 stack items, only had {len(values)}")
                        a, b = values.pop(), values.pop()  # the stack holds ints and byte strings
                        values.append(arg(a if a.__class__ is int else int.from_bytes(a, "big"),
                                          b if b.__class__ is int else int.from_bytes(b, "big")))
                    elif kind == _FUNCTION:
                        arg(computation, values)
                    elif kind == _LOGIC:
                        arg(computation)
                    else:
                        _inline_step(kind, arg, code, values)
            except Halt:
                pass
        return computation


# py-evm's logic functions of the stack opcodes -> (kind, n), run in the loop or by _inline_step
_PUSH, _DUP, _SWAP, _POP, _NOP, _BINARY, _UNARY, _JUMP, _JUMPI = range(9)
_FUNCTION, _LOGIC, _OTHER = 9, 10, 11  # an _INLINE function, a plain py-evm logic function, any other opcode
_MAX = 2**256 - 1
# (top, second) -> result, as py-evm's logic functions compute them
_BINARY_OPS: tuple[Callable[[int, int], int], ...] = (
    lambda a, b: (a + b) & _MAX, lambda a, b: (a - b) & _MAX, lambda a, b: (a * b) & _MAX,
    lambda a, b: int(a < b), lambda a, b: int(a > b), lambda a, b: int(a == b),
    lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b,
    lambda a, b: 0 if a >= 256 else (b << a) & _MAX, lambda a, b: 0 if a >= 256 else b >> a,  # SHL, SHR
)
_UNARY_OPS: tuple[Callable[[int], int], ...] = (lambda a: int(a == 0), lambda a: _MAX - a,
                                                lambda a: 256 - a.bit_length())  # ISZERO, NOT, CLZ
_INLINE: dict[Any, Any] = {  # a (kind, n) step for _inline_step, or a function of (computation, values)
    **{getattr(stack_logic, f"push{n}"): (_PUSH, n) for n in range(33)},
    **{getattr(duplication, f"dup{n}"): (_DUP, n) for n in range(1, 17)},
    **{getattr(swap_logic, f"swap{n}"): (_SWAP, n) for n in range(1, 17)},
    stack_logic.pop: (_POP, 0),
    flow.jumpdest: (_NOP, 0),
    **{fn: (_BINARY, i) for i, fn in enumerate((
        arithmetic.add, arithmetic.sub, arithmetic.mul, comparison.lt, comparison.gt, comparison.eq,
        comparison.and_op, comparison.or_op, comparison.xor, arithmetic.shl, arithmetic.shr))},
    flow.jump: (_JUMP, 0),
    flow.jumpi: (_JUMPI, 0),
    comparison.iszero: (_UNARY, 0),
    comparison.not_op: (_UNARY, 1),
    clz: (_UNARY, 2),  # Osaka's
}


def _pop1_int(values: list[Any]) -> int:
    try:
        value = values.pop()
    except IndexError:
        raise InsufficientStack("Wanted 1 stack item, had none") from None
    return value if value.__class__ is int else int.from_bytes(value, "big")


def _mstore(computation: Any, values: list[Any]) -> None:
    """py-evm's memory.mstore (the Mailbox runs about 60 per cross-rollup call): memory
    expansion charged by py-evm's extend_memory, then the word written in place."""
    start = _pop1_int(values)
    try:
        value = values.pop()
    except IndexError:
        raise InsufficientStack("Wanted 1 stack item, had none") from None
    word = value.to_bytes(32, "big") if value.__class__ is int else value.rjust(32, b"\x00")[-32:]
    computation.extend_memory(start, 32)
    computation._memory._bytes[start:start + 32] = word


def _mload(computation: Any, values: list[Any]) -> None:
    """py-evm's memory.mload."""
    start = _pop1_int(values)
    computation.extend_memory(start, 32)
    values.append(bytes(computation._memory._bytes[start:start + 32]))  # one popped: room for one


def _calldataload(computation: Any, values: list[Any]) -> None:
    """py-evm's context.calldataload."""
    start = _pop1_int(values)
    values.append(computation.msg.data_as_bytes[start:start + 32].ljust(32, b"\x00").lstrip(b"\x00"))


def _sha3(computation: Any, values: list[Any]) -> None:
    """py-evm's sha3.sha3 (KECCAK256: the Mailbox's rolling hashes, every mapping slot),
    hashing with the engine's keccak rather than eth-hash's."""
    start, size = computation.stack_pop_ints(2)
    computation.extend_memory(start, size)
    data = computation.memory_read_bytes(start, size)
    computation.consume_gas(GAS_SHA3WORD * (ceil32(len(data)) // 32), reason="SHA3: word gas cost")
    values.append(keccak(data))  # two popped: room for one


_INLINE.update({memory_logic.mstore: _mstore, memory_logic.mload: _mload, context_logic.calldataload: _calldataload,
                sha3_logic.sha3: _sha3})


def _inline_step(kind: int, n: Any, code: Any, values: list[Any]) -> None:
    """What py-evm's pop, jump, jumpi and unary opcodes do to the stack (a list of ints and
    byte strings), with the same errors; PUSH, DUP, SWAP, JUMPDEST and the binary ones run
    in the loop itself (the same code, kept here for the record of what they do)."""
    if kind == _PUSH:
        if len(values) > 1023:
            raise FullStack("Stack limit reached")
        raw = code.read(n)
        values.append(raw if len(raw) == n else raw.ljust(n, b"\x00"))
    elif kind == _DUP:
        if len(values) > 1023:
            raise FullStack("Stack limit reached")
        try:
            values.append(values[-n])
        except IndexError:
            raise InsufficientStack(f"Insufficient stack items for DUP{n}") from None
    elif kind == _SWAP:
        try:
            values[-1], values[-n - 1] = values[-n - 1], values[-1]
        except IndexError:
            raise InsufficientStack(f"Insufficient stack items for SWAP{n}") from None
    elif kind == _POP:
        try:
            values.pop()
        except IndexError:
            raise InsufficientStack("Wanted 1 stack item, had none") from None
    elif kind == _BINARY:
        if len(values) < 2:
            raise InsufficientStack(f"Wanted 2 stack items, only had {len(values)}")
        a, b = values.pop(), values.pop()  # the stack holds ints and byte strings
        values.append(n(a if a.__class__ is int else int.from_bytes(a, "big"),
                                     b if b.__class__ is int else int.from_bytes(b, "big")))
    elif kind == _JUMP or kind == _JUMPI:
        if kind == _JUMP:
            try:
                dest = values.pop()
            except IndexError:
                raise InsufficientStack("Wanted 1 stack item, had none") from None
            taken = True
        else:
            if len(values) < 2:
                raise InsufficientStack(f"Wanted 2 stack items, only had {len(values)}")
            dest, condition = values.pop(), values.pop()
            taken = bool(condition if condition.__class__ is int else int.from_bytes(condition, "big"))
        if taken:
            dest = dest if dest.__class__ is int else int.from_bytes(dest, "big")
            code.program_counter = dest
            if code.peek() != JUMPDEST:
                raise InvalidJumpDestination("Invalid Jump Destination")
            if not code.is_valid_opcode(dest):
                raise InvalidInstruction("Jump resulted in invalid instruction")
    elif kind == _UNARY:
        try:
            a = values.pop()
        except IndexError:
            raise InsufficientStack("Wanted 1 stack item, had none") from None
        values.append(n(a if a.__class__ is int else int.from_bytes(a, "big")))


_TABLES: dict[int, tuple[Any, tuple[tuple[int, int, Any, str], ...]]] = {}
_MAX_TABLES = 32  # opcode tables kept (each fork's, and a tracer's for a while)


def dispatch_table(opcodes: Any) -> tuple[tuple[int, int, Any, str], ...]:
    """For each byte value, how the loop runs it: (kind, static gas, argument, mnemonic).
    The argument: the byte count of a PUSH, the depth of a DUP or SWAP, the function of a
    binary or unary operation or of an ``_INLINE`` step, py-evm's logic function of another
    plain opcode, or (``_OTHER``: opcodes with dynamic gas, a tracer's wrappers, undefined
    ones) the opcode object, called as py-evm's loop calls it. Made once per table."""
    cached = _TABLES.get(id(opcodes))
    if cached is not None and cached[0] is opcodes:
        return cached[1]
    entries: list[tuple[int, int, Any, str]] = []
    for value in range(256):
        opcode_fn = opcodes.get(value)
        if opcode_fn is None:
            entries.append((_OTHER, 0, InvalidOpcode(value), "INVALID"))
        elif type(opcode_fn) is not _FastOpcode:
            entries.append((_OTHER, 0, opcode_fn, ""))
        else:
            gas, name = opcode_fn.gas_cost, opcode_fn.mnemonic
            step = _INLINE.get(opcode_fn.logic_fn)
            if step is None:
                entries.append((_LOGIC, gas, opcode_fn.logic_fn, name))
            elif step.__class__ is not tuple:
                entries.append((_FUNCTION, gas, step, name))
            else:
                kind, n = step
                arg = _BINARY_OPS[n] if kind == _BINARY else _UNARY_OPS[n] if kind == _UNARY else n
                entries.append((kind, gas, arg, name))
    table = tuple(entries)
    if len(_TABLES) >= _MAX_TABLES:
        _TABLES.clear()
    _TABLES[id(opcodes)] = (opcodes, table)
    return table


class RollupTransactionExecutor(PragueTransactionExecutor):
    def build_evm_message(self, transaction: SignedTransactionAPI) -> MessageAPI:
        """CancunTransactionExecutor.build_evm_message (Prague's delegation-aware code lookup
        included), less its eagerly formatted debug line and, for a fee of 0, the write of the
        sender's unchanged balance."""
        state = self.vm_state
        gas_fee = transaction.gas * state.get_gas_price(transaction)
        if transaction.type_id == BLOB_TX_TYPE:
            gas_fee += self.calc_data_fee(cast(BlobTransaction, transaction))
        if gas_fee:  # a call's (gas price 0) would write the balance it read: the nonce write follows anyway
            state.delta_balance(transaction.sender, -gas_fee)
        state.increment_nonce(transaction.sender)
        msg_refund = self.calc_message_refund(transaction)
        message_gas = transaction.gas - transaction.intrinsic_gas
        if transaction.to == CREATE_CONTRACT_ADDRESS:
            contract_address = generate_contract_address(transaction.sender, state.get_nonce(transaction.sender) - 1)
            data, code, is_delegation = b"", transaction.data, False
        else:
            contract_address = None
            data = transaction.data
            code, delegation_address = self.get_code_at_address(transaction.to)
            is_delegation = delegation_address is not None
        return Message(
            gas=message_gas, to=transaction.to, sender=transaction.sender, value=transaction.value, data=data,
            code=code, create_address=contract_address, refund=msg_refund,  # type: ignore[arg-type]  # None: a call
            is_delegation=is_delegation,
        )


class RollupState(PragueState):
    """Prague's state on the engine's account database, computation and executor."""

    account_db_class = FastAccountDB
    computation_class = RollupComputation
    transaction_executor_class = RollupTransactionExecutor

    def has_code_or_nonce(self, address: Address) -> bool:
        """EIP-7610: storage makes a CREATE target taken too (py-evm: code or nonce)."""
        return has_code_nonce_or_storage(self._account_db, address)


class RollupVM(PragueVM):
    _state_class = RollupState
