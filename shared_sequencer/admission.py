"""Admission: what the sequencer refuses before a transaction enters a pool.

Every rule that makes a transaction invalid at inclusion under Prague is checked here, so
that nothing the pool holds can fail when a block is built: EIP-3860's initcode limit,
EIP-7623's calldata floor, EIP-3607's "sender is not an EOA" (an EIP-7702 delegation is
allowed), intrinsic gas (calldata, creation, access list, EIP-7702 authorizations), fee caps
against each other and against the next base fee, the nonce, the sender's funds and the block
gas limit, and Osaka's transaction gas limit cap (EIP-7825). Rollups carry no blobs: a type-3 transaction is refused as OP's chains refuse it.
At inclusion the builder checks the nonce, the funds and the base fee against the block being
built; ``check_sender_code`` is the one state rule it lacks (a dev method may give a pooled
transaction's sender code).

Errors carry go-ethereum's texts (core/error.go, core/txpool/errors.go, core/vm/errors.go,
core/types/transaction.go), which is also what anvil answers and what viem and ethers match.
Everything here is a plain function of its arguments; each raises
:class:`chains.errors.TransactionRejected` and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from eth_keys import keys
from eth_keys.exceptions import BadSignature
from eth_utils import ValidationError

from chains.block import PendingTx
from chains.errors import TransactionRejected
from shared_sequencer.mempool import fee_cap, tip_cap

UINT64_MAX = 2**64 - 1
UINT256_MAX = 2**256 - 1

# Prague's transaction costs (EIP-2028, EIP-2930, EIP-3860, EIP-7623, EIP-7702).
TX_BASE_COST = 21_000
TX_CREATE_COST = 32_000
TX_DATA_ZERO_COST = 4
TX_DATA_NONZERO_COST = 16
INITCODE_WORD_COST = 2
ACCESS_LIST_ADDRESS_COST = 2_400
ACCESS_LIST_STORAGE_KEY_COST = 1_900
PER_EMPTY_ACCOUNT_COST = 25_000  # per EIP-7702 authorization
FLOOR_CALLDATA_COST = 10  # per calldata token (EIP-7623)
TOKENS_PER_NONZERO_BYTE = 4
MAX_CODE_SIZE = 24_576  # EIP-170
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860
DELEGATION_PREFIX = b"\xef\x01\x00"  # EIP-7702 delegation designator: prefix ++ address

SET_CODE_TX_TYPE = 4
SUPPORTED_TYPES = (None, 0, 1, 2, SET_CODE_TX_TYPE)

# go-ethereum's texts
ERR_TX_TYPE_NOT_SUPPORTED = "transaction type not supported"
ERR_MAX_INITCODE_SIZE = "max initcode size exceeded"
ERR_GAS_LIMIT = "exceeds block gas limit"
ERR_GAS_LIMIT_TOO_HIGH = "transaction gas limit too high"  # EIP-7825, with "(cap: C, tx: G)"
ERR_FEE_CAP_VERY_HIGH = "max fee per gas higher than 2^256-1"
ERR_TIP_VERY_HIGH = "max priority fee per gas higher than 2^256-1"
ERR_TIP_ABOVE_FEE_CAP = "max priority fee per gas higher than max fee per gas"
ERR_NONCE_MAX = "nonce has max value"
ERR_INSUFFICIENT_FUNDS = "insufficient funds for gas * price + value"
ERR_INTRINSIC_GAS = "intrinsic gas too low"
ERR_FLOOR_DATA_GAS = "insufficient gas for floor data gas cost"
ERR_EMPTY_AUTH_LIST = "set code tx must have at least one authorization tuple"
ERR_SET_CODE_TX_CREATE = "EIP-7702 transaction cannot be used to create contract"
ERR_FEE_CAP_TOO_LOW = "max fee per gas less than block base fee"
ERR_NONCE_TOO_LOW = "nonce too low"
ERR_SENDER_NO_EOA = "sender not an eoa"


@dataclass(frozen=True)
class ChainRules:
    """What admission needs to know of the chain a transaction is for."""

    chain_id: int
    gas_limit: int  # the block gas limit
    system_address: bytes | None = None  # the sequencer's own sender, closed to users
    tx_gas_limit_cap: int | None = None  # the fork's (chains.engine.ForkRules): 2^24 on Osaka


@dataclass(frozen=True)
class SenderAccount:
    """The sender's account in the state the transaction will run on."""

    nonce: int
    balance: int
    code: bytes = b""


@dataclass(frozen=True)
class TxFacts:
    """The fields admission reads, read once (each read of a py-evm typed transaction's field
    goes through two objects and rlp's getters)."""

    type_id: int | None
    nonce: int
    gas: int
    fee_cap: int
    tip_cap: int
    value: int
    data: bytes
    creation: bool
    access_list: tuple[tuple[bytes, Sequence[int]], ...]
    authorizations: tuple[Any, ...]
    impersonated: bool


def facts_of(pending: PendingTx) -> TxFacts:
    tx = pending.tx
    type_id = tx.type_id
    return TxFacts(
        type_id, int(tx.nonce), int(tx.gas), fee_cap(pending), tip_cap(pending), int(tx.value), bytes(tx.data),
        not tx.to, tuple(tx.access_list) if type_id not in (None, 0) else (),
        tuple(tx.authorization_list) if type_id == SET_CODE_TX_TYPE else (), pending.impersonated,
    )


def calldata_tokens(data: bytes) -> int:
    """EIP-7623's tokens: one per zero byte, four per other byte."""
    zeros = data.count(0)
    return zeros + (len(data) - zeros) * TOKENS_PER_NONZERO_BYTE


def intrinsic_gas(tx: TxFacts) -> int:
    """The gas charged before execution: base, calldata, creation (with EIP-3860's initcode
    words), access list and EIP-7702 authorizations."""
    zeros = tx.data.count(0)
    gas = TX_BASE_COST + zeros * TX_DATA_ZERO_COST + (len(tx.data) - zeros) * TX_DATA_NONZERO_COST
    if tx.creation:
        gas += TX_CREATE_COST + INITCODE_WORD_COST * ((len(tx.data) + 31) // 32)
    for _address, slots in tx.access_list:
        gas += ACCESS_LIST_ADDRESS_COST + ACCESS_LIST_STORAGE_KEY_COST * len(slots)
    return gas + PER_EMPTY_ACCOUNT_COST * len(tx.authorizations)


def floor_data_gas(tx: TxFacts) -> int:
    """EIP-7623's least gas a transaction with this calldata may use."""
    return TX_BASE_COST + FLOOR_CALLDATA_COST * calldata_tokens(tx.data)


def is_delegation(code: bytes) -> bool:
    """Whether ``code`` is an EIP-7702 delegation designator (0xef0100 ++ address)."""
    return len(code) == len(DELEGATION_PREFIX) + 20 and code.startswith(DELEGATION_PREFIX)


def authority(auth: Any) -> bytes | None:
    """The address that signed the EIP-7702 authorization ``auth`` (as Prague recovers it),
    or None for a signature that recovers nobody. Never raises."""
    try:
        msg = b"\x05" + rlp.encode([auth.chain_id, auth.address, auth.nonce])
        signature = keys.Signature(vrs=(auth.y_parity, auth.r, auth.s))
        return bytes(signature.recover_public_key_from_msg(msg).to_canonical_address())
    except (BadSignature, ValidationError, ValueError, TypeError, rlp.exceptions.EncodingError):
        return None


def check_origin(pending: PendingTx, tx: TxFacts, rules: ChainRules, signed_for: int | None) -> None:
    """The transaction is for this chain (EIP-155 protected, unless impersonated) and does
    not use the sequencer's system address as sender or in an authorization.

    ``signed_for`` is the chain id the transaction is signed for (None: unprotected).
    Raises TransactionRejected.
    """
    system = rules.system_address
    if system is not None:
        if pending.sender == system:
            raise TransactionRejected("the sequencer's system address cannot send user transactions")
        for auth in tx.authorizations:
            if auth.address == system or authority(auth) == system:
                raise TransactionRejected("an EIP-7702 authorization may not involve the sequencer's system address")
    if signed_for is None and not pending.impersonated:
        raise TransactionRejected(
            "only replay-protected (EIP-155) transactions are accepted: "
            "an unprotected transaction would be valid on every chain of the devnet"
        )
    if signed_for is not None and signed_for != rules.chain_id:
        raise TransactionRejected(f"invalid chain id: transaction is for chain {signed_for}, this is chain {rules.chain_id}")


def check_intrinsic(tx: TxFacts, rules: ChainRules) -> None:
    """What a transaction must satisfy whatever the state: its type, initcode size, gas
    (block limit, intrinsic cost, calldata floor), fee fields, nonce range and the shape of
    an EIP-7702 transaction. Geth's order (core/txpool/validation.go). Raises
    TransactionRejected."""
    if tx.type_id not in SUPPORTED_TYPES:
        # op-geth has no blob pool: "transaction type not supported: received type 3"
        raise TransactionRejected(f"{ERR_TX_TYPE_NOT_SUPPORTED}: received type {tx.type_id}")
    if tx.type_id == SET_CODE_TX_TYPE and tx.creation:
        raise TransactionRejected(ERR_SET_CODE_TX_CREATE)
    if tx.creation and len(tx.data) > MAX_INITCODE_SIZE:
        raise TransactionRejected(ERR_MAX_INITCODE_SIZE)
    if tx.gas > rules.gas_limit:
        raise TransactionRejected(ERR_GAS_LIMIT)
    cap = rules.tx_gas_limit_cap
    if cap is not None and tx.gas > cap:
        raise TransactionRejected(f"{ERR_GAS_LIMIT_TOO_HIGH} (cap: {cap}, tx: {tx.gas})")
    if tx.fee_cap > UINT256_MAX:
        raise TransactionRejected(ERR_FEE_CAP_VERY_HIGH)
    if tx.tip_cap > UINT256_MAX:
        raise TransactionRejected(ERR_TIP_VERY_HIGH)
    if tx.tip_cap > tx.fee_cap:
        raise TransactionRejected(ERR_TIP_ABOVE_FEE_CAP)
    if tx.nonce >= UINT64_MAX:  # EIP-2681
        raise TransactionRejected(ERR_NONCE_MAX)
    if tx.value > UINT256_MAX:
        raise TransactionRejected(ERR_INSUFFICIENT_FUNDS)
    if tx.gas < intrinsic_gas(tx):
        raise TransactionRejected(ERR_INTRINSIC_GAS)
    if tx.gas < floor_data_gas(tx):
        raise TransactionRejected(ERR_FLOOR_DATA_GAS)
    if tx.type_id == SET_CODE_TX_TYPE and not tx.authorizations:
        raise TransactionRejected(ERR_EMPTY_AUTH_LIST)


def check_base_fee(tx: TxFacts, base_fee: int) -> None:
    """The fee cap covers the base fee of the block the transaction goes into. Raises
    TransactionRejected."""
    if tx.fee_cap < base_fee:
        raise TransactionRejected(ERR_FEE_CAP_TOO_LOW)


def check_sender_code(code: bytes, impersonated: bool) -> None:
    """EIP-3607: the sender is an EOA (a delegated EOA is one; impersonation, a dev feature,
    sends from anything). Raises TransactionRejected."""
    if code and not is_delegation(code) and not impersonated:
        raise TransactionRejected(ERR_SENDER_NO_EOA)


def check_sender(tx: TxFacts, account: SenderAccount) -> None:
    """Against the sender's account: the nonce is not used, the sender is an EOA and can pay
    ``gas * fee cap + value``. A nonce above the account's waits in the pool. Raises
    TransactionRejected."""
    if tx.nonce < account.nonce:
        raise TransactionRejected(ERR_NONCE_TOO_LOW)
    check_sender_code(account.code, tx.impersonated)
    if account.balance < tx.gas * tx.fee_cap + tx.value:
        raise TransactionRejected(ERR_INSUFFICIENT_FUNDS)


def admit(pending: PendingTx, rules: ChainRules, signed_for: int | None, account: SenderAccount,
          base_fee: int) -> None:
    """Everything a transaction must satisfy to enter the pool of ``rules.chain_id`` whose
    next block has ``base_fee``, its sender's account being ``account``. Raises
    TransactionRejected with the first rule broken."""
    tx = facts_of(pending)
    check_origin(pending, tx, rules, signed_for)
    check_intrinsic(tx, rules)
    check_base_fee(tx, base_fee)
    check_sender(tx, account)
