"""eth_simulateV1 (geth's internal/ethapi/simulate.go): calls in a chain of simulated blocks on
top of a block, with state and block overrides per block, checks on or off (``validation``),
and ether transfers reported as ERC-7528 logs (``traceTransfers``).

The blocks are built by the chain's own block builder, on a throwaway copy of the chain whose
database keeps every write to itself (a ``BatchDB`` that is never committed): headers, state
roots, receipts and hashes are the ones a real block would have, BLOCKHASH sees the simulated
parents, and nothing reaches the chain. The whole simulation is one read (backend/reads.py): it
runs off the event loop, under the read's time limit, and all its calls share the gas cap.
State overrides are the ones eth_call takes (backend/overrides.py). As eth_call with overrides,
a simulation does not resolve cross-rollup calls: the other chains know nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth.abc import ComputationAPI, MessageAPI, StateAPI
from eth.db.atomic import AtomicDB
from eth.db.batch import BatchDB
from eth_typing import Address

from backend.calls import CallServices
from backend.overrides import StateOverrides, apply_overrides
from chains.block import BlockEnv, PendingTx
from chains.builder import BlockBuilder
from chains.engine.hashing import keccak
from chains.errors import (
    ExecutionHalted,
    ExecutionReverted,
    SimulatedBlockGasLimit,
    SimulatedBlockNumber,
    SimulatedBlockTimestamp,
    SimulatedFeeBelowBaseFee,
    SimulatedInsufficientFunds,
    SimulatedIntrinsicGas,
    SimulatedNonceTooHigh,
    SimulatedNonceTooLow,
    SimulationTooLarge,
)
from chains.rollup import BlockRef, LogRecord, MinedBlock, MinedTx, ReadPoint, RollupChain, raise_for_computation
from chains.txbuild import TxFields, TxRequest, impersonate

MAX_BLOCKS = 256  # geth's maxSimulateBlocks: blocks past the base, gaps included
MAX_CALLS_PER_BLOCK = 5_000  # geth's maxSimulateCallsPerBlock
MAX_CALLS = 10_000  # geth's maxSimulateTotalCalls
TIMESTAMP_INCREMENT = 12  # geth's: seconds between simulated blocks without a time override

# ERC-7528: the address native-currency transfers are logged under, as an ERC-20 Transfer
TRANSFER_ADDRESS = bytes.fromhex("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
TRANSFER_TOPIC = keccak(b"Transfer(address,address,uint256)")
ZERO_ADDRESS = bytes(20)


@dataclass(frozen=True)
class BlockOverrides:
    """What a simulated block's header takes from the caller rather than from its parent."""

    number: int | None = None
    time: int | None = None
    gas_limit: int | None = None
    fee_recipient: bytes | None = None
    prev_randao: bytes | None = None
    base_fee: int | None = None


@dataclass(frozen=True)
class SimBlock:
    overrides: BlockOverrides = BlockOverrides()
    state: StateOverrides | None = None
    calls: tuple[TxFields, ...] = ()


@dataclass(frozen=True)
class SimulateRequest:
    blocks: tuple[SimBlock, ...]
    trace_transfers: bool = False
    validation: bool = False


@dataclass
class CallResult:
    """What one call did: its output, logs (transfers among them when traced), gas used after
    refunds and before them (``max_used_gas``), and why it failed (a revert or a halt)."""

    output: bytes
    logs: list[LogRecord]
    gas_used: int
    max_used_gas: int
    error: ExecutionReverted | ExecutionHalted | None = None

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass
class SimulatedBlock:
    block: MinedBlock
    calls: list[CallResult] = field(default_factory=list)


class SimulateServices(CallServices):
    async def simulate_v1(self, chain_id: int, request: SimulateRequest, ref: BlockRef) -> list[SimulatedBlock]:
        """eth_simulateV1 on block ``ref``. Raises the SimulationRefused kinds (geth's -380xx
        refusals), TransactionRejected (a call the block builder refuses), ExecutionTimeout,
        BlockNotFound, UnknownChain."""
        chain = self.chain(chain_id)
        point = chain.read_point(ref)
        return await self.reads.run(self.reads.deadline(), simulate_blocks, chain, point, request,
                                    self.reads.limits.gas_cap)


def simulate_blocks(chain: RollupChain, point: ReadPoint, request: SimulateRequest, gas_cap: int) -> list[SimulatedBlock]:
    """Build ``request``'s blocks on ``point`` in a throwaway copy of ``chain`` (see the module's
    doc). ``gas_cap``: the gas all calls may use together (0: no cap). Raises as
    ``SimulateServices.simulate_v1``."""
    evm = type(chain.evm)(AtomicDB(BatchDB(chain.evm.chaindb.db)))
    parent, root = point.block.header, point.state_root
    budget = [gas_cap or 2**63]
    out: list[SimulatedBlock] = []
    for sim in _with_gaps(request.blocks, int(parent.block_number), int(parent.timestamp)):
        env = BlockEnv(
            timestamp=sim.overrides.time if sim.overrides.time is not None else int(parent.timestamp) + TIMESTAMP_INCREMENT,
            gas_limit=sim.overrides.gas_limit if sim.overrides.gas_limit is not None else int(parent.gas_limit),
            coinbase=sim.overrides.fee_recipient if sim.overrides.fee_recipient is not None else bytes(parent.coinbase),
            base_fee=_base_fee(sim.overrides, request.validation),
            prev_randao=sim.overrides.prev_randao,
        )
        builder = BlockBuilder(evm, parent, root, env)
        builder.fast_transfers = not request.trace_transfers  # traced transfers need the interpreter
        result = _run_block(chain, builder, sim, request, budget)
        out.append(result)
        parent, root = result.block.header, bytes(result.block.header.state_root)
    return out


def _base_fee(overrides: BlockOverrides, validation: bool) -> int | None:
    """The override; else EIP-1559's (None) with validation, 0 without (as geth: so that a
    call without fees is not below the base fee)."""
    if overrides.base_fee is not None:
        return overrides.base_fee
    return None if validation else 0


def _with_gaps(blocks: tuple[SimBlock, ...], base_number: int, base_time: int) -> list[SimBlock]:
    """``blocks`` with numbers and timestamps checked, and the numbers they skip filled with
    empty blocks, as geth's sanitizeChain. Raises SimulatedBlockNumber, SimulatedBlockTimestamp,
    SimulationTooLarge."""
    out: list[SimBlock] = []
    number, time = base_number, base_time
    for sim in blocks:
        target = sim.overrides.number if sim.overrides.number is not None else number + 1
        if target <= number:
            raise SimulatedBlockNumber(f"block numbers must be in order: {target} <= {number}")
        if target - base_number > MAX_BLOCKS:
            raise SimulationTooLarge("too many blocks")
        for filler in range(number + 1, target):
            time += TIMESTAMP_INCREMENT
            out.append(SimBlock(BlockOverrides(number=filler, time=time)))
        stamp = sim.overrides.time if sim.overrides.time is not None else time + TIMESTAMP_INCREMENT
        if stamp <= time:
            raise SimulatedBlockTimestamp(f"block timestamps must be in order: {stamp} <= {time}")
        out.append(SimBlock(_replace_number_time(sim.overrides, target, stamp), sim.state, sim.calls))
        number, time = target, stamp
    return out


def _replace_number_time(o: BlockOverrides, number: int, time: int) -> BlockOverrides:
    return BlockOverrides(number, time, o.gas_limit, o.fee_recipient, o.prev_randao, o.base_fee)


def _run_block(chain: RollupChain, builder: BlockBuilder, sim: SimBlock, request: SimulateRequest,
               budget: list[int]) -> SimulatedBlock:
    state = builder.vm.state
    if sim.state:
        apply_overrides(state, sim.state)
    logs = _LogHook()
    state.computation_class = logs.computation_class(type(state).computation_class)  # type: ignore[misc]
    base_fee = int(builder.header.base_fee_per_gas or 0)
    results: list[tuple[PendingTx, CallResult, list[tuple[bytes, tuple[bytes, ...], bytes]]]] = []
    for call in sim.calls:
        pending = _transaction(chain, builder, call, request.validation, base_fee, budget)
        logs.start(request.trace_transfers)
        outcome = builder.apply(pending)  # raises TransactionRejected for what the checks let through
        computation = outcome.computation
        budget[0] -= outcome.gas_used
        error: ExecutionReverted | ExecutionHalted | None = None
        try:
            raise_for_computation(computation, chain.chain_id)
        except (ExecutionReverted, ExecutionHalted) as exc:
            error = exc
        entries = logs.finish(computation.is_error)
        max_used = int(pending.tx.gas) - int(computation.get_gas_remaining())
        output = b"" if isinstance(error, ExecutionHalted) else outcome.output
        results.append((pending, CallResult(output, [], outcome.gas_used, max_used, error), entries))
    sealed = builder.seal()
    mined = MinedBlock(sealed)
    number, block_hash = int(sealed.header.block_number), sealed.hash
    log_index = 0
    for index, (outcome, (pending, result, entries)) in enumerate(zip(sealed.outcomes, results, strict=True)):
        for address, topics, data in entries:
            result.logs.append(LogRecord(address, topics, data, number, block_hash, pending.hash, index, log_index))
            log_index += 1
        emitted = [g for g in result.logs if g.address != TRANSFER_ADDRESS]  # the receipt's (no transfers)
        mined.txs.append(MinedTx(outcome, number, block_hash, index, emitted))
    return SimulatedBlock(mined, [r for _, r, _ in results])


def _transaction(chain: RollupChain, builder: BlockBuilder, call: TxFields, validation: bool, base_fee: int,
                 budget: list[int]) -> PendingTx:
    """``call`` as a transaction from its sender (impersonated: nothing is signed), after the
    checks geth makes (all of them with ``validation``; without it, the nonce is the sender's
    and the base fee 0 unless overridden, so a call may pay nothing). Raises the Simulated*
    refusals."""
    state = builder.vm.state
    sender = Address(call.sender or ZERO_ADDRESS)  # geth's: a call without from is the zero address's
    state_nonce = int(state.get_nonce(sender))
    nonce = call.nonce if call.nonce is not None and validation else state_nonce
    if validation and nonce < state_nonce:
        raise SimulatedNonceTooLow(f"nonce too low: address 0x{sender.hex()}, tx: {nonce} state: {state_nonce}")
    if validation and nonce > state_nonce:
        raise SimulatedNonceTooHigh(f"nonce too high: address 0x{sender.hex()}, tx: {nonce} state: {state_nonce}")
    remaining = builder.gas_left
    gas = call.gas if call.gas is not None else remaining
    if gas > remaining:
        raise SimulatedBlockGasLimit(f"block gas limit reached: remaining: {remaining}, required: {gas}")
    gas = min(gas, budget[0])
    cap = builder.rules.tx_gas_limit_cap  # Osaka (EIP-7825)
    if cap is not None and call.gas is None:
        gas = min(gas, cap)
    fees: dict[str, Any]
    if call.gas_price is not None and not call.authorization_list:
        fees = {"gas_price": call.gas_price}
        fee_cap = call.gas_price
    else:
        tip = call.max_priority_fee_per_gas or 0
        fee_cap = call.max_fee_per_gas if call.max_fee_per_gas is not None else (call.gas_price or tip)
        fees = {"max_fee_per_gas": fee_cap, "max_priority_fee_per_gas": min(tip, fee_cap)}
    # Without validation geth lets a call that pays nothing run under an overridden base fee
    # (seeing BASEFEE 0); here every call pays at least its block's base fee, which is 0
    # without validation unless overridden.
    if fee_cap < base_fee:
        raise SimulatedFeeBelowBaseFee(f"max fee per gas less than block base fee: address 0x{sender.hex()}, "
                                       f"maxFeePerGas: {fee_cap}, baseFee: {base_fee}")
    req = TxRequest(chain.chain_id, sender, nonce, gas, call.to, call.value, call.data,
                    access_list=call.access_list, authorization_list=call.authorization_list, **fees)
    pending = impersonate(req)
    intrinsic = int(pending.tx.intrinsic_gas)
    if gas < intrinsic:
        raise SimulatedIntrinsicGas(f"intrinsic gas too low: have {gas}, want {intrinsic}")
    balance, want = int(state.get_balance(sender)), gas * fee_cap + call.value
    if balance < want:
        raise SimulatedInsufficientFunds(f"insufficient funds for gas * price + value: address 0x{sender.hex()} "
                                         f"have {balance} want {want}")
    return pending


LogEntry = tuple[bytes, tuple[bytes, ...], bytes]


class _LogHook:
    """The logs of one call in the order they happened, with each value transfer as an
    ERC-7528 Transfer log where asked (geth's simulate tracer): a frame's entries are kept
    only if it did not fail."""

    def __init__(self) -> None:
        self.frames: list[list[LogEntry]] = [[]]
        self.transfers = False

    def start(self, transfers: bool) -> None:
        self.frames = [[]]
        self.transfers = transfers

    def finish(self, failed: bool) -> list[LogEntry]:
        return [] if failed else self.frames[0]

    def computation_class(self, base: type[ComputationAPI]) -> type[ComputationAPI]:
        hook = self

        class Logged(base):  # type: ignore[valid-type, misc]
            @classmethod
            def apply_computation(cls, state: StateAPI, message: MessageAPI, transaction_context: Any,
                                  parent_computation: ComputationAPI | None = None) -> ComputationAPI:
                hook.frames.append([])
                if hook.transfers and message.value and message.should_transfer_value \
                        and message.sender != message.storage_address:  # not DELEGATECALL / CALLCODE
                    hook.frames[-1].append(_transfer(message.sender, message.storage_address, message.value))
                computation = super().apply_computation(state, message, transaction_context,
                                                        parent_computation=parent_computation)
                frame = hook.frames.pop()
                if not computation.is_error:
                    hook.frames[-1].extend(frame)
                return computation

            def add_log_entry(self, account: Address, topics: tuple[int, ...], data: bytes) -> None:
                super().add_log_entry(account, topics, data)
                hook.frames[-1].append((bytes(account), tuple(t.to_bytes(32, "big") for t in topics), bytes(data)))

        Logged.__name__ = f"Logged{base.__name__}"
        return Logged


def _transfer(sender: bytes, recipient: bytes, value: int) -> LogEntry:
    return (TRANSFER_ADDRESS, (TRANSFER_TOPIC, b"\x00" * 12 + bytes(sender), b"\x00" * 12 + bytes(recipient)),
            value.to_bytes(32, "big"))

