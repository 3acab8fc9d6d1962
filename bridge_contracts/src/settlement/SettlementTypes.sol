// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SettlementTypes
/// @notice OP Stack's settlement constants, structs and hashes, as OP's `Types`, `Hashing`,
///         `Encoding`, `Constants` and `AddressAliasHelper` libraries define them, so that a
///         withdrawal hash, an output root or an aliased address computed here equals OP's.
library SettlementTypes {
    /// @notice OP's depositor account: the sender of the L1 attributes deposit of each block,
    ///         the only caller of the L1Block and GasPriceOracle setters.
    address internal constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    /// @notice `l2Sender` of the portal outside a withdrawal's finalization.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice OP's predeploy addresses read here.
    address internal constant L1_BLOCK = 0x4200000000000000000000000000000000000015;
    address internal constant L2_TO_L1_MESSAGE_PASSER = 0x4200000000000000000000000000000000000016;
    /// @notice L1 -> L2 address alias offset (OP's AddressAliasHelper).
    uint160 internal constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice A withdrawal: the fields `L2ToL1MessagePasser.initiateWithdrawal` hashes.
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }

    /// @notice The preimage of an output root (version 0).
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    /// @notice An output root proposed to the L1 and when.
    struct OutputProposal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2BlockNumber;
    }

    /// @notice OP's `Hashing.hashWithdrawal`.
    function hashWithdrawal(WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice OP's `Hashing.hashOutputRootProof`: keccak256(version ++ stateRoot ++
    ///         messagePasserStorageRoot ++ latestBlockhash).
    function hashOutputRootProof(OutputRootProof memory _proof) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }

    /// @notice OP's `Encoding.encodeVersionedNonce`: the version in the top two bytes.
    function encodeVersionedNonce(uint240 _nonce, uint16 _version) internal pure returns (uint256) {
        return (uint256(_version) << 240) | uint256(_nonce);
    }

    /// @notice OP's `AddressAliasHelper.applyL1ToL2Alias`: the L2 sender of a deposit made by
    ///         an L1 contract.
    function applyL1ToL2Alias(address _l1Address) internal pure returns (address) {
        unchecked {
            return address(uint160(_l1Address) + ALIAS_OFFSET);
        }
    }
}
