// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "./interfaces/IERC165.sol";
import {IERC20} from "./interfaces/IERC20.sol";
import {IERC7802} from "./interfaces/IERC7802.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title L2NativeSuperchainERC20
/// @notice supersim's test token, at 0x420beeF000000000000000000000000000000001 on every chain
///         (genesis code, no constructor; name and symbol are constants, so empty storage is a
///         valid initial state). Anyone may `mint` and `burn`, as in supersim. It is a
///         SuperchainERC20 as OP's: ERC-20 + ERC-7802 + ERC-165, `crosschainMint` and
///         `crosschainBurn` only by OP's SuperchainTokenBridge (0x...0028), plus xrollup's
///         AtomicBridge (0x...0101), so it also bridges atomically through the mailbox.
///         Errors as OP's (solady's ERC20 names). Storage: slot 0 totalSupply, 1 balanceOf,
///         2 allowance.
contract L2NativeSuperchainERC20 is IERC20, IERC7802 {
    /// @notice Semantic version (OP's SuperchainERC20 that supersim's token inherits).
    string public constant version = "1.0.2";

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Mint(address indexed account, uint256 amount);
    event Burn(address indexed account, uint256 amount);

    error ZeroAddress();
    error Unauthorized();
    error InsufficientBalance();
    error InsufficientAllowance();
    error TotalSupplyOverflow();

    function name() external pure returns (string memory) {
        return "L2NativeSuperchainERC20";
    }

    function symbol() external pure returns (string memory) {
        return "MOCK";
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @notice Open to anyone (a test token, as supersim's).
    function mint(address _to, uint256 _amount) external {
        if (_to == address(0)) revert ZeroAddress();
        _mint(_to, _amount);
        emit Mint(_to, _amount);
    }

    /// @notice Open to anyone (a test token, as supersim's).
    function burn(address _from, uint256 _amount) external {
        if (_from == address(0)) revert ZeroAddress();
        _burn(_from, _amount);
        emit Burn(_from, _amount);
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

    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance();
            unchecked {
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public pure returns (bool) {
        return interfaceId == type(IERC7802).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    function _transfer(address from, address to, uint256 amount) internal {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance();
        unchecked {
            balanceOf[from] = bal - amount;
            balanceOf[to] += amount; // bounded by totalSupply
        }
        emit Transfer(from, to, amount);
    }

    function _mint(address to, uint256 amount) internal {
        uint256 supply = totalSupply;
        unchecked {
            if (supply + amount < supply) revert TotalSupplyOverflow();
            totalSupply = supply + amount;
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    function _burn(address from, uint256 amount) internal {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance();
        unchecked {
            balanceOf[from] = bal - amount;
            totalSupply -= amount;
        }
        emit Transfer(from, address(0), amount);
    }

    function _onlyBridge() internal view {
        if (msg.sender != Predeploys.SUPERCHAIN_TOKEN_BRIDGE && msg.sender != Predeploys.ATOMIC_BRIDGE) {
            revert Unauthorized();
        }
    }
}
