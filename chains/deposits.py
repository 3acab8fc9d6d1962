"""OP's deposit transaction (EIP-2718 type 0x7E): its fields, encoding, hash and source hash,
and the deposit a ``TransactionDeposited`` log of an OptimismPortal stands for.

As OP's specs (protocol/deposits.md) and op-geth (core/types/deposit_tx.go) define it:
``0x7E ++ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])``, ``to`` the empty
string for a contract creation, the hash the keccak of those bytes. A user deposit's source
hash is ``keccak256(uint256(0) ++ keccak256(l1BlockHash ++ uint256(logIndex)))``
(op-node/rollup/derive/deposit_source.go), and ``deposit_from_log`` reads a log as op-node's
``UnmarshalDepositLogEvent`` (deposit_log.go) does, refusing what it refuses.

``DepositTx`` is the face a deposit shows to the code that handles signed transactions (the
block, the indexes, the views, the tracers): the same attribute names, no signature, a gas
price of 0. ``DepositReceipt`` is its receipt, with Canyon's ``depositNonce`` and
``depositReceiptVersion`` in its encoding. Execution is ``chains/deposit_exec.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import rlp
from eth.abc import LogAPI, SignedTransactionAPI
from eth.rlp.receipts import Receipt
from eth_typing import Address

from chains.block import PendingTx
from chains.engine import rlpfast
from chains.engine.hashing import keccak
from chains.errors import InvalidInput

DEPOSIT_TX_TYPE = 0x7E
DEPOSIT_RECEIPT_VERSION = 1  # Canyon's
USER_DEPOSIT_DOMAIN = 0
# keccak256("TransactionDeposited(address,address,uint256,bytes)")
TRANSACTION_DEPOSITED = keccak(b"TransactionDeposited(address,address,uint256,bytes)")
DEPOSIT_VERSION_0 = b"\x00" * 32
_MAX_U256 = 2**256 - 1
_MAX_U64 = 2**64 - 1


@dataclass(frozen=True)
class Deposit:
    """One deposit transaction. ``to`` None: a contract creation."""

    source_hash: bytes
    sender: bytes  # OP's ``from``
    to: bytes | None
    mint: int
    value: int
    gas: int
    is_system_tx: bool
    data: bytes

    def __post_init__(self) -> None:
        """Raises InvalidInput for a field out of its type's range."""
        if len(self.source_hash) != 32:
            raise InvalidInput("deposit sourceHash must be 32 bytes")
        if len(self.sender) != 20 or (self.to is not None and len(self.to) != 20):
            raise InvalidInput("deposit from and to must be 20-byte addresses")
        if not (0 <= self.mint <= _MAX_U256 and 0 <= self.value <= _MAX_U256):
            raise InvalidInput("deposit mint and value must be uint256")
        if not 0 <= self.gas <= _MAX_U64:
            raise InvalidInput("deposit gas must be uint64")

    def encode(self) -> bytes:
        """``0x7E ++ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])``."""
        return bytes((DEPOSIT_TX_TYPE,)) + rlpfast.encode((
            self.source_hash, self.sender, self.to or b"", self.mint, self.value, self.gas,
            1 if self.is_system_tx else 0, self.data))

    @cached_property
    def hash(self) -> bytes:
        return keccak(self.encode())


def decode_deposit(raw: bytes) -> Deposit:
    """The deposit ``raw`` encodes (``Deposit.encode``). Raises InvalidInput."""
    if raw[:1] != bytes((DEPOSIT_TX_TYPE,)):
        raise InvalidInput("not a deposit transaction (type 0x7e)")
    try:
        fields = rlp.decode(raw[1:])
    except rlp.DecodingError as exc:
        raise InvalidInput(f"bad deposit transaction rlp: {exc}") from None
    if not isinstance(fields, list) or len(fields) != 8 or not all(isinstance(f, bytes) for f in fields):
        raise InvalidInput("a deposit transaction is a list of 8 byte strings")
    source, sender, to, mint, value, gas, system, data = fields
    if system not in (b"", b"\x01"):
        raise InvalidInput("deposit isSystemTx must be 0 or 1")
    for number in (mint, value, gas):
        if number[:1] == b"\x00":
            raise InvalidInput("deposit integers must have no leading zero bytes")
    return Deposit(source, sender, to or None, int.from_bytes(mint, "big"), int.from_bytes(value, "big"),
                   int.from_bytes(gas, "big"), system == b"\x01", data)


def user_deposit_source_hash(l1_block_hash: bytes, log_index: int) -> bytes:
    """``keccak256(uint256(0) ++ keccak256(l1BlockHash ++ uint256(logIndex)))``."""
    deposit_id = keccak(l1_block_hash + log_index.to_bytes(32, "big"))
    return keccak(USER_DEPOSIT_DOMAIN.to_bytes(32, "big") + deposit_id)


def deposit_from_log(topics: tuple[bytes, ...] | list[bytes], data: bytes, l1_block_hash: bytes,
                     log_index: int) -> Deposit:
    """The deposit an OptimismPortal's ``TransactionDeposited(address indexed from, address
    indexed to, uint256 indexed version, bytes opaqueData)`` log stands for, its opaque data
    being ``abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation,
    bytes data)``; ``log_index`` is the log's index among all logs of its L1 block. The checks
    are op-node's. Raises InvalidInput."""
    if len(topics) != 4:
        raise InvalidInput(f"expected 4 event topics, got {len(topics)}")
    if bytes(topics[0]) != TRANSACTION_DEPOSITED:
        raise InvalidInput("not a TransactionDeposited log")
    if len(data) < 64 or len(data) % 32:
        raise InvalidInput(f"bad opaqueData encoding ({len(data)} bytes)")
    if int.from_bytes(data[:32], "big") != 32:
        raise InvalidInput("bad opaqueData offset")
    length = int.from_bytes(data[32:64], "big")
    if length > len(data) - 64 or length + 32 <= len(data) - 64:
        raise InvalidInput(f"bad opaqueData length {length}")
    if bytes(topics[3]) != DEPOSIT_VERSION_0:
        raise InvalidInput(f"unknown deposit version 0x{bytes(topics[3]).hex()}")
    opaque = data[64:64 + length]
    if len(opaque) < 32 + 32 + 8 + 1:
        raise InvalidInput(f"opaqueData too short ({len(opaque)} bytes)")
    mint = int.from_bytes(opaque[:32], "big")
    value = int.from_bytes(opaque[32:64], "big")
    gas = int.from_bytes(opaque[64:72], "big")
    is_creation = opaque[72] != 0
    to = None if is_creation else bytes(topics[2])[12:]
    return Deposit(user_deposit_source_hash(l1_block_hash, log_index), bytes(topics[1])[12:], to, mint, value,
                   gas, False, bytes(opaque[73:]))


class DepositTx:
    """A deposit as the code around signed transactions reads one: py-evm's attribute names
    (``to`` the empty string for a creation, as py-evm's CREATE_CONTRACT_ADDRESS), no
    signature (v, r, s and y_parity 0), no fee fields (all 0: a deposit buys its gas on L1)."""

    type_id = DEPOSIT_TX_TYPE
    nonce = 0  # a deposit has none; views show the receipt's depositNonce
    gas_price = 0
    max_fee_per_gas = 0
    max_priority_fee_per_gas = 0
    max_fee_per_blob_gas = 0
    access_list: tuple[()] = ()
    authorization_list: tuple[()] = ()
    blob_versioned_hashes: tuple[()] = ()
    y_parity = r = s = v = 0

    def __init__(self, deposit: Deposit) -> None:
        self.deposit = deposit
        self.sender = deposit.sender
        self.to = deposit.to or b""
        self.value = deposit.value
        self.data = deposit.data
        self.gas = deposit.gas

    def encode(self) -> bytes:
        return self.deposit.encode()

    @property
    def hash(self) -> bytes:
        return self.deposit.hash

    @cached_property
    def intrinsic_gas(self) -> int:
        """An EIP-1559 transaction's with the same recipient and data (OP meters intrinsic
        gas as for any transaction)."""
        from chains.txbuild import BUILDER  # txbuild imports chains.block, which imports this module

        probe = BUILDER.new_dynamic_fee_transaction(0, 0, 0, 0, self.gas, Address(self.to), self.value, self.data, (), 0, 1, 1)
        return int(probe.intrinsic_gas)

    def __repr__(self) -> str:
        return f"DepositTx(0x{self.hash.hex()})"


def as_pending(deposit: Deposit) -> PendingTx:
    """The deposit as blocks, indexes and views take a transaction (``pending.tx`` a ``DepositTx``)."""
    return PendingTx(cast(SignedTransactionAPI, DepositTx(deposit)), deposit.sender)


class DepositReceipt:
    """A deposit's receipt: the fields of any receipt (``inner``: py-evm's, which also
    computes the bloom) plus ``deposit_nonce`` (the sender's nonce before it ran) and
    Canyon's ``deposit_receipt_version``, both in its encoding:
    ``0x7E ++ rlp([status, cumulativeGasUsed, bloom, logs, depositNonce, depositReceiptVersion])``."""

    type_id = DEPOSIT_TX_TYPE

    def __init__(self, success: bool, cumulative_gas: int, logs: tuple[LogAPI, ...], deposit_nonce: int) -> None:
        self.inner = Receipt(b"\x01" if success else b"", cumulative_gas, cast(Any, logs))
        self.deposit_nonce = deposit_nonce
        self.deposit_receipt_version = DEPOSIT_RECEIPT_VERSION

    @property
    def state_root(self) -> bytes:
        return bytes(self.inner.state_root)

    @property
    def gas_used(self) -> int:
        return int(self.inner.gas_used)

    @property
    def bloom(self) -> int:
        return int(self.inner.bloom)

    @property
    def logs(self) -> tuple[LogAPI, ...]:
        return tuple(self.inner.logs)

    def encode(self) -> bytes:
        logs = [(log.address, tuple(t.to_bytes(32, "big") for t in log.topics), log.data) for log in self.logs]
        return bytes((DEPOSIT_TX_TYPE,)) + rlpfast.encode((
            self.state_root, self.gas_used, self.bloom.to_bytes(256, "big"), logs, self.deposit_nonce,
            self.deposit_receipt_version))


L1_BLOCK = bytes.fromhex("4200000000000000000000000000000000000015")


@dataclass(frozen=True)
class L1Origin:
    """The L1 block a rollup block knows of, as OP's L1Block predeploy holds it (the fields
    Ecotone's ``setL1BlockValuesEcotone`` sets). Raises InvalidInput for a field out of range."""

    number: int
    timestamp: int
    basefee: int
    hash: bytes
    sequence_number: int = 0
    blob_base_fee: int = 1
    batcher_hash: bytes = b"\x00" * 32
    base_fee_scalar: int = 0
    blob_base_fee_scalar: int = 0

    def __post_init__(self) -> None:
        if len(self.hash) != 32 or len(self.batcher_hash) != 32:
            raise InvalidInput("L1 origin hash and batcherHash must be 32 bytes")
        for name, value, bits in (("number", self.number, 64), ("timestamp", self.timestamp, 64),
                                  ("sequenceNumber", self.sequence_number, 64), ("basefee", self.basefee, 256),
                                  ("blobBaseFee", self.blob_base_fee, 256), ("baseFeeScalar", self.base_fee_scalar, 32),
                                  ("blobBaseFeeScalar", self.blob_base_fee_scalar, 32)):
            if not 0 <= value < 2**bits:
                raise InvalidInput(f"L1 origin {name} must be a uint{bits}")

    def slots(self) -> dict[int, int]:
        """L1Block's storage slots (bridge_contracts/src/settlement/L1Block.sol): 0 number |
        timestamp << 64; 1 basefee; 2 hash; 3 sequenceNumber | blobBaseFeeScalar << 64 |
        baseFeeScalar << 96; 4 batcherHash; 7 blobBaseFee."""
        return {
            0: self.number | self.timestamp << 64,
            1: self.basefee,
            2: int.from_bytes(self.hash, "big"),
            3: self.sequence_number | self.blob_base_fee_scalar << 64 | self.base_fee_scalar << 96,
            4: int.from_bytes(self.batcher_hash, "big"),
            7: self.blob_base_fee,
        }

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "timestamp": self.timestamp, "basefee": self.basefee,
                "hash": "0x" + self.hash.hex(), "sequenceNumber": self.sequence_number,
                "blobBaseFee": self.blob_base_fee, "batcherHash": "0x" + self.batcher_hash.hex(),
                "baseFeeScalar": self.base_fee_scalar, "blobBaseFeeScalar": self.blob_base_fee_scalar}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> L1Origin:
        """Raises InvalidInput for a malformed object."""
        try:
            return cls(int(obj["number"]), int(obj["timestamp"]), int(obj["basefee"]),
                       bytes.fromhex(str(obj["hash"]).removeprefix("0x")), int(obj["sequenceNumber"]),
                       int(obj["blobBaseFee"]), bytes.fromhex(str(obj["batcherHash"]).removeprefix("0x")),
                       int(obj["baseFeeScalar"]), int(obj["blobBaseFeeScalar"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"malformed L1 origin: {exc}") from None


def write_l1_origin(account_db: Any, origin: L1Origin) -> bytes:
    """Write ``origin`` into L1Block's storage in ``account_db`` (a py-evm account database
    open at some root) and persist it. Returns the new state root."""
    for slot, value in origin.slots().items():
        account_db.set_storage(L1_BLOCK, slot, value)
    account_db.persist()
    return bytes(account_db.state_root)
