// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OptimismPortal} from "./OptimismPortal.sol";
import {SettlementTypes} from "./SettlementTypes.sol";

/// @title L1CrossDomainMessenger
/// @notice The L1 end of OP's CrossDomainMessenger for one rollup, reduced to what a deposit
///         needs: `sendMessage` deposits `msg.value` and the call through the rollup's
///         OptimismPortal, and emits OP's `SentMessage` and `SentMessageExtension1` with OP's
///         versioned nonce. xrollup's rollups have no L2CrossDomainMessenger predeploy to relay
///         through, so the portal's deposit calls `_target` itself (with `_message` as its
///         calldata and the value): on the rollup the call comes from this messenger's aliased
///         address, where OP's would come from the L2CrossDomainMessenger after a relay.
///         Withdrawals (`relayMessage` on the L1) are not emulated.
contract L1CrossDomainMessenger {
    /// @notice OP's message version: the top two bytes of every nonce.
    uint16 public constant MESSAGE_VERSION = 1;
    /// @notice OP's L2CrossDomainMessenger predeploy, the messenger on the other side.
    address public constant OTHER_MESSENGER = 0x4200000000000000000000000000000000000007;

    /// @notice The rollup's portal (slot 0).
    OptimismPortal public portal;
    /// @notice Messages sent so far (slot 1).
    uint240 internal msgNonce;

    event SentMessage(address indexed target, address sender, bytes message, uint256 messageNonce, uint256 gasLimit);
    event SentMessageExtension1(address indexed sender, uint256 value);

    constructor(OptimismPortal _portal) {
        portal = _portal;
    }

    function version() public pure returns (string memory) {
        return "2.4.1-beta.2";
    }

    function PORTAL() external view returns (OptimismPortal) {
        return portal;
    }

    /// @notice The nonce of the next message, with the message version in its top two bytes.
    function messageNonce() public view returns (uint256) {
        return SettlementTypes.encodeVersionedNonce(msgNonce, MESSAGE_VERSION);
    }

    /// @notice The L2 gas of a message of `_message` with `_minGasLimit` for its call: the
    ///         call's gas on top of what the portal requires of a deposit of that calldata.
    function baseGas(bytes calldata _message, uint32 _minGasLimit) public view returns (uint64) {
        return portal.minimumGasLimit(uint64(_message.length)) + _minGasLimit;
    }

    /// @notice Sends `_message` to `_target` on the rollup with `msg.value`, through a deposit.
    function sendMessage(address _target, bytes calldata _message, uint32 _minGasLimit) external payable {
        emit SentMessage(_target, msg.sender, _message, messageNonce(), _minGasLimit);
        emit SentMessageExtension1(msg.sender, msg.value);
        unchecked {
            ++msgNonce;
        }
        portal.depositTransaction{value: msg.value}(_target, msg.value, baseGas(_message, _minGasLimit), false, _message);
    }
}
