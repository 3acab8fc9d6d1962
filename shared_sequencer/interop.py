"""OP interop executing messages: CrossL2Inbox access lists, and their check against real logs.

An executing message names a log on a chain of the devnet (the initiating message) by its
``Identifier`` (origin, block number, log index, block timestamp, chain id) and the hash of
its payload (topics ++ data). As on OP, the transaction declares it in its EIP-2930 access
list for CrossL2Inbox (0x4200000000000000000000000000000000000022), and the contract's
``validateMessage(id, msgHash)`` only checks that the declared checksum slot is warm. What
makes a declared message true is the sequencer: it refuses at submission a transaction whose
access list names a log that does not exist with exactly that identifier and payload
(``check_transaction``), as OP's sequencer does through its supervisor.

Access-list entries for CrossL2Inbox, as OP encodes them (op-geth, @eth-optimism/viem):

- lookup entry, type 1: ``0x01 ++ 3 zero bytes ++ uint64 chainId (low 64 bits) ++
  uint64 blockNumber ++ uint64 timestamp ++ uint32 logIndex``;
- chain-id extension, type 2 (only when the chain id does not fit in 64 bits): ``0x02 ++
  7 zero bytes ++ the upper 24 bytes of the 32-byte chain id``;
- checksum, type 3: ``CrossL2Inbox.calculateChecksum(id, msgHash)``, which binds the origin
  and the payload hash to the fields of the lookup entry.

Plain functions; the caller supplies the source chains' blocks through ``BlockLookup``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_typing import Address
from eth_utils import keccak

import bridge_contracts
from chains.block import PendingTx
from chains.errors import BlockNotFound, InvalidExecutingMessage, UnknownChain
from chains.mailbox import MESSENGER, RELAY_IDENTIFIER, RELAY_MESSAGE
from chains.rollup import LogRecord, MinedBlock

CROSS_L2_INBOX = bytes.fromhex(bridge_contracts.CROSS_L2_INBOX_ADDRESS.removeprefix("0x"))

LOOKUP_TYPE, CHAIN_ID_EXTENSION_TYPE, CHECKSUM_TYPE = 1, 2, 3
MAX_UINT64 = 2**64 - 1
MAX_UINT32 = 2**32 - 1

BlockLookup = Callable[[int, int], MinedBlock]
"""(chain id, block number) -> that committed block. Raises UnknownChain or BlockNotFound."""


@dataclass(frozen=True)
class Identifier:
    """OP's ``ICrossL2Inbox.Identifier`` of a log."""

    origin: bytes
    block_number: int
    log_index: int
    timestamp: int
    chain_id: int

    def as_abi(self) -> tuple[str, int, int, int, int]:
        """The tuple eth_abi encodes as ``(address,uint256,uint256,uint256,uint256)``."""
        return ("0x" + self.origin.hex(), self.block_number, self.log_index, self.timestamp, self.chain_id)


@dataclass(frozen=True)
class DeclaredMessage:
    """One executing message as an access list declares it (the origin and the payload hash
    are only known through ``checksum``)."""

    chain_id: int
    block_number: int
    timestamp: int
    log_index: int
    checksum: bytes


def payload_of(log: LogRecord) -> bytes:
    """The message payload of a log: its topics concatenated, then its data."""
    return b"".join(log.topics) + log.data


def checksum(ident: Identifier, payload_hash: bytes) -> bytes:
    """``CrossL2Inbox.calculateChecksum(ident, payload_hash)``. Raises ValueError for a field
    too large for its packed width (the contract reverts BlockNumberTooHigh/...)."""
    _check_widths(ident)
    log_hash = keccak(ident.origin + payload_hash)
    id_packed = (b"\x00" * 12 + ident.block_number.to_bytes(8, "big") + ident.timestamp.to_bytes(8, "big")
                 + ident.log_index.to_bytes(4, "big"))
    id_log_hash = keccak(log_hash + id_packed)
    bare = keccak(id_log_hash + ident.chain_id.to_bytes(32, "big"))
    return bytes([CHECKSUM_TYPE]) + bare[1:]


def lookup_entry(ident: Identifier) -> bytes:
    """The type-1 access-list entry of ``ident``. Raises ValueError as ``checksum``."""
    _check_widths(ident)
    return (bytes([LOOKUP_TYPE]) + b"\x00" * 3 + (ident.chain_id & MAX_UINT64).to_bytes(8, "big")
            + ident.block_number.to_bytes(8, "big") + ident.timestamp.to_bytes(8, "big")
            + ident.log_index.to_bytes(4, "big"))


def chain_id_extension_entry(chain_id: int) -> bytes:
    """The type-2 entry carrying the upper 24 bytes of a chain id wider than 64 bits."""
    return bytes([CHAIN_ID_EXTENSION_TYPE]) + b"\x00" * 7 + chain_id.to_bytes(32, "big")[:24]


def storage_keys(ident: Identifier, payload: bytes) -> tuple[bytes, ...]:
    """The CrossL2Inbox storage keys that declare the executing message (``ident``, ``payload``),
    in OP's order. Raises ValueError as ``checksum``."""
    keys = [lookup_entry(ident)]
    if ident.chain_id > MAX_UINT64:
        keys.append(chain_id_extension_entry(ident.chain_id))
    keys.append(checksum(ident, keccak(payload)))
    return tuple(keys)


def access_list(ident: Identifier, payload: bytes) -> tuple[tuple[Address, tuple[int, ...]], ...]:
    """The EIP-2930 access list declaring the executing message, as py-evm takes it."""
    slots = tuple(int.from_bytes(k, "big") for k in storage_keys(ident, payload))
    return ((Address(CROSS_L2_INBOX), slots),)


def declared_messages(entries: Iterable[tuple[bytes, Sequence[int]]]) -> list[DeclaredMessage]:
    """The executing messages that an access list declares for CrossL2Inbox.

    ``entries`` are (address, storage slots) pairs; other addresses are ignored. Raises
    InvalidExecutingMessage (field ``access list``) for keys that do not follow OP's
    encoding: a checksum without its lookup entry, a lookup entry without its checksum, an
    extension out of place, a key of no known type.
    """
    out: list[DeclaredMessage] = []
    for address, slots in entries:
        if bytes(address) != CROSS_L2_INBOX:
            continue
        pending: DeclaredMessage | None = None  # a lookup entry waiting for its checksum
        extended = False
        for slot in slots:
            key = int(slot).to_bytes(32, "big")
            if key[0] == LOOKUP_TYPE and pending is None and key[1:4] == b"\x00" * 3:
                pending = DeclaredMessage(int.from_bytes(key[4:12], "big"), int.from_bytes(key[12:20], "big"),
                                          int.from_bytes(key[20:28], "big"), int.from_bytes(key[28:32], "big"), b"")
                extended = False
            elif key[0] == CHAIN_ID_EXTENSION_TYPE and pending is not None and not extended \
                    and key[1:8] == b"\x00" * 7:
                chain_id = (int.from_bytes(key[8:32], "big") << 64) | pending.chain_id
                pending = replace(pending, chain_id=chain_id)
                extended = True
            elif key[0] == CHECKSUM_TYPE and pending is not None:
                out.append(replace(pending, checksum=key))
                pending = None
            else:
                raise InvalidExecutingMessage(
                    "access list", f"invalid executing message: malformed CrossL2Inbox access-list key 0x{key.hex()}")
        if pending is not None:
            raise InvalidExecutingMessage(
                "access list", "invalid executing message: a CrossL2Inbox lookup entry without its checksum")
    return out


def check_identifier(ident: Identifier, payload_hash: bytes, lookup: BlockLookup) -> LogRecord:
    """The log that (``ident``, ``payload_hash``) names, checked field by field.

    Raises InvalidExecutingMessage whose ``field`` is the first that does not match: ``chain
    id`` (no such chain), ``block number`` (no such block yet), ``timestamp``, ``log index``
    (no such log in that block), ``origin`` (the log was emitted by another address),
    ``payload hash``.
    """
    try:
        _check_widths(ident)
    except ValueError as exc:
        raise InvalidExecutingMessage("identifier", f"invalid executing message: {exc}") from exc
    block = _block(ident.chain_id, ident.block_number, lookup)
    _check_timestamp(block, ident.chain_id, ident.timestamp)
    log = _log_at(block, ident.chain_id, ident.log_index)
    where = f"log {ident.log_index} of block {ident.block_number} on chain {ident.chain_id}"
    if log.address != ident.origin:
        raise InvalidExecutingMessage(
            "origin", f"invalid executing message: origin mismatch: {where} was emitted by "
                      f"0x{log.address.hex()}, not 0x{ident.origin.hex()}")
    actual = keccak(payload_of(log))
    if actual != payload_hash:
        raise InvalidExecutingMessage(
            "payload hash", f"invalid executing message: payload hash mismatch: {where} has payload hash "
                            f"0x{actual.hex()}, not 0x{payload_hash.hex()}")
    return log


def check_declared(declared: DeclaredMessage, lookup: BlockLookup) -> LogRecord:
    """The log that an access-list declaration names. Raises InvalidExecutingMessage as
    ``check_identifier``; a checksum that does not match the log's origin and payload gives
    the field ``origin or payload hash`` (the access list does not tell them apart)."""
    block = _block(declared.chain_id, declared.block_number, lookup)
    _check_timestamp(block, declared.chain_id, declared.timestamp)
    log = _log_at(block, declared.chain_id, declared.log_index)
    ident = Identifier(log.address, declared.block_number, declared.log_index, declared.timestamp, declared.chain_id)
    if checksum(ident, keccak(payload_of(log))) != declared.checksum:
        raise InvalidExecutingMessage(
            "origin or payload hash",
            f"invalid executing message: origin or payload hash mismatch: the CrossL2Inbox checksum "
            f"0x{declared.checksum.hex()} does not match log {declared.log_index} of block "
            f"{declared.block_number} on chain {declared.chain_id} (origin 0x{log.address.hex()})")
    return log


def relay_identifier(to: bytes | None, data: bytes) -> tuple[Identifier, bytes] | None:
    """(identifier, payload) of a call to ``L2ToL2CrossDomainMessenger.relayMessage``, or None
    for any other call (or calldata that does not decode)."""
    if to is None or bytes(to) != MESSENGER or data[:4] != RELAY_MESSAGE:
        return None
    try:
        (origin, number, log_index, timestamp, chain_id), payload = decode([RELAY_IDENTIFIER, "bytes"], data[4:])
    except (DecodingError, ValueError, OverflowError):
        return None
    return Identifier(bytes.fromhex(origin[2:]), number, log_index, timestamp, chain_id), bytes(payload)


def check_transaction(to: bytes | None, data: bytes, entries: Iterable[tuple[bytes, Sequence[int]]],
                      lookup: BlockLookup) -> None:
    """Admission check of a transaction's executing messages (what the sequencer runs before
    pooling a transaction; a transaction that declares none passes untouched).

    A direct ``relayMessage`` call is first checked field by field (``check_identifier``,
    exact field in the error); then every message declared in the access list for
    CrossL2Inbox must name a real log (``check_declared``). Raises InvalidExecutingMessage.
    """
    relay = relay_identifier(to, data)
    declared = declared_messages(entries)
    if relay is not None and declared:
        ident, payload = relay
        check_identifier(ident, keccak(payload), lookup)
    for message in declared:
        check_declared(message, lookup)


def check_pending(pending: PendingTx, lookup: BlockLookup) -> None:
    """``check_transaction`` of a transaction submitted to the sequencer (a legacy transaction
    has an empty access list and passes). Raises InvalidExecutingMessage."""
    to = bytes(pending.tx.to) or None
    check_transaction(to, bytes(pending.tx.data), pending.tx.access_list, lookup)


def _check_widths(ident: Identifier) -> None:
    if ident.block_number > MAX_UINT64:
        raise ValueError(f"block number {ident.block_number} does not fit in 64 bits")
    if ident.log_index > MAX_UINT32:
        raise ValueError(f"log index {ident.log_index} does not fit in 32 bits")
    if ident.timestamp > MAX_UINT64:
        raise ValueError(f"timestamp {ident.timestamp} does not fit in 64 bits")


def _block(chain_id: int, number: int, lookup: BlockLookup) -> MinedBlock:
    try:
        return lookup(chain_id, number)
    except UnknownChain as exc:
        raise InvalidExecutingMessage(
            "chain id", f"invalid executing message: chain id {chain_id} is not a chain of this devnet") from exc
    except BlockNotFound as exc:
        raise InvalidExecutingMessage(
            "block number", f"invalid executing message: block {number} does not exist on chain {chain_id}") from exc


def _check_timestamp(block: MinedBlock, chain_id: int, timestamp: int) -> None:
    actual = int(block.header.timestamp)
    if actual != timestamp:
        raise InvalidExecutingMessage(
            "timestamp", f"invalid executing message: timestamp mismatch: block {block.number} on chain "
                         f"{chain_id} has timestamp {actual}, not {timestamp}")


def _log_at(block: MinedBlock, chain_id: int, log_index: int) -> LogRecord:
    for log in block.logs:
        if log.log_index == log_index:
            return log
    raise InvalidExecutingMessage(
        "log index", f"invalid executing message: block {block.number} on chain {chain_id} has no log {log_index}")
