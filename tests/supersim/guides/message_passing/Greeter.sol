// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// xrollup's stand-in for the tutorial's first Greeter: the same ABI (contract name, functions
/// and event), written for the test suite.
contract Greeter {
    event SetGreeting(address indexed sender, string greeting);

    string private current;

    function greet() external view returns (string memory) {
        return current;
    }

    function setGreeting(string calldata text) external {
        current = text;
        emit SetGreeting(msg.sender, text);
    }
}
