// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerklePatriciaProof} from "../settlement/MerklePatriciaProof.sol";

/// @title MerklePatriciaProofProbe
/// @notice Test-only: exposes the proof verifier the portal uses, so that tests can check it
///         against tries built off-chain.
contract MerklePatriciaProofProbe {
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        external
        pure
        returns (bool ok, bool exists, bytes memory value)
    {
        return MerklePatriciaProof.get(_key, _proof, _root);
    }

    function verifySecureInclusion(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        external
        pure
        returns (bool)
    {
        return MerklePatriciaProof.verifySecureInclusion(_key, _value, _proof, _root);
    }
}
