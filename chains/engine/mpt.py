"""A hexary Merkle Patricia trie with immutable, shared nodes: py-trie's HexaryTrie, faster.

py-evm keeps the state (accounts and each contract's storage) in py-trie's ``HexaryTrie``,
which stores every node rlp-encoded in the database and decodes, mutates and re-encodes the
nodes on a key's path for every read and write. Per block that was most of the sealing time.

``FastTrie`` keeps decoded nodes as small immutable objects, shared by every trie of the
process through a cache keyed by node hash (content addressing makes sharing safe): a write
builds new nodes along one path and reuses the rest, a node's encoding and hash are computed
once, and only nodes not yet stored are written to the database, when the root hash is asked
for. The database holds exactly the nodes py-trie would write (keyed by the hash of their
rlp encoding, nodes under 32 bytes embedded in their parent, the root always stored), so
py-trie, proofs and the snapshots of any root read it unchanged. tests/chains checks the
roots and the stored nodes against py-trie over random operations.

The engine's account and storage databases (chains/engine/accounts.py) build their tries
from it; py-evm's own classes keep py-trie.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import rlp
from eth_typing import Hash32
from trie.exceptions import MissingTrieNode

from chains.engine.hashing import keccak
from chains.engine.rlpfast import encode_bytes, wrap_list

BLANK_NODE_RLP = b"\x80"
BLANK_ROOT = keccak(BLANK_NODE_RLP)
NODE_CACHE_SIZE = 65_536  # decoded nodes kept (~20 MB at most); the rest are read again


def _hex_prefix(path: str, leaf: bool) -> bytes:
    """Hex-prefix encoding of a nibble path held as a hex string."""
    flag = (2 if leaf else 0) + (len(path) & 1)
    return bytes.fromhex(f"{flag:x}{path}" if len(path) & 1 else f"{flag:x}0{path}")


# -- nodes ----------------------------------------------------------------------------------

class Node(ABC):
    """A trie node. ``enc`` is its rlp encoding, ``ref`` what its parent embeds (the encoding
    itself under 32 bytes, else the rlp of its hash); ``stored``: already in the database."""

    __slots__ = ("_enc", "_ref", "stored")

    def __init__(self) -> None:
        self._enc: bytes | None = None
        self._ref: bytes | None = None
        self.stored = False

    @abstractmethod
    def encode(self) -> bytes:
        """The node's rlp encoding."""

    @property
    def enc(self) -> bytes:
        if self._enc is None:
            self._enc = self.encode()
        return self._enc

    @property
    def ref(self) -> bytes:
        if self._ref is None:
            enc = self.enc
            self._ref = enc if len(enc) < 32 else b"\xa0" + keccak(enc)
        return self._ref


class Leaf(Node):
    __slots__ = ("path", "value")

    def __init__(self, path: str, value: bytes) -> None:
        super().__init__()
        self.path = path
        self.value = value

    def encode(self) -> bytes:
        return wrap_list(encode_bytes(_hex_prefix(self.path, True)) + encode_bytes(self.value))


class Extension(Node):
    __slots__ = ("path", "child")

    def __init__(self, path: str, child: Node) -> None:
        super().__init__()
        self.path = path
        self.child = child

    def encode(self) -> bytes:
        return wrap_list(encode_bytes(_hex_prefix(self.path, False)) + self.child.ref)


class Branch(Node):
    __slots__ = ("children", "value")

    def __init__(self, children: list[Node | None], value: bytes) -> None:
        super().__init__()
        self.children = children
        self.value = value

    def encode(self) -> bytes:
        return wrap_list(b"".join(BLANK_NODE_RLP if c is None else c.ref for c in self.children)
                         + encode_bytes(self.value))


class Ref(Node):
    """A stored node not loaded yet (resolved through the node cache on first use)."""

    __slots__ = ("hash",)

    def __init__(self, node_hash: bytes) -> None:
        super().__init__()
        self.hash = node_hash
        self.stored = True
        self._ref = b"\xa0" + node_hash

    def encode(self) -> bytes:
        """A Ref stands for a stored node: its parent embeds ``ref``, and nothing stores it
        again (``stored``), so its encoding is never asked for. Raises RuntimeError."""
        raise RuntimeError(f"trie node {self.hash.hex()} is not loaded: resolve it before encoding")


_nodes: OrderedDict[bytes, Node] = OrderedDict()  # node hash -> decoded node, for every trie


def _decode(item: Any) -> Node | None:
    """A node from its decoded rlp structure (children stay Refs until used)."""
    if item == b"":
        return None
    if isinstance(item, bytes):  # a 32-byte hash in a parent
        return Ref(item)
    if len(item) == 17:
        return Branch([_decode(c) for c in item[:16]], item[16])
    first = item[0].hex()
    flag = int(first[0], 16)
    path = first[1:] if flag & 1 else first[2:]
    if flag & 2:
        return Leaf(path, item[1])
    child = _decode(item[1])
    assert child is not None
    return Extension(path, child)


def _common_prefix_length(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class FastTrie:
    """py-trie's ``HexaryTrie`` interface as py-evm's account and storage databases use it.

    Raises MissingTrieNode, as py-trie does, when a node on a key's path is not in ``db``.
    """

    def __init__(self, db: Any, root_hash: bytes = BLANK_ROOT, prune: bool = False, **_ignored: Any) -> None:
        self.db = db
        self.is_pruning = prune  # nothing is ever deleted: old roots stay readable
        self._root: Node | None = None
        self._root_hash: bytes | None = None
        self.root_hash = root_hash

    # -- root ------------------------------------------------------------------------------

    @property
    def root_hash(self) -> bytes:
        if self._root_hash is None:
            root = self._root
            if root is None:
                self._root_hash = BLANK_ROOT
                if BLANK_ROOT not in self.db:
                    self.db[BLANK_ROOT] = BLANK_NODE_RLP
            else:
                self._store(root)
                enc = root.enc
                self._root_hash = keccak(enc)
                if len(enc) < 32:  # an embedded-size root is still stored under its hash
                    self.db[self._root_hash] = enc
        return self._root_hash

    @root_hash.setter
    def root_hash(self, value: bytes) -> None:
        self._root = None if value == BLANK_ROOT else Ref(value)
        self._root_hash = value

    def _store(self, node: Node) -> None:
        """Write ``node`` and what it references that is not stored yet."""
        if node.stored:
            return
        if isinstance(node, Branch):
            for child in node.children:
                if child is not None and not child.stored:
                    self._store(child)
        elif isinstance(node, Extension):
            self._store(node.child)
        node.stored = True
        enc = node.enc
        if len(enc) >= 32:
            node_hash = node.ref[1:]
            self.db[node_hash] = enc
            _remember(node_hash, node)

    def _resolve(self, node: Node, key: bytes) -> Node:
        if not isinstance(node, Ref):
            return node
        cached = _nodes.get(node.hash)
        if cached is not None:
            return cached
        try:
            raw = self.db[node.hash]
        except KeyError:
            raise MissingTrieNode(Hash32(node.hash), Hash32(self._root_hash or BLANK_ROOT), key) from None
        decoded = _decode(rlp.decode(raw))
        assert decoded is not None
        decoded.stored = True
        _remember(node.hash, decoded)
        return decoded

    # -- reads -----------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes:
        path = key.hex()
        node = self._root
        while node is not None:
            node = self._resolve(node, key)
            if isinstance(node, Leaf):
                return node.value if node.path == path else b""
            if isinstance(node, Extension):
                if not path.startswith(node.path):
                    return b""
                path = path[len(node.path):]
                node = node.child
            else:
                assert isinstance(node, Branch)
                if not path:
                    return node.value
                node = node.children[int(path[0], 16)]
                path = path[1:]
        return b""

    __getitem__ = get

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) != b""

    def exists(self, key: bytes) -> bool:
        return self.get(key) != b""

    # -- writes ----------------------------------------------------------------------------

    def set(self, key: bytes, value: bytes) -> None:
        if not value:
            self.delete(key)
            return
        self._root = self._set(self._root, key.hex(), value, key)
        self._root_hash = None

    __setitem__ = set

    def delete(self, key: bytes) -> None:
        new_root = self._delete(self._root, key.hex(), key)
        if new_root is not self._root:
            self._root = new_root
            self._root_hash = None

    __delitem__ = delete

    def _set(self, node: Node | None, path: str, value: bytes, key: bytes) -> Node:
        if node is None:
            return Leaf(path, value)
        node = self._resolve(node, key)
        if isinstance(node, Leaf):
            if node.path == path:
                return node if node.value == value else Leaf(path, value)
            return self._split(node.path, node, path, Leaf(path, value), value)
        if isinstance(node, Extension):
            if path.startswith(node.path):
                child = self._set(node.child, path[len(node.path):], value, key)
                return Extension(node.path, child)
            return self._split(node.path, node, path, None, value)
        assert isinstance(node, Branch)
        if not path:
            return Branch(node.children, value)
        children = list(node.children)
        index = int(path[0], 16)
        children[index] = self._set(children[index], path[1:], value, key)
        return Branch(children, node.value)

    def _split(self, old_path: str, old: Node, path: str, leaf: Node | None, value: bytes) -> Node:
        """A branch where ``old`` (a leaf or extension at ``old_path``) and a new leaf at
        ``path`` part ways, under an extension for their common prefix."""
        k = _common_prefix_length(old_path, path)
        children: list[Node | None] = [None] * 16
        branch_value = b""
        rest = old_path[k + 1:]
        if isinstance(old, Leaf):
            if len(old_path) == k:
                branch_value = old.value
            else:
                children[int(old_path[k], 16)] = Leaf(rest, old.value)
        else:
            assert isinstance(old, Extension)
            children[int(old_path[k], 16)] = Extension(rest, old.child) if rest else old.child
        if len(path) == k:
            branch_value = value
        else:
            children[int(path[k], 16)] = Leaf(path[k + 1:], value)
        branch = Branch(children, branch_value)
        return Extension(path[:k], branch) if k else branch

    def _delete(self, node: Node | None, path: str, key: bytes) -> Node | None:
        if node is None:
            return None
        resolved = self._resolve(node, key)
        if isinstance(resolved, Leaf):
            return None if resolved.path == path else node
        if isinstance(resolved, Extension):
            if not path.startswith(resolved.path):
                return node
            child = self._delete(resolved.child, path[len(resolved.path):], key)
            if child is resolved.child:
                return node
            return self._prefixed(resolved.path, child, key)
        assert isinstance(resolved, Branch)
        children = list(resolved.children)
        value = resolved.value
        if not path:
            if not value:
                return node
            value = b""
        else:
            index = int(path[0], 16)
            child = self._delete(children[index], path[1:], key)
            if child is children[index]:
                return node
            children[index] = child
        live = [i for i, c in enumerate(children) if c is not None]
        if len(live) + (1 if value else 0) >= 2:
            return Branch(children, value)
        if value:
            return Leaf("", value)
        if not live:
            return None
        return self._prefixed(f"{live[0]:x}", children[live[0]], key)

    def _prefixed(self, prefix: str, child: Node | None, key: bytes) -> Node | None:
        """``child`` under ``prefix``, merged into it when it is a leaf or an extension."""
        if child is None:
            return None
        child = self._resolve(child, key)
        if isinstance(child, Leaf):
            return Leaf(prefix + child.path, child.value)
        if isinstance(child, Extension):
            return Extension(prefix + child.path, child.child)
        return Extension(prefix, child) if prefix else child

    # -- what py-evm also calls ------------------------------------------------------------

    @contextlib.contextmanager
    def squash_changes(self) -> Iterator[FastTrie]:
        """Writes inside the block land at once; an exception leaves the trie as it was."""
        root, root_hash = self._root, self._root_hash
        try:
            yield self
        except BaseException:
            self._root, self._root_hash = root, root_hash
            raise
        self.root_hash  # noqa: B018 - store the new nodes now


def _remember(node_hash: bytes, node: Node) -> None:
    _nodes[node_hash] = node
    if len(_nodes) > NODE_CACHE_SIZE:
        _nodes.popitem(last=False)


__all__ = ["BLANK_ROOT", "FastTrie"]
