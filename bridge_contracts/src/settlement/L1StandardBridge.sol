// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1CrossDomainMessenger} from "./L1CrossDomainMessenger.sol";

/// @title L1StandardBridge
/// @notice The ETH half of OP's L1StandardBridge for one rollup: `bridgeETH`, `bridgeETHTo`,
///         `depositETH`, `depositETHTo` and a plain ETH send, from an EOA, emit OP's
///         `ETHDepositInitiated` and `ETHBridgeInitiated` and send the ETH through the
///         rollup's L1CrossDomainMessenger to the recipient, who receives it on the rollup.
///         `_extraData` is only echoed in the events (OP passes it to the L2 bridge, which
///         only echoes it too). ERC-20 deposits and withdrawals are not emulated.
contract L1StandardBridge {
    /// @notice OP's gas limit for a plain ETH send to the bridge.
    uint32 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 200_000;
    /// @notice OP's L2StandardBridge predeploy, the bridge on the other side.
    address public constant OTHER_BRIDGE = 0x4200000000000000000000000000000000000010;

    /// @notice The rollup's L1CrossDomainMessenger (slot 0).
    L1CrossDomainMessenger public messenger;

    event ETHDepositInitiated(address indexed from, address indexed to, uint256 amount, bytes extraData);
    event ETHBridgeInitiated(address indexed from, address indexed to, uint256 amount, bytes extraData);

    modifier onlyEOA() {
        require(msg.sender == tx.origin, "StandardBridge: function can only be called from an EOA");
        _;
    }

    constructor(L1CrossDomainMessenger _messenger) {
        messenger = _messenger;
    }

    function version() public pure returns (string memory) {
        return "2.2.1-beta.1";
    }

    function MESSENGER() external view returns (L1CrossDomainMessenger) {
        return messenger;
    }

    function paused() public pure returns (bool) {
        return false;
    }

    /// @notice Sending ETH here deposits it to the sender on the rollup.
    receive() external payable onlyEOA {
        _initiateETHDeposit(msg.sender, msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    function depositETH(uint32 _minGasLimit, bytes calldata _extraData) external payable onlyEOA {
        _initiateETHDeposit(msg.sender, msg.sender, _minGasLimit, _extraData);
    }

    function depositETHTo(address _to, uint32 _minGasLimit, bytes calldata _extraData) external payable {
        _initiateETHDeposit(msg.sender, _to, _minGasLimit, _extraData);
    }

    function bridgeETH(uint32 _minGasLimit, bytes calldata _extraData) external payable onlyEOA {
        _initiateETHDeposit(msg.sender, msg.sender, _minGasLimit, _extraData);
    }

    function bridgeETHTo(address _to, uint32 _minGasLimit, bytes calldata _extraData) external payable {
        _initiateETHDeposit(msg.sender, _to, _minGasLimit, _extraData);
    }

    function _initiateETHDeposit(address _from, address _to, uint32 _minGasLimit, bytes memory _extraData) internal {
        emit ETHDepositInitiated(_from, _to, msg.value, _extraData);
        emit ETHBridgeInitiated(_from, _to, msg.value, _extraData);
        messenger.sendMessage{value: msg.value}(_to, bytes(""), _minGasLimit);
    }
}
