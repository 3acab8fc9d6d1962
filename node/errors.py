"""The one mapping from domain exceptions to JSON-RPC errors (anvil's codes and shapes)."""

from __future__ import annotations

import logging

from chains.errors import (
    BlockNotFound,
    BundleFailed,
    ChainHalted,
    ExecutionHalted,
    ExecutionReverted,
    IntrinsicGasTooLow,
    InvalidInput,
    ReceiptTimeout,
    SimulatedBlockGasLimit,
    SimulatedBlockNumber,
    SimulatedBlockTimestamp,
    SimulatedFeeBelowBaseFee,
    SimulatedInsufficientFunds,
    SimulatedIntrinsicGas,
    SimulatedNonceTooHigh,
    SimulatedNonceTooLow,
    SimulationRefused,
    SimulationTooLarge,
    TransactionRejected,
    XRollupError,
)
from rpc.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, SERVER_ERROR, RpcError

logger = logging.getLogger(__name__)

EXECUTION_REVERTED = 3
TRANSACTION_REJECTED = -32003
RECEIPT_TIMEOUT = 4  # EIP-7966: pooled, not mined within the timeout; the hash in data
CHAIN_HALTED = -32010  # atomic work touched a halted chain (a fault); the chain in data
# eth_simulateV1's refusals: geth's codes (internal/ethapi/errors.go)
SIMULATION_CODES: dict[type[SimulationRefused], int] = {
    SimulatedNonceTooLow: -38010,
    SimulatedNonceTooHigh: -38011,
    SimulatedFeeBelowBaseFee: -38012,
    SimulatedIntrinsicGas: -38013,
    SimulatedInsufficientFunds: -38014,
    SimulatedBlockGasLimit: -38015,
    SimulatedBlockNumber: -38020,
    SimulatedBlockTimestamp: -38021,
    SimulationTooLarge: -38026,
}


def to_rpc_error(exc: Exception) -> RpcError:
    """Revert: code 3, ``execution reverted: <reason>``, raw revert data in ``data`` (what
    web3.py and viem parse); rejected transaction: -32003 (a call's gas below its intrinsic
    cost: -32000, as anvil); bad argument: -32602; atomic work that touched a halted chain:
    -32010 with the chain in ``data``. Any other exception is a defect of the
    devnet: logged with its traceback, answered -32603 ``internal error`` without its text."""
    if isinstance(exc, ChainHalted):
        halted: dict[str, object] = {"chainId": exc.chain_id, "halted": True}
        if exc.bundle_hash is not None:
            halted.update({"bundleHash": "0x" + exc.bundle_hash.hex(), "failedLeg": exc.leg})
        return RpcError(CHAIN_HALTED, str(exc), halted)
    if isinstance(exc, BundleFailed):
        detail = {
            "bundleHash": "0x" + exc.bundle_hash.hex(), "failedLeg": exc.leg, "chainId": exc.chain_id,
            "txHash": "0x" + exc.tx_hash.hex(), "reason": exc.reason, "revertData": "0x" + exc.revert_data.hex(),
        }
        return RpcError(EXECUTION_REVERTED if exc.reverted else TRANSACTION_REJECTED, str(exc), detail)
    if isinstance(exc, ExecutionReverted):
        return RpcError(EXECUTION_REVERTED, exc.message, "0x" + exc.data.hex())
    if isinstance(exc, IntrinsicGasTooLow):
        return RpcError(SERVER_ERROR, str(exc))
    if isinstance(exc, SimulationRefused):
        return RpcError(SIMULATION_CODES.get(type(exc), SERVER_ERROR), str(exc))
    if isinstance(exc, ReceiptTimeout):
        return RpcError(RECEIPT_TIMEOUT, str(exc), "0x" + exc.tx_hash.hex())
    if isinstance(exc, TransactionRejected):
        return RpcError(TRANSACTION_REJECTED, str(exc))
    if isinstance(exc, InvalidInput):
        return RpcError(INVALID_PARAMS, str(exc))
    if isinstance(exc, (BlockNotFound, ExecutionHalted, XRollupError)):
        return RpcError(SERVER_ERROR, str(exc))
    logger.error("internal error", exc_info=exc)
    return RpcError(INTERNAL_ERROR, "internal error")
