// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAtomicBridgeRecipient} from "./interfaces/IAtomicBridgeRecipient.sol";
import {IERC165} from "./interfaces/IERC165.sol";
import {IERC7802} from "./interfaces/IERC7802.sol";
import {IMailbox} from "./interfaces/IMailbox.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title AtomicBridge
/// @notice Synchronous token and ETH bridge over the mailbox, at
///         0x4200000000000000000000000000000000000101 on every chain (genesis code, no
///         constructor, no storage). The burn on the source chain and the mint on the
///         destination chain land in the same superblock, or neither does: the mint is an
///         `xcall` to this same contract on the destination chain, and a failing mint makes
///         the source transaction revert with the destination's revert data.
///         ETH: `bridgeETH` locks msg.value in the source mailbox (xcall value); the
///         destination mailbox pays it out of its genesis-funded pool to this contract, which
///         forwards it to `to`.
contract AtomicBridge {
    address internal constant MAILBOX = Predeploys.MAILBOX;

    /// @notice Semantic version of xrollup's atomic bridge.
    string public constant version = "1.0.0";

    error ZeroAddress();
    error Unauthorized();
    error InvalidCrossDomainSender();
    error InvalidERC7802();
    error ETHTransferFailed();

    event SentERC20(
        address indexed token, address indexed from, address indexed to, uint256 amount, uint256 destination
    );
    event ReceivedERC20(
        address indexed token, address indexed from, address indexed to, uint256 amount, uint256 source
    );
    event SentETH(address indexed from, address indexed to, uint256 amount, uint256 destination);
    event ReceivedETH(address indexed from, address indexed to, uint256 amount, uint256 source);

    // ------------------------------------------------------------------ source side

    /// @notice Burns `amount` of the SuperchainERC20 `token` from the caller here and mints it
    ///         to `to` on `chainId`, atomically.
    function bridgeERC20(address token, address to, uint256 amount, uint256 chainId) external {
        _burn(token, to, amount);
        IMailbox(MAILBOX).xcall(chainId, address(this), abi.encodeCall(this.receiveERC20, (token, msg.sender, to, amount)));
        emit SentERC20(token, msg.sender, to, amount, chainId);
    }

    /// @notice Like bridgeERC20, then calls `IAtomicBridgeRecipient(to).onAtomicBridgeERC20(token,
    ///         msg.sender, amount, block.chainid, data)` on `chainId` in the same cross-chain call
    ///         and returns what it returned.
    function bridgeERC20AndCall(address token, address to, uint256 amount, uint256 chainId, bytes calldata data)
        external
        returns (bytes memory)
    {
        _burn(token, to, amount);
        bytes memory ret = IMailbox(MAILBOX).xcall(
            chainId, address(this), abi.encodeCall(this.receiveERC20AndCall, (token, msg.sender, to, amount, data))
        );
        emit SentERC20(token, msg.sender, to, amount, chainId);
        return abi.decode(ret, (bytes));
    }

    /// @notice Sends msg.value to `to` on `chainId`, atomically.
    function bridgeETH(address to, uint256 chainId) external payable {
        if (to == address(0)) revert ZeroAddress();
        IMailbox(MAILBOX).xcall{value: msg.value}(chainId, address(this), abi.encodeCall(this.receiveETH, (msg.sender, to)));
        emit SentETH(msg.sender, to, msg.value, chainId);
    }

    // ------------------------------------------------------------- destination side

    /// @notice Mints bridged tokens. Only the mailbox, executing a request from this contract.
    function receiveERC20(address token, address from, address to, uint256 amount) external {
        uint256 source = _onlyRemoteSelf();
        IERC7802(token).crosschainMint(to, amount);
        emit ReceivedERC20(token, from, to, amount, source);
    }

    /// @notice Mints bridged tokens and calls the recipient's hook.
    function receiveERC20AndCall(address token, address from, address to, uint256 amount, bytes calldata data)
        external
        returns (bytes memory)
    {
        uint256 source = _onlyRemoteSelf();
        IERC7802(token).crosschainMint(to, amount);
        emit ReceivedERC20(token, from, to, amount, source);
        return IAtomicBridgeRecipient(to).onAtomicBridgeERC20(token, from, amount, source, data);
    }

    /// @notice Forwards the bridged ETH (paid by the mailbox's pool) to `to`.
    function receiveETH(address from, address to) external payable {
        uint256 source = _onlyRemoteSelf();
        (bool ok,) = to.call{value: msg.value}("");
        if (!ok) revert ETHTransferFailed();
        emit ReceivedETH(from, to, msg.value, source);
    }

    // --------------------------------------------------------------------- internal

    function _burn(address token, address to, uint256 amount) internal {
        if (to == address(0)) revert ZeroAddress();
        if (!_isERC7802(token)) revert InvalidERC7802();
        IERC7802(token).crosschainBurn(msg.sender, amount);
    }

    function _onlyRemoteSelf() internal view returns (uint256 source) {
        if (msg.sender != MAILBOX) revert Unauthorized();
        if (IMailbox(MAILBOX).xMsgSender() != address(this)) revert InvalidCrossDomainSender();
        source = IMailbox(MAILBOX).xMsgSourceChain();
    }

    function _isERC7802(address token) internal view returns (bool) {
        if (token.code.length == 0) return false;
        try IERC165(token).supportsInterface(type(IERC7802).interfaceId) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }
}
