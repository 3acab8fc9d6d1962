"""EIP-1186 account and storage proofs (``eth_getProof``), read from a chain's trie nodes.

A proof is the list of rlp-encoded trie nodes on a key's path from the state root, as geth's
``trie.Prove`` builds it: the root node, then every node its parent references by hash; a node
whose encoding is under 32 bytes sits inside its parent and is not listed on its own. A key
that is absent gets a proof of absence: the nodes down to where its path leaves the trie.

The nodes are read from the chain's database by hash, so the proof depends on nothing but the
state root: the fast engine (``FastTrie``) and stock py-evm (py-trie) store the same nodes under
the same roots, and give the same proofs. Nothing here writes.

The shape follows geth's ``eth_getProof`` (internal/ethapi): an absent account has nonce and
balance 0 and zero ``codeHash`` and ``storageHash``, and its storage keys (or any key of an
account with empty storage) come back with value 0 and an empty proof. A storage key given as
32 bytes is answered as a 32-byte hash, a shorter one as a quantity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rlp
from eth_utils import keccak

from chains.errors import BlockNotFound, InvalidInput

if TYPE_CHECKING:
    from chains.rollup import BlockRef, RollupChain

BLANK_ROOT = keccak(b"\x80")
ZERO_HASH = b"\x00" * 32
MAX_STORAGE_KEYS = 1024  # one request's keys; each is a walk down the storage trie


@dataclass(frozen=True)
class StorageKey:
    """A storage slot, and whether the caller wrote it as a 32-byte hash (geth echoes the key
    in the form it was given)."""

    slot: int
    as_hash: bool = True


@dataclass(frozen=True)
class StorageProof:
    key: StorageKey
    value: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class AccountProof:
    """``state_root``: the root every proof in ``account_proof`` leads from."""

    address: bytes
    state_root: bytes
    account_proof: tuple[bytes, ...]
    nonce: int
    balance: int
    code_hash: bytes
    storage_hash: bytes
    storage_proof: tuple[StorageProof, ...]


def parse_storage_key(text: str) -> StorageKey:
    """A storage key as geth's ``decodeHash`` reads it: hex, ``0x`` optional, odd length
    allowed, at most 32 bytes. Raises InvalidInput."""
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if len(digits) & 1:
        digits = "0" + digits
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise InvalidInput(f"storage key {text!r}: hex string invalid") from None
    if len(raw) > 32:
        raise InvalidInput(f"storage key {text!r}: hex string too long, want at most 32 bytes")
    return StorageKey(int.from_bytes(raw, "big"), len(raw) == 32)


def trie_proof(db: Any, root: bytes, key: bytes) -> tuple[tuple[bytes, ...], bytes]:
    """The proof of ``key`` (already hashed, as the secure tries key it) in the trie at
    ``root`` and the value stored under it (b"" when absent). ``db`` maps node hashes to node
    encodings. Raises BlockNotFound when a node on the path is not in ``db`` (that state is
    not kept)."""
    if root == BLANK_ROOT:
        return (), b""
    path = key.hex()
    proof: list[bytes] = []
    ref: bytes | list[Any] = root
    while True:
        if isinstance(ref, bytes):
            if not ref:  # an empty branch slot: the path leaves the trie here
                return tuple(proof), b""
            try:
                encoded = bytes(db[ref])
            except KeyError:
                raise BlockNotFound(f"state 0x{root.hex()} is not available: trie node 0x{ref.hex()} is missing") from None
            proof.append(encoded)
            node = rlp.decode(encoded)
        else:  # a node under 32 bytes, embedded in its parent
            node = ref
        if len(node) == 17:
            if not path:
                return tuple(proof), bytes(node[16])
            ref, path = node[int(path[0], 16)], path[1:]
            continue
        prefix = node[0].hex()
        flag = int(prefix[0], 16)
        node_path = prefix[1:] if flag & 1 else prefix[2:]
        if flag & 2:  # a leaf
            return tuple(proof), bytes(node[1]) if node_path == path else b""
        if not path.startswith(node_path):
            return tuple(proof), b""
        ref, path = node[1], path[len(node_path):]


def state_root_at(chain: RollupChain, ref: BlockRef) -> bytes:
    """The state root that reads at ``ref`` see: the block's, or at the head the head state
    (which a dev method may have edited since the block). Raises BlockNotFound."""
    block = chain.block(ref)
    return chain.head_state_root if block is chain.head else bytes(block.header.state_root)


def get_proof(chain: RollupChain, ref: BlockRef, address: bytes, keys: Sequence[StorageKey]) -> AccountProof:
    """EIP-1186: the proof of ``address`` and of its ``keys`` at block ``ref``.
    Raises BlockNotFound, InvalidInput (too many keys)."""
    if len(keys) > MAX_STORAGE_KEYS:
        raise InvalidInput(f"too many storage keys: {len(keys)}, at most {MAX_STORAGE_KEYS}")
    db = chain.evm.chaindb.db
    root = state_root_at(chain, ref)
    account_proof, encoded = trie_proof(db, root, keccak(address))
    if not encoded:
        empty = tuple(StorageProof(key, 0, ()) for key in keys)
        return AccountProof(address, root, account_proof, 0, 0, ZERO_HASH, ZERO_HASH, empty)
    nonce, balance, storage_root, code_hash = rlp.decode(encoded)
    storage = []
    for key in keys:
        proof, value = trie_proof(db, bytes(storage_root), keccak(key.slot.to_bytes(32, "big")))
        storage.append(StorageProof(key, int.from_bytes(rlp.decode(value), "big") if value else 0, proof))
    return AccountProof(address, root, account_proof, int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"),
                        bytes(code_hash), bytes(storage_root), tuple(storage))


def proof_json(proof: AccountProof) -> dict[str, Any]:
    """``proof`` in geth's ``eth_getProof`` JSON shape."""
    return {
        "address": "0x" + proof.address.hex(),
        "accountProof": ["0x" + node.hex() for node in proof.account_proof],
        "balance": hex(proof.balance),
        "codeHash": "0x" + proof.code_hash.hex(),
        "nonce": hex(proof.nonce),
        "storageHash": "0x" + proof.storage_hash.hex(),
        "storageProof": [
            {
                "key": "0x" + s.key.slot.to_bytes(32, "big").hex() if s.key.as_hash else hex(s.key.slot),
                "value": hex(s.value),
                "proof": ["0x" + node.hex() for node in s.proof],
            }
            for s in proof.storage_proof
        ],
    }


__all__ = ["AccountProof", "StorageKey", "StorageProof", "get_proof", "parse_storage_key", "proof_json",
           "state_root_at", "trie_proof"]
