// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAtomicBridgeRecipient
/// @notice Hook called by AtomicBridge.receiveERC20AndCall on the destination chain, right
///         after `amount` of `token` was minted to the recipient. Whatever it returns travels
///         back to the source chain as the return value of bridgeERC20AndCall; if it reverts,
///         the whole bridge (burn included) reverts on the source chain with the same data.
interface IAtomicBridgeRecipient {
    function onAtomicBridgeERC20(address token, address from, uint256 amount, uint256 srcChain, bytes calldata data)
        external
        returns (bytes memory);
}
