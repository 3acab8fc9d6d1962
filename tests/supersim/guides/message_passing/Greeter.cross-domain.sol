// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import { Predeploys } from "@eth-optimism/contracts-bedrock/src/libraries/Predeploys.sol";

/// xrollup's stand-in for the tutorial's "sender information" Greeter: on a greeting relayed by
/// OP's L2ToL2CrossDomainMessenger it also reports who sent it and from which chain.
contract Greeter {
    event SetGreeting(address indexed sender, string greeting);
    event CrossDomainSetGreeting(address indexed sender, uint256 indexed chainId, string greeting);

    string private current;

    function greet() external view returns (string memory) {
        return current;
    }

    function setGreeting(string calldata text) external {
        current = text;
        emit SetGreeting(msg.sender, text);
        if (msg.sender != Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER) return;
        (address origin, uint256 source) = IMessageContext(msg.sender).crossDomainMessageContext();
        emit CrossDomainSetGreeting(origin, source, text);
    }
}

interface IMessageContext {
    function crossDomainMessageContext() external view returns (address sender, uint256 source);
}
