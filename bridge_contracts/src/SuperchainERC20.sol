// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "./ERC20.sol";
import {IERC165} from "./interfaces/IERC165.sol";
import {IERC20} from "./interfaces/IERC20.sol";
import {IERC7802} from "./interfaces/IERC7802.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title SuperchainERC20
/// @notice ERC-20 with ERC-7802 cross-chain mint/burn, callable only by the two bridges:
///         OP's SuperchainTokenBridge (0x4200000000000000000000000000000000000028,
///         asynchronous, message relayed in a later superblock) and xrollup's AtomicBridge
///         (0x4200000000000000000000000000000000000101, synchronous through the mailbox).
///         Both bridges mint the *same token address* on the destination chain, so deploy
///         it at one address on every chain (same deployer + nonce, or CREATE2 with the same
///         salt and the same constructor arguments; each deployment mints `initialSupply`).
contract SuperchainERC20 is ERC20, IERC7802 {
    /// @notice Semantic version (OP's SuperchainERC20 whose ABI this token follows).
    string public constant version = "1.0.2";

    error Unauthorized();

    constructor(string memory name_, string memory symbol_, address initialHolder, uint256 initialSupply)
        ERC20(name_, symbol_)
    {
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc IERC7802
    function crosschainMint(address _to, uint256 _amount) external {
        _onlyBridge();
        _mint(_to, _amount);
        emit CrosschainMint(_to, _amount, msg.sender);
    }

    /// @inheritdoc IERC7802
    function crosschainBurn(address _from, uint256 _amount) external {
        _onlyBridge();
        _burn(_from, _amount);
        emit CrosschainBurn(_from, _amount, msg.sender);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public pure returns (bool) {
        return interfaceId == type(IERC7802).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    function _onlyBridge() internal view {
        if (msg.sender != Predeploys.SUPERCHAIN_TOKEN_BRIDGE && msg.sender != Predeploys.ATOMIC_BRIDGE) {
            revert Unauthorized();
        }
    }
}
