"""Decode, check and create transactions (raw bytes in, ``PendingTx`` out).

Plain functions: decoding a raw transaction, the checks that do not need state, and building
a transaction for eth_sendTransaction, signed by a dev key or carrying a placeholder
signature for an impersonated sender.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import rlp
from eth.abc import SignedTransactionAPI
from eth.exceptions import UnrecognizedTransactionType
from eth.vm.forks.london.constants import DYNAMIC_FEE_TRANSACTION_TYPE
from eth.vm.forks.london.transactions import DynamicFeePayloadDecoder, DynamicFeeTransaction
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.transactions import Authorization, PragueTransactionBuilder
from eth_keys import keys
from eth_keys.datatypes import PrivateKey
from eth_keys.exceptions import BadSignature
from eth_typing import Address
from eth_utils import ValidationError

from chains.block import PendingTx
from chains.engine import rlpfast
from chains.engine.hashing import keccak
from chains.engine.sender import typed_sender
from chains.errors import IntrinsicGasTooLow, TransactionRejected

MAX_TX_SIZE = 128 * 1024  # geth's and anvil's txMaxSize
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# py-evm types it as the abstract builder, which lacks the typed-transaction constructors
BUILDER = cast(type[PragueTransactionBuilder], PragueVM.get_transaction_builder())

AccessList = tuple[tuple[Address, tuple[int, ...]], ...]
"""EIP-2930 (address, storage slots) pairs."""

SignedAuthorization = tuple[int, Address, int, int, int, int]
"""An EIP-7702 authorization as signed by its authority: (chain id, address, nonce, y parity, r, s)."""
AuthorizationList = tuple[SignedAuthorization, ...]


def decode_raw(raw: bytes) -> PendingTx:
    """Decode and check a signed raw transaction. Raises TransactionRejected."""
    if len(raw) > MAX_TX_SIZE:
        raise TransactionRejected(f"oversized data: transaction size {len(raw)}, limit {MAX_TX_SIZE}")
    if raw[:1] and raw[0] <= 0x7F and raw[0] not in BUILDER.typed_transaction.decoders:
        raise TransactionRejected("transaction type not supported")
    check_rlp_nesting(raw[1:] if raw[:1] and raw[0] <= 0x7F else raw)
    try:
        tx = _decode(raw)
    except UnrecognizedTransactionType as exc:
        raise TransactionRejected("transaction type not supported") from exc
    except RecursionError as exc:  # RLP lists nested thousands deep
        raise TransactionRejected("failed to decode signed transaction: RLP nested too deep") from exc
    except (rlp.DecodingError, rlp.DeserializationError, ValidationError, ValueError, TypeError) as exc:
        raise TransactionRejected(f"failed to decode signed transaction: {exc}") from exc
    try:
        tx.validate()
        # EIP-2: py-evm checks s <= n/2 for legacy transactions only; without this a typed
        # transaction's signature is malleable (the same transaction under a second hash).
        if int(tx.s) > SECP256K1_N // 2:
            raise ValidationError(f"signature s value {int(tx.s)} is above secp256k1n/2 (EIP-2)")
        if tx.type_id is None:
            sender = bytes(tx.sender)
        else:  # from the raw bytes, and seeded into py-evm's cache of the sender
            sender = typed_sender(raw, tx.y_parity, tx.r, tx.s)
            tx.__dict__["sender"] = Address(sender)
    except (BadSignature, ValidationError, ValueError) as exc:
        raise TransactionRejected(f"invalid transaction: {exc}") from exc
    pending = PendingTx(tx, sender)
    pending.__dict__["raw"] = raw  # seeded from the bytes in hand, as is the transaction hash
    pending.__dict__["hash"] = keccak(raw)
    return pending


MAX_RLP_NESTING = 8  # a transaction nests 4 deep (its list, access list, entry, storage keys)


def check_rlp_nesting(payload: bytes) -> None:
    """Refuse RLP whose lists nest deeper than MAX_RLP_NESTING, without recursing (rlp's
    decoder recurses once a level). Lengths that run past the end are left to the decoder.
    Raises TransactionRejected."""
    ends: list[int] = []  # where each open list ends
    pos, size = 0, len(payload)
    while pos < size:
        while ends and pos >= ends[-1]:
            ends.pop()
        prefix = payload[pos]
        if prefix < 0x80:
            pos += 1
        elif prefix <= 0xB7:
            pos += 1 + prefix - 0x80
        elif prefix <= 0xBF:
            width = prefix - 0xB7
            pos += 1 + width + int.from_bytes(payload[pos + 1 : pos + 1 + width], "big")
        else:
            if prefix <= 0xF7:
                pos, length = pos + 1, prefix - 0xC0
            else:
                width = prefix - 0xF7
                pos, length = pos + 1 + width, int.from_bytes(payload[pos + 1 : pos + 1 + width], "big")
            ends.append(pos + length)
            if len(ends) > MAX_RLP_NESTING:
                raise TransactionRejected(
                    f"failed to decode signed transaction: rlp: lists nest deeper than {MAX_RLP_NESTING} levels")


def _decode(raw: bytes) -> SignedTransactionAPI:
    """``BUILDER.decode(raw)``. An EIP-1559 transaction, the common case, is decoded and
    deserialized by rlp as there, then built without rlp's keyword merging and checks in
    ``Serializable.__init__`` (tests/chains compares the two). Raises rlp's DecodingError or
    DeserializationError, or ValidationError."""
    if raw[:1] != _DYNAMIC_FEE_TYPE_BYTE:
        return BUILDER.decode(raw)
    payload = raw[1:]
    fields = DynamicFeeTransaction._meta.sedes.deserialize(rlp.decode(payload))
    inner = rlpfast.construct(DynamicFeeTransaction, fields)
    inner._cached_rlp = payload  # as rlp.decode(payload, sedes=...) leaves it
    return BUILDER.typed_transaction(DYNAMIC_FEE_TRANSACTION_TYPE, inner)


_DYNAMIC_FEE_TYPE_BYTE = bytes((DYNAMIC_FEE_TRANSACTION_TYPE,))
if BUILDER.typed_transaction.decoders.get(DYNAMIC_FEE_TRANSACTION_TYPE) is not DynamicFeePayloadDecoder:
    raise ImportError("this py-evm decodes EIP-1559 transactions differently; chains.txbuild._decode needs a look")


def check_call(intrinsic_gas: int, gas: int, value: int, balance: int) -> None:
    """The checks geth and anvil make before a call (eth_call, eth_estimateGas...) runs, whose
    gas price is 0: the gas covers the intrinsic cost, the sender's balance the value.
    Raises IntrinsicGasTooLow, TransactionRejected (``insufficient funds for gas * price + value``)."""
    if gas < intrinsic_gas:
        raise IntrinsicGasTooLow()
    if value > balance:
        raise TransactionRejected("insufficient funds for gas * price + value")


def tx_chain_id(pending: PendingTx) -> int | None:
    """The EIP-155 chain id a transaction is signed for; None for an unprotected legacy tx."""
    chain_id = getattr(pending.tx, "chain_id", None)
    return int(chain_id) if chain_id is not None else None


@dataclass(frozen=True)
class TxFields:
    """A transaction object as eth_call, eth_sendTransaction and eth_simulateV1 take it; absent
    fields None."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    access_list: AccessList = ()
    chain_id: int | None = None
    authorization_list: AuthorizationList = ()


@dataclass(frozen=True)
class TxRequest:
    """An eth_sendTransaction request with every field filled in."""

    chain_id: int
    sender: bytes
    nonce: int
    gas: int
    to: bytes | None
    value: int
    data: bytes
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None
    access_list: AccessList = ()
    authorization_list: AuthorizationList = ()  # not empty: an EIP-7702 set-code transaction (type 4)


def authorizations(signed: AuthorizationList) -> list[Authorization]:
    """py-evm's objects for ``signed``."""
    return [Authorization(c, a, n, y, r, s) for c, a, n, y, r, s in signed]


def unsigned(req: TxRequest) -> Any:
    to = Address(req.to or b"")
    if req.authorization_list:
        return BUILDER.new_unsigned_set_code_transaction(
            req.chain_id, req.nonce, req.max_priority_fee_per_gas or 0, req.max_fee_per_gas or 0, req.gas, to,
            req.value, req.data, req.access_list, authorizations(req.authorization_list))
    if req.gas_price is not None:
        if req.access_list:
            return BUILDER.new_unsigned_access_list_transaction(
                req.chain_id, req.nonce, req.gas_price, req.gas, to, req.value, req.data, req.access_list
            )
        return BUILDER.create_unsigned_transaction(
            nonce=req.nonce, gas_price=req.gas_price, gas=req.gas, to=to, value=req.value, data=req.data
        )
    return BUILDER.new_unsigned_dynamic_fee_transaction(
        req.chain_id, req.nonce, req.max_priority_fee_per_gas or 0, req.max_fee_per_gas or 0,
        req.gas, to, req.value, req.data, req.access_list,
    )


def _prague(tx: Any) -> Any:
    """py-evm's London-era builders make London typed transactions, which a Prague block
    cannot encode; a round trip through the Prague decoder gives the right class."""
    return BUILDER.decode(tx.encode())


@lru_cache(maxsize=64)
def _signer(private_key: bytes) -> tuple[PrivateKey, bytes, Callable[[bytes], tuple[int, int, int]]]:
    """The key object (deriving its public key is an EC multiplication), its address, and a
    function signing a message hash: coincurve's key, made once (eth_keys' coincurve backend
    makes one, with its public key, for every signature), or eth_keys' backend."""
    key = keys.PrivateKey(private_key)

    def sign_hash(msg_hash: bytes) -> tuple[int, int, int]:
        v, r, s = key.sign_msg_hash(msg_hash).vrs
        return v, r, s

    try:
        import coincurve
    except ImportError:  # pragma: no cover - the devnet refuses to start without it
        return key, bytes(key.public_key.to_canonical_address()), sign_hash
    fast = coincurve.PrivateKey(private_key)

    def sign_hash_coincurve(msg_hash: bytes) -> tuple[int, int, int]:
        sig = fast.sign_recoverable(msg_hash, hasher=None)  # r (32) | s (32) | recovery id (1)
        return sig[64], int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")

    return key, bytes(key.public_key.to_canonical_address()), sign_hash_coincurve


def sign(req: TxRequest, private_key: bytes) -> PendingTx:
    key, address, sign_hash = _signer(private_key)
    if req.authorization_list:  # type 4 (EIP-7702): always EIP-1559 fees
        tx = unsigned(req).as_signed_transaction(key)
    elif req.gas_price is None:
        # Type 2 (every system transaction): sign the EIP-1559 message and build Prague's class
        # directly, as _prague's decode would, without the encode/decode round trip.
        fields = (req.chain_id, req.nonce, req.max_priority_fee_per_gas or 0, req.max_fee_per_gas or 0,
                  req.gas, Address(req.to or b""), req.value, req.data)
        if req.access_list:
            message = unsigned(req).get_message_for_signing()
            y_parity, r, s = sign_hash(keccak(message))
            inner = DynamicFeeTransaction(*fields, req.access_list, y_parity, r, s)
            tx = BUILDER.typed_transaction(DYNAMIC_FEE_TRANSACTION_TYPE, inner)
        else:  # 0x02 || rlp([chain_id, nonce, tip, max fee, gas, to, value, data, []])
            y_parity, r, s = sign_hash(keccak(b"\x02" + rlpfast.encode((*fields, ()))))
            # Built as _decode builds a decoded one: without rlp's checks in __init__, with its
            # encoding, bytes and hash known (the block's transaction root reads the bytes).
            signed_fields = (*fields, (), y_parity, r, s)
            payload = rlpfast.encode(signed_fields)
            inner = rlpfast.construct(DynamicFeeTransaction, signed_fields)
            inner._cached_rlp = payload
            tx = BUILDER.typed_transaction(DYNAMIC_FEE_TRANSACTION_TYPE, inner)
            tx.__dict__["sender"] = Address(address)
            pending = PendingTx(tx, req.sender)
            raw = _DYNAMIC_FEE_TYPE_BYTE + payload
            pending.__dict__["raw"] = raw
            pending.__dict__["hash"] = keccak(raw)
            return pending
    else:
        tx = _prague(unsigned(req).as_signed_transaction(key, chain_id=req.chain_id))
    # The signer is known: seed py-evm's cached sender instead of recovering it from the
    # signature (an ecrecover) when the transaction is validated and executed.
    tx.__dict__["sender"] = Address(address)
    return PendingTx(tx, req.sender)


def impersonate(req: TxRequest) -> PendingTx:
    """A transaction from ``req.sender`` with a placeholder signature (r = the sender).

    The hash differs per sender, so two impersonated senders never collide.
    """
    r, s = int.from_bytes(req.sender, "big"), 1
    to = Address(req.to or b"")
    tx: SignedTransactionAPI
    if req.authorization_list:
        tx = BUILDER.new_set_code_transaction(
            req.chain_id, req.nonce, req.max_priority_fee_per_gas or 0, req.max_fee_per_gas or 0, req.gas, to,
            req.value, req.data, req.access_list, authorizations(req.authorization_list), 0, r, s,
        )
    elif req.gas_price is not None and req.access_list:  # as unsigned() does: type 1, not legacy
        tx = BUILDER.new_access_list_transaction(
            req.chain_id, req.nonce, req.gas_price, req.gas, to, req.value, req.data, req.access_list, 0, r, s
        )
    elif req.gas_price is not None:
        v = 35 + 2 * req.chain_id
        tx = BUILDER.new_transaction(req.nonce, req.gas_price, req.gas, to, req.value, req.data, v, r, s)
    else:
        tx = BUILDER.new_dynamic_fee_transaction(
            req.chain_id, req.nonce, req.max_priority_fee_per_gas or 0, req.max_fee_per_gas or 0,
            req.gas, to, req.value, req.data, req.access_list, 0, r, s,
        )
    return PendingTx(_prague(tx), req.sender, impersonated=True)
