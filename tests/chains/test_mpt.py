"""chains.mpt.FastTrie against py-trie's HexaryTrie: the same roots, the same stored nodes."""

from __future__ import annotations

import pytest
import rlp
from eth.db.atomic import AtomicDB
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie.hexary import HexaryTrie

from chains.engine import rlpfast
from chains.engine.mpt import BLANK_ROOT, FastTrie

# Short keys make shared prefixes, extensions and values on branches common; hashed 32-byte
# keys are what the state uses.
keys = st.one_of(st.binary(min_size=0, max_size=3), st.binary(min_size=32, max_size=32))
values = st.one_of(st.just(b""), st.binary(min_size=1, max_size=40))
ops = st.lists(st.tuples(keys, values), min_size=1, max_size=60)


def _reference(ops: list[tuple[bytes, bytes]]) -> list[bytes]:
    trie = HexaryTrie(AtomicDB())
    roots = []
    for key, value in ops:
        if value:
            trie[key] = value
        elif key in trie:
            del trie[key]
        roots.append(trie.root_hash)
    return roots


@settings(max_examples=300, deadline=None)
@given(ops)
def test_roots_match_py_trie_after_every_operation(ops: list[tuple[bytes, bytes]]) -> None:
    db = AtomicDB()
    fast = FastTrie(db)
    model: dict[bytes, bytes] = {}
    for (key, value), expected in zip(ops, _reference(ops), strict=True):
        if value:
            fast[key] = value
            model[key] = value
        else:
            del fast[key]
            model.pop(key, None)
        assert fast.root_hash == expected
        # what it stored is enough for py-trie to read every key back at that root
        reader = HexaryTrie(db, fast.root_hash)
        for k, v in model.items():
            assert reader[k] == v
            assert fast[k] == v


@settings(max_examples=100, deadline=None)
@given(ops, ops)
def test_a_trie_reopened_from_its_root_goes_on_identically(first: list, second: list) -> None:
    db = AtomicDB()
    fast = FastTrie(db)
    for key, value in first:
        fast[key] = value
    reopened = FastTrie(db, fast.root_hash)
    reference = HexaryTrie(AtomicDB())
    for key, value in first + second:
        if value:
            reference[key] = value
        elif key in reference:
            del reference[key]
    for key, value in second:
        reopened[key] = value
    assert reopened.root_hash == reference.root_hash


def test_blank_and_missing() -> None:
    db = AtomicDB()
    fast = FastTrie(db)
    assert fast.root_hash == BLANK_ROOT == HexaryTrie(AtomicDB()).root_hash
    assert fast[b"nope"] == b""
    fast[keccak(b"a")] = b"x"
    fast[keccak(b"a")] = b""  # setting empty deletes, as in py-trie
    assert fast.root_hash == BLANK_ROOT


def test_squash_changes_reverts_on_error() -> None:
    fast = FastTrie(AtomicDB())
    fast[b"k"] = b"v"
    before = fast.root_hash
    with pytest.raises(RuntimeError), fast.squash_changes() as trie:
        trie[b"k2"] = b"v2"
        raise RuntimeError("boom")
    assert fast.root_hash == before and fast[b"k2"] == b""


rlp_items = st.recursive(st.one_of(st.binary(max_size=70), st.integers(min_value=0, max_value=2**300)),
                         lambda children: st.lists(children, max_size=6), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(rlp_items)
def test_rlpfast_encodes_as_rlp_does(item: object) -> None:
    assert rlpfast.encode(item) == rlp.encode(item)  # type: ignore[arg-type]
