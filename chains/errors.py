"""The domain's exception tree.

Every error that a user can cause or meet derives from :class:`XRollupError`. The RPC layer
maps this tree to JSON-RPC errors in exactly one place (``rpc/errors.py``); nothing below the
RPC layer knows about JSON-RPC codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class XRollupError(Exception):
    """Root of the domain's exceptions."""


class InvalidInput(XRollupError):
    """A request's argument is well-formed JSON but makes no sense (an unknown filter id...)."""


class UnknownChain(InvalidInput):
    """A chain id that this devnet does not run."""

    def __init__(self, chain_id: int) -> None:
        super().__init__(f"unknown chain id {chain_id}")
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


@dataclass
class BundleFailed(XRollupError):
    """An atomic bundle did not go in: which leg, on which chain, and why."""

    bundle_hash: bytes
    leg: int
    chain_id: int
    tx_hash: bytes
    error: str
    reason: str | None = None
    revert_data: bytes = b""
    reverted: bool = False

    def __post_init__(self) -> None:
        super().__init__(f"bundle leg {self.leg} (chain {self.chain_id}) failed: {self.error}")


class UnknownEngine(XRollupError):
    """``XROLLUP_ENGINE`` names no engine (chains.engine.select)."""
