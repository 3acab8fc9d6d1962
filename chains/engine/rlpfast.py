"""RLP encoding of plain values (bytes, non-negative ints, lists of them), without rlp's sedes,
and ``rlp.Serializable`` objects built from known-good field values without rlp's checks.

The ``rlp`` package infers a serializer for every value and validates it, which dominates
encoding small, hot structures: trie nodes, accounts, superblock hashes. These functions
give the same bytes as ``rlp.encode`` for those values (tests/chains/test_mpt.py checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, TypeVar

from rlp import Serializable

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


S = TypeVar("S", bound=Serializable)


def construct(cls: Any, values: Sequence[Any]) -> Any:
    """``cls(*values)`` for an ``rlp.Serializable`` (its fields' values, in order), without
    ``__init__``: rlp merges keyword arguments and checks them there, which costs more than
    building a block's header. For values this code made or rlp deserialized, of the fields'
    types (tuples, not lists); encoding still checks them against the fields' serializers.
    ``cls`` is typed Any because py-evm's classes are abstract to mypy. Raises ValueError
    for a wrong number of values."""
    obj = object.__new__(cls)
    obj.__dict__.update(zip(cls._meta.field_attrs, values, strict=True))
    return obj


def replace(obj: S, **changes: Any) -> S:
    """``obj.copy(**changes)`` without rlp's deep copies and checks (field values are
    immutable: ints, bytes and tuples). Raises TypeError for a name that is not a field."""
    meta = type(obj)._meta
    unknown = changes.keys() - set(meta.field_names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {sorted(unknown)}")
    new: S = construct(type(obj), [changes.get(name, getattr(obj, attr))
                                  for name, attr in zip(meta.field_names, meta.field_attrs, strict=True)])
    return new
