// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IETHLiquidity
/// @notice OP Stack interop ETH liquidity interface (same ABI as OP's predeploy at 0x...0025).
interface IETHLiquidity {
    error Unauthorized();

    event LiquidityBurned(address indexed caller, uint256 value);
    event LiquidityMinted(address indexed caller, uint256 value);

    function version() external view returns (string memory);

    function burn() external payable;

    function mint(uint256 _amount) external;
}
