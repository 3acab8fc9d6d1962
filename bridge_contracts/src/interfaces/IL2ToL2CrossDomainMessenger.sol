// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Identifier of a log on another chain (OP interop, ICrossL2Inbox.Identifier).
struct Identifier {
    address origin;
    uint256 blockNumber;
    uint256 logIndex;
    uint256 timestamp;
    uint256 chainId;
}

/// @title IL2ToL2CrossDomainMessenger
/// @notice OP Stack interop messenger interface (same ABI as OP's predeploy at 0x...0023).
interface IL2ToL2CrossDomainMessenger {
    event SentMessage(
        uint256 indexed destination, address indexed target, uint256 indexed messageNonce, address sender, bytes message
    );
    event RelayedMessage(
        uint256 indexed source, uint256 indexed messageNonce, bytes32 indexed messageHash, bytes32 returnDataHash
    );

    function version() external view returns (string memory);

    function messageVersion() external view returns (uint16);

    function sentMessages(bytes32 msgHash) external view returns (bool);

    function successfulMessages(bytes32 msgHash) external view returns (bool);

    function messageNonce() external view returns (uint256);

    function crossDomainMessageSender() external view returns (address sender_);

    function crossDomainMessageSource() external view returns (uint256 source_);

    function crossDomainMessageContext() external view returns (address sender_, uint256 source_);

    function sendMessage(uint256 _destination, address _target, bytes calldata _message) external returns (bytes32);

    function resendMessage(
        uint256 _destination,
        uint256 _nonce,
        address _sender,
        address _target,
        bytes calldata _message
    ) external returns (bytes32 messageHash_);

    function relayMessage(Identifier calldata _id, bytes calldata _sentMessage)
        external
        payable
        returns (bytes memory returnData_);
}
