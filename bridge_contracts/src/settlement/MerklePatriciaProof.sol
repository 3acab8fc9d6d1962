// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MerklePatriciaProof
/// @notice Verifies an EIP-1186 (`eth_getProof`) proof: the rlp-encoded trie nodes on a key's
///         path, from the root down, as geth lists them (the root, then each node its parent
///         references by hash; a node under 32 bytes sits inside its parent). A node that
///         viem's `maybeAddProofNode` appends after its parent (an embedded leaf, repeated) is
///         accepted too. Keys of the "secure" tries (state, storage) are hashed first:
///         `getSecure`.
///
///         A proof that does not lead from the root to the key (a node whose hash is not the
///         one its parent references, a missing node, a node left over) proves nothing:
///         `get` returns `ok == false`. Bytes that are not rlp revert with a reason.
library MerklePatriciaProof {
    /// @notice One rlp item inside a node: where its payload is, how long, whether it is a
    ///         list; `start`/`end` bound the whole item (header included).
    struct Item {
        uint256 start;
        uint256 end;
        uint256 payload;
        uint256 length;
        bool isList;
    }

    /// @notice The value stored under `keccak256(_key)` in the trie at `_root`.
    function getSecure(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool ok, bool exists, bytes memory value)
    {
        return get(abi.encodePacked(keccak256(_key)), _proof, _root);
    }

    /// @notice Whether `_proof` proves that `keccak256(_key)` holds exactly `_value`.
    function verifySecureInclusion(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        (bool ok, bool exists, bytes memory value) = getSecure(_key, _proof, _root);
        return ok && exists && keccak256(value) == keccak256(_value);
    }

    /// @notice Walks `_proof` along `_key` from `_root`. `ok`: the proof is a valid path
    ///         (of presence or of absence); `exists`: the key holds a value, `value` (the raw
    ///         bytes stored in the trie, e.g. the rlp of a storage word).
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool ok, bool exists, bytes memory value)
    {
        bytes memory path = _nibbles(_key);
        uint256 pos = 0; // nibbles of `path` consumed
        uint256 next = 0; // proof elements consumed
        bytes32 wantHash = _root; // the reference to follow: a hash ...
        bytes memory embedded; // ... or, when not empty, an embedded node
        while (true) {
            bytes memory node;
            if (embedded.length == 0) {
                if (next >= _proof.length || keccak256(_proof[next]) != wantHash) return (false, false, "");
                node = _proof[next++];
            } else {
                node = embedded;
                if (next < _proof.length && keccak256(_proof[next]) == keccak256(embedded)) next++;
            }
            Item[] memory items = _list(node);
            Item memory child;
            if (items.length == 17) {
                if (pos == path.length) {
                    value = _payload(node, items[16]);
                    return (next == _proof.length, value.length > 0, value);
                }
                child = items[uint8(path[pos++])];
            } else if (items.length == 2) {
                (bool leaf, bytes memory nodePath) = _hexPrefix(_payload(node, items[0]));
                bool matches = _startsWith(path, pos, nodePath);
                if (leaf) {
                    if (!matches || pos + nodePath.length != path.length) return (next == _proof.length, false, "");
                    value = _payload(node, items[1]);
                    return (next == _proof.length, true, value);
                }
                if (!matches) return (next == _proof.length, false, "");
                pos += nodePath.length;
                child = items[1];
            } else {
                revert("MerklePatriciaProof: a trie node has 2 or 17 items");
            }
            if (child.isList) {
                embedded = _slice(node, child.start, child.end - child.start);
            } else if (child.length == 0) {
                return (next == _proof.length, false, ""); // an empty slot: the path ends here
            } else {
                require(child.length == 32, "MerklePatriciaProof: a child reference is a node or a 32-byte hash");
                wantHash = bytes32(_payload(node, child));
                embedded = "";
            }
        }
    }

    // -- rlp -------------------------------------------------------------------------------

    /// @notice The item at `_offset` in `_b`. Reverts on an item that runs past the end.
    function _item(bytes memory _b, uint256 _offset) private pure returns (Item memory it) {
        require(_offset < _b.length, "MerklePatriciaProof: rlp item out of bounds");
        uint8 p = uint8(_b[_offset]);
        it.start = _offset;
        if (p < 0x80) {
            (it.payload, it.length) = (_offset, 1);
        } else if (p <= 0xb7) {
            (it.payload, it.length) = (_offset + 1, p - 0x80);
        } else if (p <= 0xbf) {
            uint256 n = p - 0xb7;
            (it.payload, it.length) = (_offset + 1 + n, _bigEndian(_b, _offset + 1, n));
        } else if (p <= 0xf7) {
            (it.payload, it.length, it.isList) = (_offset + 1, p - 0xc0, true);
        } else {
            uint256 n = p - 0xf7;
            (it.payload, it.length, it.isList) = (_offset + 1 + n, _bigEndian(_b, _offset + 1, n), true);
        }
        it.end = it.payload + it.length;
        require(it.end <= _b.length, "MerklePatriciaProof: rlp item out of bounds");
    }

    /// @notice The items of the rlp list that `_b` is, exactly.
    function _list(bytes memory _b) private pure returns (Item[] memory items) {
        Item memory outer = _item(_b, 0);
        require(outer.isList && outer.end == _b.length, "MerklePatriciaProof: a trie node is one rlp list");
        Item[] memory found = new Item[](17);
        uint256 count = 0;
        uint256 cursor = outer.payload;
        while (cursor < outer.end) {
            require(count < 17, "MerklePatriciaProof: a trie node has 2 or 17 items");
            Item memory it = _item(_b, cursor);
            require(it.end <= outer.end, "MerklePatriciaProof: rlp item out of bounds");
            found[count++] = it;
            cursor = it.end;
        }
        items = new Item[](count);
        for (uint256 i = 0; i < count; i++) {
            items[i] = found[i];
        }
    }

    function _bigEndian(bytes memory _b, uint256 _offset, uint256 _n) private pure returns (uint256 v) {
        require(_n <= 4 && _offset + _n <= _b.length, "MerklePatriciaProof: rlp length out of bounds");
        for (uint256 i = 0; i < _n; i++) {
            v = (v << 8) | uint8(_b[_offset + i]);
        }
    }

    function _payload(bytes memory _b, Item memory _it) private pure returns (bytes memory) {
        require(!_it.isList, "MerklePatriciaProof: expected an rlp string");
        return _slice(_b, _it.payload, _it.length);
    }

    function _slice(bytes memory _b, uint256 _start, uint256 _len) private pure returns (bytes memory out) {
        out = new bytes(_len);
        assembly {
            mcopy(add(out, 32), add(add(_b, 32), _start), _len)
        }
    }

    // -- paths -----------------------------------------------------------------------------

    function _nibbles(bytes memory _b) private pure returns (bytes memory out) {
        out = new bytes(_b.length * 2);
        for (uint256 i = 0; i < _b.length; i++) {
            out[2 * i] = bytes1(uint8(_b[i]) >> 4);
            out[2 * i + 1] = bytes1(uint8(_b[i]) & 0x0f);
        }
    }

    /// @notice A hex-prefix encoded path: whether it ends in a leaf, and its nibbles.
    function _hexPrefix(bytes memory _encoded) private pure returns (bool leaf, bytes memory path) {
        require(_encoded.length > 0, "MerklePatriciaProof: empty node path");
        bytes memory all = _nibbles(_encoded);
        uint8 flag = uint8(all[0]);
        require(flag <= 3, "MerklePatriciaProof: bad node path prefix");
        leaf = flag >= 2;
        uint256 skip = (flag & 1) == 1 ? 1 : 2;
        path = _slice(all, skip, all.length - skip);
    }

    function _startsWith(bytes memory _path, uint256 _pos, bytes memory _prefix) private pure returns (bool) {
        if (_pos + _prefix.length > _path.length) return false;
        for (uint256 i = 0; i < _prefix.length; i++) {
            if (_path[_pos + i] != _prefix[i]) return false;
        }
        return true;
    }
}
