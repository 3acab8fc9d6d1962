"""The values a block is made of and yields: its environment, pending transactions, their
outcomes, and the sealed block. Plain data; building is ``chains/builder.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI
from eth_typing import Hash32

if TYPE_CHECKING:
    from chains.deposits import L1Origin

ZERO_ADDRESS = b"\x00" * 20
ZERO_HASH = Hash32(b"\x00" * 32)


@dataclass(frozen=True)
class BlockEnv:
    """What a block's header takes from the sequencer rather than from its parent."""

    timestamp: int
    gas_limit: int
    coinbase: bytes = ZERO_ADDRESS
    base_fee: int | None = None  # None: EIP-1559's value from the parent
    # written into OP's L1Block predeploy before the block's first transaction (chains/deposits.py)
    l1_origin: L1Origin | None = None
    prev_randao: bytes | None = None  # the header's mixHash (block.prevrandao); None: keccak(parent hash)


@dataclass(frozen=True)
class PendingTx:
    """A transaction ready for a block. ``impersonated`` txs carry a placeholder signature."""

    tx: SignedTransactionAPI
    sender: bytes
    impersonated: bool = False

    @cached_property
    def hash(self) -> bytes:
        """Computed once (py-evm hashes the encoding on every read): the pool, the block, the
        indexes and the log each read it."""
        return bytes(self.tx.hash)

    @cached_property
    def raw(self) -> bytes:
        """The signed transaction's bytes (decode_raw seeds it with the bytes it decoded)."""
        return bytes(self.tx.encode())


@dataclass(frozen=True)
class ComputationSummary:
    """What a committed transaction's receipt and RPC views need of its computation. A live
    py-evm computation holds the block's whole state; keeping one per mined transaction
    grew memory without bound."""

    is_error: bool
    output: bytes
    error: BaseException | None
    gas_remaining: int
    children: tuple[()] = ()
    msg: Any = None  # the top-level message, where the transaction ran none (a plain transfer)

    def get_gas_remaining(self) -> int:
        return self.gas_remaining


@dataclass
class TxOutcome:
    pending: PendingTx
    receipt: ReceiptAPI
    computation: ComputationAPI
    gas_used: int
    effective_gas_price: int
    contract_address: bytes | None

    @property
    def success(self) -> bool:
        return not self.computation.is_error

    @property
    def output(self) -> bytes:
        return bytes(self.computation.output)

    def freeze(self) -> None:
        """Drop the live computation (and the state it references) once committed."""
        c = self.computation
        if not isinstance(c, ComputationSummary):
            error = c.error if c.is_error else None
            # the summary stands in for the computation: it has what receipts and views read
            summary = ComputationSummary(c.is_error, bytes(c.output), error, c.get_gas_remaining())
            self.computation = cast(ComputationAPI, summary)


@dataclass
class SealedBlock:
    block: BlockAPI
    outcomes: list[TxOutcome] = field(default_factory=list)
    base_state_root: bytes = b""  # the state the block was built on (re-execution, traces)

    @property
    def header(self) -> BlockHeaderAPI:
        return self.block.header

    @property
    def hash(self) -> bytes:
        return bytes(self.block.header.hash)


def base_fee_of(header: BlockHeaderAPI) -> int:
    """``header.base_fee_per_gas``: py-evm types it ``int | None`` (None before London), but
    every header here is Prague's."""
    return cast(int, header.base_fee_per_gas)


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    if tx.type_id is None or tx.type_id == 1:
        return int(tx.gas_price)
    return int(min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas))
