"""The domain's exception tree.

Every error that a user can cause or meet derives from :class:`XRollupError`. The RPC layer
maps this tree to JSON-RPC errors in exactly one place (``rpc/errors.py``); nothing below the
RPC layer knows about JSON-RPC codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


class XRollupError(Exception):
    """Root of the domain's exceptions."""


class InvalidInput(XRollupError):
    """A request's argument is well-formed JSON but makes no sense (an unknown filter id...)."""


class UnknownChain(InvalidInput):
    """A chain id that this devnet does not run."""

    def __init__(self, chain_id: int) -> None:
        super().__init__(f"unknown chain id {chain_id}")
        self.chain_id = chain_id


class LimitReached(XRollupError):
    """A request would take more of a bounded resource than its cap allows (subscriptions on
    one connection...); the message names the limit."""


class NoL1Deployments(XRollupError):
    """supersim's admin_getL1Addresses for a chain of this devnet: xrollup runs no L1."""

    def __init__(self, chain_id: int) -> None:
        super().__init__(f"chain {chain_id} has no L1 deployments: xrollup runs L2 chains only, without an L1")
        self.chain_id = chain_id


class BlockNotFound(XRollupError):
    """A block number, tag or hash that names no block of the chain."""


class TransactionRejected(XRollupError):
    """A transaction refused before execution (pool rules, signature, nonce, funds...).

    The message is the plain, geth/anvil-compatible one that clients match on
    (``nonce too low``, ``insufficient funds for gas * price + value``...).
    """


class InvalidExecutingMessage(TransactionRejected):
    """A transaction declares an OP interop executing message (an Identifier and payload hash,
    declared for CrossL2Inbox) that names no such log on its source chain. ``field`` is the
    part that does not match (``chain id``, ``block number``, ``timestamp``, ``log index``,
    ``origin``, ``payload hash``, ``origin or payload hash``, ``identifier``, ``access list``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class IntrinsicGasTooLow(TransactionRejected):
    """A call's gas is below what the transaction costs before it runs (anvil answers a call's
    ``intrinsic gas too low`` with -32000, not -32003)."""

    def __init__(self) -> None:
        super().__init__("intrinsic gas too low")


@dataclass
class ExecutionReverted(XRollupError):
    """The EVM executed a REVERT. ``data`` is the raw revert data (may be empty)."""

    data: bytes = b""
    reason: str | None = None
    chain_id: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"execution reverted: {self.reason}" if self.reason else "execution reverted"


class ExecutionHalted(XRollupError):
    """The EVM stopped with an exceptional halt (out of gas, invalid opcode...)."""


class ExecutionTimeout(XRollupError):
    """A read (eth_call, eth_estimateGas, a trace, a simulation) ran past its time limit and
    was aborted; geth's text: ``execution aborted (timeout = 5s)``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"execution aborted (timeout = {go_duration(seconds)})")
        self.seconds = seconds


def go_duration(seconds: float) -> str:
    """``seconds`` as Go's time.Duration prints it (5s, 1.5s, 250ms, 2m0s), as geth's
    messages quote their limits."""
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}m{rest:g}s"
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"


ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)
PANIC_CODES = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}


def decode_revert_reason(data: bytes) -> str | None:
    """Return the human reason of revert ``data``: Error(string), Panic(uint256) or None.

    Custom errors have no reason here; their raw data is what clients decode. Never raises.
    """
    if data[:4] == ERROR_SELECTOR and len(data) >= 68:
        try:
            length = int.from_bytes(data[36:68], "big")
            return data[68 : 68 + length].decode("utf-8", errors="replace")
        except (ValueError, OverflowError):
            return None
    if data[:4] == PANIC_SELECTOR and len(data) >= 36:
        code = int.from_bytes(data[4:36], "big")
        return f"panic: {PANIC_CODES.get(code, 'unknown panic')} ({code:#04x})"
    return None


@dataclass(frozen=True)
class XCallFailure:
    """Why a transaction that made cross-rollup calls reverted: the chain where it failed
    (the innermost request's destination, or the transaction's own chain), the request
    (None when the failure is not one request's: a plan that did not settle...), the
    reason, and the revert data that bubbled up. The superblock log keeps the chain and the
    reason (what receipts and traces report), so one rebuilt by replay has no request id and
    no revert data."""

    chain_id: int
    reason: str
    request_id: bytes | None = None
    revert_data: bytes = b""
    halted: bool = False  # it failed because ``chain_id`` is halted (a fault of the sequencer)


BundleFailureKind = Literal["rejected", "reverted", "halted"]


@dataclass(frozen=True)
class BundleFailure:
    """The leg that sank an atomic bundle: refused before execution (``rejected``: ``reason``
    is the rejection's message) or executed a REVERT while not allowed to (``reverted``:
    ``reason`` is the decoded revert reason, if any, and ``revert_data`` the raw data)."""

    leg: int
    chain_id: int
    tx_hash: bytes
    kind: BundleFailureKind
    reason: str | None
    revert_data: bytes = b""

    @property
    def reverted(self) -> bool:
        return self.kind == "reverted"

    @property
    def error(self) -> str:
        """The error's wording: the rejection's message, or geth's ``execution reverted[: reason]``."""
        if self.kind == "rejected":
            return self.reason or "transaction rejected"
        if self.kind == "halted":
            return f"chain {self.chain_id} is halted"
        return f"execution reverted: {self.reason}" if self.reason else "execution reverted"


class BundleFailed(XRollupError):
    """An atomic bundle did not go in: which leg, on which chain, and why (``failure``)."""

    def __init__(self, bundle_hash: bytes, failure: BundleFailure) -> None:
        super().__init__(f"bundle leg {failure.leg} (chain {failure.chain_id}) failed: {failure.error}")
        self.bundle_hash = bundle_hash
        self.failure = failure

    @property
    def leg(self) -> int:
        return self.failure.leg

    @property
    def chain_id(self) -> int:
        return self.failure.chain_id

    @property
    def tx_hash(self) -> bytes:
        return self.failure.tx_hash

    @property
    def reason(self) -> str | None:
        return self.failure.reason

    @property
    def revert_data(self) -> bytes:
        return self.failure.revert_data

    @property
    def reverted(self) -> bool:
        return self.failure.reverted


class SequencerDown(XRollupError):
    """The sequencer is down (a fault set with xr_setFault): it builds no superblock."""

    def __init__(self) -> None:
        super().__init__("the sequencer is down: no superblock is built until the fault is cleared (xr_clearFault)")


class ChainHalted(XRollupError):
    """Atomic work (a bundle, a cross-rollup call) touches a chain the sequencer halted; none
    of it was applied. ``chain_id`` is the halted chain; ``bundle_hash`` and ``leg`` say which
    bundle leg, when it was a bundle."""

    def __init__(self, chain_id: int, bundle_hash: bytes | None = None, leg: int | None = None) -> None:
        what = f"bundle leg {leg} touches " if leg is not None else ""
        super().__init__(f"{what}chain {chain_id}, which is halted: nothing was applied")
        self.chain_id = chain_id
        self.bundle_hash = bundle_hash
        self.leg = leg


class SimulationRefused(XRollupError):
    """eth_simulateV1 could not simulate what it was given; each kind is a subclass (the
    method layer gives each geth's code)."""


class SimulatedNonceTooLow(SimulationRefused):
    """With validation: a call's nonce is below its sender's."""


class SimulatedNonceTooHigh(SimulationRefused):
    """With validation: a call's nonce is above its sender's."""


class SimulatedFeeBelowBaseFee(SimulationRefused):
    """With validation: a call's fee cap is below its block's base fee."""


class SimulatedIntrinsicGas(SimulationRefused):
    """A call's gas does not cover its intrinsic cost."""


class SimulatedInsufficientFunds(SimulationRefused):
    """A call's sender cannot pay its gas and value."""


class SimulatedBlockGasLimit(SimulationRefused):
    """A call asks for more gas than its block has left."""


class SimulatedBlockNumber(SimulationRefused):
    """Simulated block numbers are not increasing."""


class SimulatedBlockTimestamp(SimulationRefused):
    """Simulated block timestamps are not increasing."""


class SimulationTooLarge(SimulationRefused):
    """Too many blocks or calls in one simulation."""


class UnknownEngine(XRollupError):
    """``XROLLUP_ENGINE`` names no engine (chains.engine.select)."""


class ReceiptTimeout(XRollupError):
    """A transaction was pooled but not mined within the time its sender would wait
    (eth_sendRawTransactionSync, EIP-7966)."""

    def __init__(self, tx_hash: bytes, timeout_ms: int) -> None:
        super().__init__(f"the transaction was added to the mempool but wasn't processed within {timeout_ms} ms")
        self.tx_hash = tx_hash
