"""RLP encoding of plain values (bytes, non-negative ints, lists of them), without rlp's sedes.

The ``rlp`` package infers a serializer for every value and validates it, which dominates
encoding small, hot structures: trie nodes, accounts, superblock hashes. These functions
give the same bytes as ``rlp.encode`` for those values (tests/chains/test_mpt.py checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

Item: TypeAlias = "bytes | int | Sequence[Item]"


def encode_bytes(b: bytes) -> bytes:
    n = len(b)
    if n == 1 and b[0] < 0x80:
        return b
    if n < 56:
        return bytes((0x80 + n,)) + b
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xB7 + len(ln),)) + ln + b


def encode_int(i: int) -> bytes:
    return encode_bytes(i.to_bytes((i.bit_length() + 7) // 8, "big"))


def wrap_list(payload: bytes) -> bytes:
    """The encoding of a list whose items' encodings, concatenated, are ``payload``."""
    n = len(payload)
    if n < 56:
        return bytes((0xC0 + n,)) + payload
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(ln),)) + ln + payload


def encode(item: Item) -> bytes:
    """rlp.encode(item) for bytes, non-negative ints and (nested) lists or tuples of them."""
    if isinstance(item, bytes):
        return encode_bytes(item)
    if isinstance(item, int):
        return encode_int(item)
    return wrap_list(b"".join(encode(x) for x in item))
