// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Burner} from "./Burner.sol";
import {SettlementTypes} from "./SettlementTypes.sol";

/// @title L2ToL1MessagePasser
/// @notice OP's L2ToL1MessagePasser predeploy (0x4200000000000000000000000000000000000016):
///         where withdrawals to the L1 start. Same ABI, events, hashes and storage as OP's
///         (1.1.1-beta.1): `sentMessages[withdrawalHash] = true` in slot 0's mapping is what a
///         withdrawal proof proves against this contract's storage root, which the output root
///         commits to. The withdrawn ETH stays here until anyone calls `burn()`.
///
/// Storage: slot 0 sentMessages (bytes32 => bool), slot 1 msgNonce (uint240).
contract L2ToL1MessagePasser {
    /// @notice Gas limit on the L1 of a withdrawal made by sending ETH here.
    uint256 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Version in the top two bytes of every message nonce.
    uint16 public constant MESSAGE_VERSION = 1;

    string public constant version = "1.1.1-beta.1";

    /// @notice The hashes of every withdrawal initiated here.
    mapping(bytes32 => bool) public sentMessages;

    uint240 internal msgNonce;

    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice Sending ETH here withdraws it to the sender's address on the L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// @notice Takes the ETH of withdrawals out of circulation on this chain (it is paid out
    ///         on the L1). Anyone may call it.
    function burn() external {
        uint256 balance = address(this).balance;
        new Burner{value: balance}();
        emit WithdrawerBalanceBurnt(balance);
    }

    /// @notice Starts a withdrawal: `_target` is called on the L1 with `msg.value`, `_data` and
    ///         at least `_gasLimit` gas once the withdrawal is proven and finalized there.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = SettlementTypes.hashWithdrawal(
            SettlementTypes.WithdrawalTransaction({
                nonce: nonce,
                sender: msg.sender,
                target: _target,
                value: msg.value,
                gasLimit: _gasLimit,
                data: _data
            })
        );
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }

    /// @notice The nonce of the next withdrawal, with MESSAGE_VERSION in its top two bytes.
    function messageNonce() public view returns (uint256) {
        return SettlementTypes.encodeVersionedNonce(msgNonce, MESSAGE_VERSION);
    }
}
