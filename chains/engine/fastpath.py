"""Plain ETH transfers without the EVM's message machinery.

A transaction that sends value from an account with no code to an account with no code,
with no calldata and no access list, runs no code: its whole effect is the gas purchase, the
nonce, the value moving, the refund, the tip to the coinbase and EIP-161's clean-up of touched
empty accounts. geth's state transition skips the interpreter for the same reason. This module
makes the state changes py-evm's Prague executor makes for such a transaction, netted to one
write per account, and skips the rest (message and computation objects, the transaction
context, precompile and access sets, which a code-less call never reads). It stands in for the
engine's executor only: on any other state (stock py-evm's, under ``XROLLUP_ENGINE=plain``)
every transaction goes through that state's own executor. tests/chains checks the resulting
state roots against py-evm's own path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from eth.abc import ReceiptAPI, SignedTransactionAPI, StateAPI
from eth.constants import GAS_TX, SECPK1_N
from eth.rlp.receipts import Receipt
from eth.vm.forks.byzantium.constants import EIP658_TRANSACTION_STATUS_CODE_SUCCESS
from eth_utils import ValidationError

from chains.engine import rlpfast
from chains.engine.evm import RollupState

EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
PRECOMPILE_LIMIT = 0x101  # addresses below this are precompiles or reserved for them (Osaka's P256VERIFY: 0x100)
PLAIN_TYPES = (None, 0, 2)  # legacy and EIP-1559 (no access list fields that cost gas)


@dataclass(frozen=True)
class TransferMessage:
    """The message a plain transfer stands for, as far as readers of a computation's ``msg``
    look (the recipient is the storage address; there is no code and no calldata)."""

    sender: bytes
    to: bytes
    value: int
    data: bytes = b""
    code: bytes = b""
    depth: int = 0

    @property
    def storage_address(self) -> bytes:
        return self.to


@dataclass(frozen=True)
class TransferResult:
    receipt: ReceiptAPI
    gas_used: int  # this transaction's own gas


def is_plain_transfer(state: StateAPI, tx: SignedTransactionAPI, sender: bytes) -> bool:
    """True when ``state`` is the engine's and ``tx`` runs no code at all: no calldata, no
    access list, a recipient that is neither a precompile nor an account with code (an
    EIP-7702 delegation is code), and a sender without code."""
    if not isinstance(state, RollupState):
        return False
    to = tx.to
    if not to or tx.data or tx.type_id not in PLAIN_TYPES or tx.intrinsic_gas != GAS_TX:
        return False
    if int.from_bytes(to, "big") < PRECOMPILE_LIMIT:
        return False
    return (state.get_code_hash(to) == EMPTY_CODE_HASH
            and state.get_code_hash(sender) == EMPTY_CODE_HASH)  # type: ignore[arg-type]


def apply_plain_transfer(
    state: StateAPI, tx: SignedTransactionAPI, sender: bytes, cumulative_gas: int, check_signature: bool,
) -> TransferResult:
    """Apply a transaction for which ``is_plain_transfer`` holds, as py-evm's executor would.

    Raises ValidationError (state unchanged) with py-evm's messages for what its
    ``validate_transaction`` refuses: bad fields or signature (``tx.validate()``, skipped for
    impersonated senders), a max fee under the base fee, a balance short of gas * price +
    value, or a wrong nonce.
    """
    base_fee = int(state.execution_context.base_fee_per_gas or 0)  # Prague: always set
    if check_signature:
        tx.validate()
    if tx.s > SECPK1_N // 2 or tx.s == 0:  # homestead's rule, checked on every sender
        raise ValidationError("Invalid signature S value")
    if tx.type_id == 2:
        if tx.max_fee_per_gas < base_fee:
            raise ValidationError(
                f"Sender's max fee per gas ({tx.max_fee_per_gas}) is lower than block's base fee per gas ({base_fee})")
        price = min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    else:
        if tx.gas_price < base_fee:
            raise ValidationError(f"Sender's gas price ({tx.gas_price}) is lower than block's base fee ({base_fee})")
        price = tx.gas_price
    balance = state.get_balance(sender)  # type: ignore[arg-type]
    if balance < tx.gas * price + tx.value:
        raise ValidationError(
            f"Sender does not have enough balance to cover transaction value and gas "
            f" (has {balance}, needs {tx.gas * price + tx.value})")
    nonce = state.get_nonce(sender)  # type: ignore[arg-type]
    if nonce != tx.nonce:
        raise ValidationError(f"Invalid transaction nonce: Expected {nonce}, but got {tx.nonce}")
    to, value = tx.to, tx.value
    # The executor's net effect, one write per account: the sender buys gas, bumps its nonce
    # and sends the value, and is refunded what was not used (py-evm does these in steps).
    state.set_balance(sender, balance - GAS_TX * price - value)  # type: ignore[arg-type]
    state.set_nonce(sender, nonce + 1)  # type: ignore[arg-type]
    if value:
        state.delta_balance(to, value)  # to == sender gets its value back, as in py-evm
    tip = GAS_TX * (price - base_fee)
    if tip:
        state.delta_balance(state.coinbase, tip)
    # EIP-161: the recipient and the coinbase are touched; an empty one is cleared. Only one
    # that received nothing can be empty (py-evm also writes the untouched account back
    # unchanged, which changes nothing).
    for touched, received in ((to, value), (state.coinbase, tip)):
        if not received and state.account_exists(touched) and state.account_is_empty(touched):
            state.delete_account(touched)
    return TransferResult(transfer_receipt(tx, cumulative_gas + GAS_TX), GAS_TX)


def transfer_receipt(tx: SignedTransactionAPI, cumulative_gas: int) -> ReceiptAPI:
    """``tx.make_receipt(success, cumulative_gas, ())``: a receipt without logs (so its bloom
    is 0), built without rlp's keyword merging and the bloom of no logs; typed transactions
    wrap it in their typed receipt, as py-evm's TypedTransaction.make_receipt does."""
    inner = rlpfast.construct(Receipt, (EIP658_TRANSACTION_STATUS_CODE_SUCCESS, cumulative_gas, 0, ()))
    if tx.type_id is None:
        return cast(ReceiptAPI, inner)
    return cast(ReceiptAPI, tx.receipt_builder.typed_receipt_class(tx.type_id, inner))  # type: ignore[attr-defined]
