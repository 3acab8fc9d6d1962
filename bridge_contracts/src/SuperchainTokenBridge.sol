// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "./interfaces/IERC165.sol";
import {IERC7802} from "./interfaces/IERC7802.sol";
import {IL2ToL2CrossDomainMessenger} from "./interfaces/IL2ToL2CrossDomainMessenger.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title SuperchainTokenBridge
/// @notice OP's asynchronous SuperchainERC20 bridge, at 0x4200000000000000000000000000000000000028
///         on every chain (genesis code, no constructor, no storage). `sendERC20` burns on the
///         source chain and sends a message through the L2ToL2CrossDomainMessenger; the
///         sequencer relays it in a later superblock, and `relayERC20` mints on the
///         destination. Same ABI, events and errors as OP's predeploy.
contract SuperchainTokenBridge {
    address internal constant MESSENGER = Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER;

    /// @notice Semantic version (OP's SuperchainTokenBridge that this contract emulates).
    string public constant version = "1.0.0";

    error ZeroAddress();
    error Unauthorized();
    error InvalidCrossDomainSender();
    error InvalidERC7802();

    event SendERC20(
        address indexed token, address indexed from, address indexed to, uint256 amount, uint256 destination
    );
    event RelayERC20(address indexed token, address indexed from, address indexed to, uint256 amount, uint256 source);

    /// @notice Burns `_amount` of `_token` from the caller and sends a message minting it to
    ///         `_to` on `_chainId`. Returns the messenger's message hash.
    function sendERC20(address _token, address _to, uint256 _amount, uint256 _chainId)
        external
        returns (bytes32 msgHash_)
    {
        if (_to == address(0)) revert ZeroAddress();
        if (!_isERC7802(_token)) revert InvalidERC7802();

        IERC7802(_token).crosschainBurn(msg.sender, _amount);
        bytes memory message = abi.encodeCall(this.relayERC20, (_token, msg.sender, _to, _amount));
        msgHash_ = IL2ToL2CrossDomainMessenger(MESSENGER).sendMessage(_chainId, address(this), message);
        emit SendERC20(_token, msg.sender, _to, _amount, _chainId);
    }

    /// @notice Mints the bridged tokens; only the messenger relaying a message from this bridge.
    function relayERC20(address _token, address _from, address _to, uint256 _amount) external {
        if (msg.sender != MESSENGER) revert Unauthorized();
        (address crossDomainMessageSender, uint256 source) =
            IL2ToL2CrossDomainMessenger(MESSENGER).crossDomainMessageContext();
        if (crossDomainMessageSender != address(this)) revert InvalidCrossDomainSender();

        IERC7802(_token).crosschainMint(_to, _amount);
        emit RelayERC20(_token, _from, _to, _amount, source);
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
