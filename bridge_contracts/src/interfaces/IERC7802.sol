// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "./IERC165.sol";

/// @title IERC7802
/// @notice Cross-chain token interface (ERC-7802), as used by OP's SuperchainERC20.
///         interfaceId = crosschainMint.selector ^ crosschainBurn.selector = 0x33331994.
interface IERC7802 is IERC165 {
    event CrosschainMint(address indexed to, uint256 amount, address indexed sender);
    event CrosschainBurn(address indexed from, uint256 amount, address indexed sender);

    function crosschainMint(address _to, uint256 _amount) external;

    function crosschainBurn(address _from, uint256 _amount) external;
}
