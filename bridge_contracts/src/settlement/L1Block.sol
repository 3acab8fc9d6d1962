// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SettlementTypes} from "./SettlementTypes.sol";

/// @title L1Block
/// @notice OP's L1Block predeploy (0x4200000000000000000000000000000000000015): the last L1
///         block a rollup block knows of (its L1 origin) and the L1 fee parameters. Same ABI
///         and storage layout as OP's (1.5.1-beta.3): the depositor account sets the values in
///         each block's first (L1 attributes) transaction, with the legacy `setL1BlockValues`
///         or Ecotone's packed `setL1BlockValuesEcotone`. xrollup's chains pay gas in ETH.
///
/// Storage: slot 0 number (uint64) | timestamp (uint64); 1 basefee; 2 hash;
///          3 sequenceNumber (uint64) | blobBaseFeeScalar (uint32) | baseFeeScalar (uint32);
///          4 batcherHash; 5 l1FeeOverhead; 6 l1FeeScalar; 7 blobBaseFee.
contract L1Block {
    /// @notice ETH, as OP's `Constants.ETHER` names it for the gas paying token.
    address internal constant ETHER = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    /// @notice The caller is not the depositor account.
    error NotDepositor();

    uint64 public number;
    uint64 public timestamp;
    uint256 public basefee;
    bytes32 public hash;
    uint64 public sequenceNumber;
    uint32 public blobBaseFeeScalar;
    uint32 public baseFeeScalar;
    bytes32 public batcherHash;
    uint256 public l1FeeOverhead;
    uint256 public l1FeeScalar;
    uint256 public blobBaseFee;

    function version() public pure returns (string memory) {
        return "1.5.1-beta.3";
    }

    /// @notice The account allowed to set the values.
    function DEPOSITOR_ACCOUNT() public pure returns (address addr_) {
        addr_ = SettlementTypes.DEPOSITOR_ACCOUNT;
    }

    /// @notice The gas paying token: ETH, 18 decimals.
    function gasPayingToken() public pure returns (address addr_, uint8 decimals_) {
        return (ETHER, 18);
    }

    function gasPayingTokenName() public pure returns (string memory name_) {
        name_ = "Ether";
    }

    function gasPayingTokenSymbol() public pure returns (string memory symbol_) {
        symbol_ = "ETH";
    }

    function isCustomGasToken() public pure returns (bool) {
        return false;
    }

    /// @notice The pre-Ecotone setter (ABI-encoded arguments).
    function setL1BlockValues(
        uint64 _number,
        uint64 _timestamp,
        uint256 _basefee,
        bytes32 _hash,
        uint64 _sequenceNumber,
        bytes32 _batcherHash,
        uint256 _l1FeeOverhead,
        uint256 _l1FeeScalar
    ) external {
        require(msg.sender == DEPOSITOR_ACCOUNT(), "L1Block: only the depositor account can set L1 block values");
        number = _number;
        timestamp = _timestamp;
        basefee = _basefee;
        hash = _hash;
        sequenceNumber = _sequenceNumber;
        batcherHash = _batcherHash;
        l1FeeOverhead = _l1FeeOverhead;
        l1FeeScalar = _l1FeeScalar;
    }

    /// @notice Ecotone's setter. Its arguments are packed after the selector, not ABI-encoded:
    ///         baseFeeScalar (uint32), blobBaseFeeScalar (uint32), sequenceNumber (uint64),
    ///         timestamp (uint64), number (uint64), basefee, blobBaseFee, hash, batcherHash
    ///         (32 bytes each): 164 bytes of calldata in all. Reverts NotDepositor().
    function setL1BlockValuesEcotone() external {
        if (msg.sender != SettlementTypes.DEPOSITOR_ACCOUNT) revert NotDepositor();
        assembly {
            // bytes 4..20 hold the two scalars and the sequence number: as one 128-bit word
            // they are slot 3's packing (sequenceNumber lowest, then blob, then base scalar)
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // bytes 20..36 hold timestamp then number: slot 0's packing (number lowest)
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
