// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title GatedReceiver
/// @notice Test target of asynchronous messages whose delivery fails until it is opened: the
///         tests of failed relays use it to show that a message relayed again after the target
///         is fixed is delivered exactly once.
contract GatedReceiver {
    bool public open;
    uint256 public deliveries;
    uint256 public total;

    error Closed();

    event Delivered(uint256 amount, uint256 deliveries);

    function setOpen(bool open_) external {
        open = open_;
    }

    function receiveMessage(uint256 amount) external returns (uint256) {
        if (!open) revert Closed();
        deliveries += 1;
        total += amount;
        emit Delivered(amount, deliveries);
        return deliveries;
    }
}
