// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IETHLiquidity} from "./interfaces/IETHLiquidity.sol";
import {IL2ToL2CrossDomainMessenger} from "./interfaces/IL2ToL2CrossDomainMessenger.sol";
import {Predeploys} from "./libraries/Predeploys.sol";
import {SafeSend} from "./libraries/SafeSend.sol";

/// @title SuperchainETHBridge
/// @notice OP's asynchronous ETH bridge, at 0x4200000000000000000000000000000000000024 on every
///         chain (genesis code, no constructor, no storage). `sendETH` burns the value into
///         ETHLiquidity and sends `relayETH(from, to, amount)` to this contract on the
///         destination through the L2ToL2CrossDomainMessenger; the sequencer relays it in a
///         later superblock, and `relayETH` mints the amount out of ETHLiquidity and forces it
///         to the recipient (no call). Same ABI, events and errors as OP's (semver 1.0.1).
contract SuperchainETHBridge {
    address internal constant MESSENGER = Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER;

    /// @notice Semantic version (OP's SuperchainETHBridge that this contract emulates).
    string public constant version = "1.0.1";

    error ZeroAddress();
    error Unauthorized();
    error InvalidCrossDomainSender();

    event SendETH(address indexed from, address indexed to, uint256 amount, uint256 destination);
    event RelayETH(address indexed from, address indexed to, uint256 amount, uint256 source);

    /// @notice Sends `msg.value` to `_to` on chain `_chainId`. Returns the messenger's message hash.
    function sendETH(address _to, uint256 _chainId) external payable returns (bytes32 msgHash_) {
        if (_to == address(0)) revert ZeroAddress();

        IETHLiquidity(Predeploys.ETH_LIQUIDITY).burn{value: msg.value}();
        msgHash_ = IL2ToL2CrossDomainMessenger(MESSENGER).sendMessage(
            _chainId, address(this), abi.encodeCall(this.relayETH, (msg.sender, _to, msg.value))
        );
        emit SendETH(msg.sender, _to, msg.value, _chainId);
    }

    /// @notice Pays out ETH sent from another chain; only the messenger relaying a message
    ///         from this bridge.
    function relayETH(address _from, address _to, uint256 _amount) external {
        if (msg.sender != MESSENGER) revert Unauthorized();
        (address crossDomainMessageSender, uint256 source) =
            IL2ToL2CrossDomainMessenger(MESSENGER).crossDomainMessageContext();
        if (crossDomainMessageSender != address(this)) revert InvalidCrossDomainSender();

        IETHLiquidity(Predeploys.ETH_LIQUIDITY).mint(_amount);
        new SafeSend{value: _amount}(payable(_to));
        emit RelayETH(_from, _to, _amount, source);
    }
}
