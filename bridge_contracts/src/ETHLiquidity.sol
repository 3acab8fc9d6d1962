// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IETHLiquidity} from "./interfaces/IETHLiquidity.sol";
import {Predeploys} from "./libraries/Predeploys.sol";
import {SafeSend} from "./libraries/SafeSend.sol";

/// @title ETHLiquidity
/// @notice OP's ETH liquidity predeploy, at 0x4200000000000000000000000000000000000025 on every
///         chain (genesis code, no constructor, no storage, a genesis balance of uint248.max as
///         OP's). SuperchainETHBridge burns the ETH it sends into it and mints the ETH it relays
///         out of it, so ETH moves between chains without being created. Same ABI, events and
///         error as OP's (semver 1.0.1).
contract ETHLiquidity is IETHLiquidity {
    /// @notice Semantic version (OP's ETHLiquidity that this contract emulates).
    string public constant version = "1.0.1";

    /// @notice Locks `msg.value` in this contract; only SuperchainETHBridge.
    function burn() external payable {
        if (msg.sender != Predeploys.SUPERCHAIN_ETH_BRIDGE) revert Unauthorized();
        emit LiquidityBurned(msg.sender, msg.value);
    }

    /// @notice Sends `_amount` to the caller without calling it; only SuperchainETHBridge.
    function mint(uint256 _amount) external {
        if (msg.sender != Predeploys.SUPERCHAIN_ETH_BRIDGE) revert Unauthorized();
        new SafeSend{value: _amount}(payable(msg.sender));
        emit LiquidityMinted(msg.sender, _amount);
    }
}
