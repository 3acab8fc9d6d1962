// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Hardhat's sample contract: funds locked until a time, then withdrawable by the owner.
contract Lock {
    uint256 public unlockTime;
    address payable public owner;

    event Withdrawal(uint256 amount, uint256 when);

    constructor(uint256 _unlockTime) payable {
        require(block.timestamp < _unlockTime, "Unlock time should be in the future");
        unlockTime = _unlockTime;
        owner = payable(msg.sender);
    }

    function withdraw() public {
        require(block.timestamp >= unlockTime, "You can't withdraw yet");
        require(msg.sender == owner, "You aren't the owner");
        emit Withdrawal(address(this).balance, block.timestamp);
        owner.transfer(address(this).balance);
    }

    /// Osaka's CLZ (EIP-7939), to show the default compile target runs.
    function leadingZeros(uint256 x) external pure returns (uint256 n) {
        assembly {
            n := clz(x)
        }
    }
}
