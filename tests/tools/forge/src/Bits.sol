// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Osaka's CLZ opcode (EIP-7939): compiles only for osaka, runs only where osaka does.
contract Bits {
    function leadingZeros(uint256 x) public pure returns (uint256 n) {
        assembly {
            n := clz(x)
        }
    }
}
