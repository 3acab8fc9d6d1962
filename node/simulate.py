"""eth_simulateV1's parameters and answer, in geth's shapes (execution-apis' eth_simulateV1):

    [{blockStateCalls: [{blockOverrides?, stateOverrides?, calls?: [transaction objects]}],
      traceTransfers?, validation?, returnFullTransactions?}, block?]

answers one block object per simulated block (gaps in the numbers filled with empty blocks),
each with ``calls``: ``{returnData, logs, gasUsed, maxUsedGas, status, error?}``. The work is
backend/simulate.py's."""

from __future__ import annotations

from typing import Any

from backend.simulate import (
    MAX_BLOCKS,
    MAX_CALLS,
    MAX_CALLS_PER_BLOCK,
    BlockOverrides,
    CallResult,
    SimBlock,
    SimulatedBlock,
    SimulateRequest,
)
from chains.errors import ExecutionReverted, SimulationTooLarge
from chains.rollup import BlockRef
from chains.txbuild import TxFields
from node import params as p
from node import views
from node.errors import EXECUTION_REVERTED
from node.eth import EthApi
from node.views import d, q

VM_ERROR = -32015  # geth's code for a call that failed other than by REVERT
_OPTION_KEYS = {"blockStateCalls", "traceTransfers", "validation", "returnFullTransactions"}
_BLOCK_KEYS = {"blockOverrides", "stateOverrides", "calls"}
_OVERRIDE_KEYS = {"number", "time", "gasLimit", "feeRecipient", "prevRandao", "baseFeePerGas", "difficulty",
                  "blobBaseFee", "beaconRoot", "withdrawals"}


def simulate_options(value: Any) -> tuple[SimulateRequest, bool]:
    """The request and ``returnFullTransactions``. Raises ValueError for a malformed one,
    SimulationTooLarge past geth's limits (256 blocks, 5,000 calls a block, 10,000 in all)."""
    if not isinstance(value, dict):
        raise ValueError("expected an object with blockStateCalls")
    unknown = set(value) - _OPTION_KEYS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)[:4]}")
    blocks = value.get("blockStateCalls")
    if not isinstance(blocks, list):
        raise ValueError("blockStateCalls: expected a list of blocks")
    if not blocks:
        raise ValueError("empty input")
    if len(blocks) > MAX_BLOCKS:
        raise SimulationTooLarge("too many blocks")
    total = sum(len(b["calls"]) for b in blocks if isinstance(b, dict) and isinstance(b.get("calls"), list))
    if total > MAX_CALLS:
        raise SimulationTooLarge(f"too many calls: {total} > {MAX_CALLS}")
    parsed = tuple(_block(b, i) for i, b in enumerate(blocks))
    flags = [_flag(value, key) for key in ("traceTransfers", "validation", "returnFullTransactions")]
    return SimulateRequest(parsed, trace_transfers=flags[0], validation=flags[1]), flags[2]


def _flag(value: dict[str, Any], key: str) -> bool:
    flag = value.get(key)
    if flag is None:
        return False
    if not isinstance(flag, bool):
        raise ValueError(f"{key}: expected a boolean")
    return flag


def _block(value: Any, index: int) -> SimBlock:
    where = f"blockStateCalls[{index}]"
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object with blockOverrides, stateOverrides, calls")
    unknown = set(value) - _BLOCK_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)[:4]}")
    calls = value.get("calls") or []
    if not isinstance(calls, list):
        raise ValueError(f"{where}.calls: expected a list of transaction objects")
    if len(calls) > MAX_CALLS_PER_BLOCK:
        raise SimulationTooLarge(f"too many calls in block: {len(calls)} > {MAX_CALLS_PER_BLOCK}")
    try:
        state = p.state_overrides(value.get("stateOverrides"))
        overrides = _overrides(value.get("blockOverrides"))
        return SimBlock(overrides, state, tuple(_call(c, i) for i, c in enumerate(calls)))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _overrides(value: Any) -> BlockOverrides:
    """geth's block overrides. ``difficulty`` is accepted and ignored (after the merge it is
    0); the blob base fee, the beacon root and withdrawals cannot be set here. Raises ValueError."""
    if value is None:
        return BlockOverrides()
    if not isinstance(value, dict):
        raise ValueError("blockOverrides: expected an object")
    unknown = set(value) - _OVERRIDE_KEYS
    if unknown:
        raise ValueError(f"blockOverrides: unknown field(s) {sorted(unknown)[:4]}")
    for key in ("blobBaseFee", "beaconRoot"):
        if value.get(key) is not None:
            raise ValueError(f"blockOverrides: {key} cannot be overridden on this devnet")
    if value.get("withdrawals"):
        raise ValueError("blockOverrides: withdrawals cannot be overridden on this devnet (a rollup has none)")

    def get(key: str, parse: Any) -> Any:
        return p.optional_field(value, key, parse, "blockOverrides.")

    return BlockOverrides(number=get("number", p.uint64), time=get("time", p.timestamp),
                          gas_limit=get("gasLimit", p.uint64), fee_recipient=get("feeRecipient", p.address),
                          prev_randao=get("prevRandao", p.hash32), base_fee=get("baseFeePerGas", p.quantity))


def _call(value: Any, index: int) -> TxFields:
    try:
        f = p.tx_object(value)
    except ValueError as exc:
        raise ValueError(f"calls[{index}]: {exc}") from None
    if f.gas_price is not None and (f.max_fee_per_gas is not None or f.max_priority_fee_per_gas is not None):
        raise ValueError(f"calls[{index}]: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    if f.max_fee_per_gas is not None and f.max_priority_fee_per_gas is not None \
            and f.max_priority_fee_per_gas > f.max_fee_per_gas:
        raise ValueError(f"calls[{index}]: maxPriorityFeePerGas bigger than maxFeePerGas")
    return f


def call_result_json(result: CallResult, timestamp: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "returnData": d(result.output),
        "logs": [{**views.log_json(log), "blockTimestamp": q(timestamp)} for log in result.logs],
        "gasUsed": q(result.gas_used),
        "maxUsedGas": q(result.max_used_gas),
        "status": q(1 if result.success else 0),
    }
    error = result.error
    if isinstance(error, ExecutionReverted):
        out["error"] = {"message": error.message, "code": EXECUTION_REVERTED, "data": d(error.data)}
    elif error is not None:
        out["error"] = {"message": str(error), "code": VM_ERROR}
    return out


def simulated_block_json(sim: SimulatedBlock, chain_id: int, full: bool) -> dict[str, Any]:
    out = views.block_json(sim.block, chain_id, full)
    out["calls"] = [call_result_json(c, int(sim.block.header.timestamp)) for c in sim.calls]
    return out


class SimulateApi(EthApi):
    async def eth_simulateV1(self, options: tuple[SimulateRequest, bool], ref: BlockRef) -> list[dict[str, Any]]:
        request, full = options
        blocks = await self.backend.simulate_v1(self.chain_id, request, ref)
        return [simulated_block_json(b, self.chain_id, full) for b in blocks]
