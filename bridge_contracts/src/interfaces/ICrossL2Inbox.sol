// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Identifier} from "./IL2ToL2CrossDomainMessenger.sol";

/// @title ICrossL2Inbox
/// @notice OP Stack interop inbox interface (same ABI as OP's predeploy at 0x...0022).
interface ICrossL2Inbox {
    error NotInAccessList();
    error BlockNumberTooHigh();
    error TimestampTooHigh();
    error LogIndexTooHigh();

    event ExecutingMessage(bytes32 indexed msgHash, Identifier id);

    function version() external view returns (string memory);

    function validateMessage(Identifier calldata _id, bytes32 _msgHash) external;

    function calculateChecksum(Identifier memory _id, bytes32 _msgHash) external pure returns (bytes32 checksum_);
}
