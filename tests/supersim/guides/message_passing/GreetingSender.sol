// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import { Predeploys } from "@eth-optimism/contracts-bedrock/src/libraries/Predeploys.sol";
import { IL2ToL2CrossDomainMessenger } from "@eth-optimism/contracts-bedrock/src/L2/IL2ToL2CrossDomainMessenger.sol";

/// xrollup's stand-in for the tutorial's GreetingSender: the same constructor and function; it
/// asks OP's messenger to call `setGreeting` on a Greeter of another chain.
contract GreetingSender {
    address private immutable greeter;
    uint256 private immutable greeterChain;

    constructor(address greeterAddress, uint256 greeterChainId) {
        greeter = greeterAddress;
        greeterChain = greeterChainId;
    }

    function setGreeting(string calldata text) external {
        IL2ToL2CrossDomainMessenger(Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER).sendMessage(
            greeterChain, greeter, abi.encodeWithSignature("setGreeting(string)", text));
    }
}
