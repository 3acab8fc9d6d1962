// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Burner
/// @notice Destroys the ETH it is created with: it self-destructs to itself in its
///         constructor (EIP-6780 still deletes an account created in the same transaction),
///         which is the only way to take ETH out of circulation. Used by
///         `L2ToL1MessagePasser.burn`, as OP's `Burn.eth`.
contract Burner {
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
