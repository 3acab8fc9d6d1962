"""A cache of decoded trie nodes, shared by every trie of the process.

Every block's VM opens the state trie afresh, so the same nodes (content-addressed by their
hash) are rlp-decoded again for every transaction. py-trie mutates the decoded branch nodes it
gets, so the cache hands out copies (a few microseconds, against tens to decode). Keys are
node hashes, so an entry can never go stale.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from trie.hexary import HexaryTrie

CAPACITY = 32_768
_cache: OrderedDict[bytes, Any] = OrderedDict()
_original_get_node = HexaryTrie.get_node


def _copy(node: Any) -> Any:
    return [_copy(item) if isinstance(item, list) else item for item in node] if isinstance(node, list) else node


def _cached_get_node(self: HexaryTrie, node_hash: Any) -> Any:
    if not isinstance(node_hash, bytes) or len(node_hash) != 32:
        return _original_get_node(self, node_hash)
    node = _cache.get(node_hash)
    if node is None:
        node = _original_get_node(self, node_hash)
        _cache[node_hash] = node
        if len(_cache) > CAPACITY:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(node_hash)
    return _copy(node)


def install() -> None:
    HexaryTrie.get_node = _cached_get_node  # type: ignore[method-assign]


def uninstall() -> None:
    HexaryTrie.get_node = _original_get_node  # type: ignore[method-assign]
