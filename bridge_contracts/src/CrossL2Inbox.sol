// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICrossL2Inbox} from "./interfaces/ICrossL2Inbox.sol";
import {Identifier} from "./interfaces/IL2ToL2CrossDomainMessenger.sol";

/// @title CrossL2Inbox
/// @notice OP's interop inbox, at 0x4200000000000000000000000000000000000022 on every chain
///         (genesis code, no constructor, no storage). Same ABI, errors, event and checksum as
///         OP's access-list version (semver 1.0.0).
///
///         An executing message names an initiating log on another chain by its Identifier
///         (origin, blockNumber, logIndex, timestamp, chainId) and the hash of its payload
///         (topics ++ data). The transaction that executes it declares, in its EIP-2930 access
///         list for this contract, the storage key `calculateChecksum(id, msgHash)` (plus OP's
///         lookup entry, see shared_sequencer/interop.py). `validateMessage` only checks that
///         this key is warm, i.e. that the transaction declared it.
///
///         Where the log is checked: the sequencer refuses at submission any transaction whose
///         access list for this contract names a log that does not exist on the source chain
///         with exactly that identifier and payload hash (shared_sequencer/interop.py), as
///         OP's sequencer does with its supervisor. A declared checksum therefore vouches for
///         a real log, and a checksum that was not declared reverts `NotInAccessList()`.
contract CrossL2Inbox is ICrossL2Inbox {
    /// @notice Semantic version (OP's CrossL2Inbox that this contract emulates).
    string public constant version = "1.0.0";

    /// @dev A warm SLOAD costs 100 gas, a cold one 2100 (EIP-2929).
    uint256 internal constant WARM_READ_THRESHOLD = 1000;

    /// @dev Clears the top byte of the bare checksum...
    bytes32 internal constant MSB_MASK = 0x00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev ...which is then set to 3, OP's type of a checksum access-list entry.
    bytes32 internal constant TYPE_3_MASK = 0x0300000000000000000000000000000000000000000000000000000000000000;

    /// @notice Reverts `NotInAccessList()` unless the transaction declared the checksum of
    ///         (`_id`, `_msgHash`) in its access list for this contract; emits ExecutingMessage.
    function validateMessage(Identifier calldata _id, bytes32 _msgHash) external {
        bytes32 checksum = calculateChecksum(_id, _msgHash);
        (bool isSlotWarm,) = _isWarm(checksum);
        if (!isSlotWarm) revert NotInAccessList();
        emit ExecutingMessage(_msgHash, _id);
    }

    /// @notice OP's checksum of an identifier and a payload hash:
    ///         logHash   = keccak256(origin ++ msgHash)
    ///         idPacked  = uint96(0) ++ uint64(blockNumber) ++ uint64(timestamp) ++ uint32(logIndex)
    ///         bare      = keccak256(keccak256(logHash ++ idPacked) ++ chainId)
    ///         checksum  = (bare with its top byte cleared) | 0x03 << 248
    function calculateChecksum(Identifier memory _id, bytes32 _msgHash) public pure returns (bytes32 checksum_) {
        if (_id.blockNumber > type(uint64).max) revert BlockNumberTooHigh();
        if (_id.logIndex > type(uint32).max) revert LogIndexTooHigh();
        if (_id.timestamp > type(uint64).max) revert TimestampTooHigh();

        bytes32 logHash = keccak256(abi.encodePacked(_id.origin, _msgHash));
        bytes32 idPacked = bytes32(
            abi.encodePacked(uint96(0), uint64(_id.blockNumber), uint64(_id.timestamp), uint32(_id.logIndex))
        );
        bytes32 idLogHash = keccak256(abi.encodePacked(logHash, idPacked));
        bytes32 bareChecksum = keccak256(abi.encodePacked(idLogHash, _id.chainId));
        checksum_ = (bareChecksum & MSB_MASK) | TYPE_3_MASK;
    }

    /// @dev Whether `_slot` of this contract is warm (declared in the access list or read
    ///      before in this transaction), measured by the gas of one SLOAD. The loaded value is
    ///      returned so that the optimizer cannot drop the SLOAD.
    function _isWarm(bytes32 _slot) internal view returns (bool isWarm_, uint256 value_) {
        assembly ("memory-safe") {
            let startGas := gas()
            value_ := sload(_slot)
            let endGas := gas()
            isWarm_ := iszero(gt(sub(startGas, endGas), WARM_READ_THRESHOLD))
        }
    }
}
