// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// A counter whose setter writes two slots.
contract Counter {
    uint256 public number;
    mapping(address => uint256) public lastSetBy;

    function setNumber(uint256 newNumber) public {
        number = newNumber;
        lastSetBy[msg.sender] = newNumber;
    }

    function increment() public {
        number++;
    }
}
