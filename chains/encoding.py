"""Encodings of block parts without rlp's per-field serializers: headers, receipts, the
transaction and receipt tries' roots, and created contracts' addresses. Each equals what
py-evm computes (tests/chains compares)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rlp
from eth.abc import BlockHeaderAPI, ReceiptAPI
from eth.vm.forks.berlin.receipts import TypedReceipt
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_typing import Hash32

from chains.deposits import DepositReceipt, DepositTx
from chains.engine import rlpfast
from chains.engine.hashing import keccak
from chains.engine.mpt import FastTrie


def contract_address_for(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


def store_header(chaindb: Any, header: BlockHeaderAPI) -> None:
    """Keep ``header`` where py-evm's chaindb looks it up by hash (BLOCKHASH, the previous
    hashes of the execution context), encoding it once for both the value and the hash."""
    encoded = encode_header(header)
    if header._hash is None:  # type: ignore[attr-defined]  # py-evm's cache of the hash
        header._hash = keccak(encoded)  # type: ignore[attr-defined]
    chaindb.db[header.hash] = encoded


HEADER_FIELDS = tuple(name for name, _ in PragueBlockHeader._meta.fields)
if HEADER_FIELDS[-1] != "requests_hash" or len(HEADER_FIELDS) != 21:  # child_header lists them in order
    raise ImportError(f"unexpected Prague header fields in this py-evm: {HEADER_FIELDS}")
_FIXED_WIDTH = {name: sedes.length for name, sedes in PragueBlockHeader._meta.fields if getattr(sedes, "length", None)}


_HEADER_ATTRS = tuple((attr, _FIXED_WIDTH.get(name)) for name, attr in
                      zip(HEADER_FIELDS, PragueBlockHeader._meta.field_attrs, strict=True))


def encode_header(header: BlockHeaderAPI) -> bytes:
    """rlp.encode(header) for a Prague header (every field an int or a byte string; the bloom
    an int of fixed width), without rlp's per-field serializers."""
    encode_bytes, encode_int, values = rlpfast.encode_bytes, rlpfast.encode_int, header.__dict__
    return rlpfast.wrap_list(b"".join([
        encode_bytes(value) if isinstance(value := values[attr], bytes)
        else encode_int(value) if width is None else encode_bytes(value.to_bytes(width, "big"))
        for attr, width in _HEADER_ATTRS
    ]))


def encode_receipt(receipt: ReceiptAPI) -> bytes:
    """receipt.encode() (EIP-2718 type byte, then rlp([status, cumulative gas, bloom, logs])),
    without rlp's serializers: the bloom is 256 bytes wide and each topic 32."""
    if isinstance(receipt, DepositReceipt):
        return receipt.encode()
    logs: list[rlpfast.Item] = [
        (log.address, tuple(topic.to_bytes(32, "big") for topic in log.topics), log.data) for log in receipt.logs]
    body = rlpfast.encode((receipt.state_root, receipt.gas_used, receipt.bloom.to_bytes(256, "big"), logs))
    return bytes((receipt.type_id,)) + body if isinstance(receipt, TypedReceipt) else body


def list_root(chaindb: Any, encoded: Sequence[bytes]) -> Hash32:
    """The root of a block's transaction or receipt trie (keys rlp(index)), its nodes kept in
    ``chaindb`` as py-evm's make_trie_root_and_nodes + persist_trie_data_dict keep them."""
    nodes: dict[bytes, bytes] = {}
    trie = FastTrie(nodes)
    for index, item in enumerate(encoded):
        trie[rlpfast.encode_int(index)] = item
    root = trie.root_hash
    db = chaindb.db  # what persist_trie_data_dict writes, without its atomic batch: the nodes are
    for key, value in nodes.items():  # content-addressed, so a half-written set harms nothing
        db[key] = value
    return Hash32(root)


def block_size(block: Any) -> int:
    """len(rlp.encode(block)) of a post-merge block (header, transactions, no uncles, no
    withdrawals), for blocks that hold deposits too (py-evm's block serializer knows no type
    0x7E): a typed transaction is its encoding as a byte string, a legacy one its rlp list."""
    txs = b"".join(rlpfast.encode_bytes(tx.encode()) if isinstance(tx, DepositTx) or tx.type_id is not None
                   else rlp.encode(tx) for tx in block.transactions)
    return len(rlpfast.wrap_list(encode_header(block.header) + rlpfast.wrap_list(txs) + b"\xc0\xc0"))
