// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICrossL2Inbox} from "./interfaces/ICrossL2Inbox.sol";
import {Identifier, IL2ToL2CrossDomainMessenger} from "./interfaces/IL2ToL2CrossDomainMessenger.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title L2ToL2CrossDomainMessenger
/// @notice Asynchronous messaging with the ABI, errors, events and message format of OP's interop
///         predeploy (0x4200000000000000000000000000000000000023 on every chain; genesis places
///         the runtime code, no constructor, no immutables). Semver 1.1.0: OP's messenger with
///         `sentMessages` and `resendMessage`, the ABI of the eth-optimism viem package.
///
///         Relaying is permissionless, as in OP: anyone may call `relayMessage(id, sentMessage)`
///         with the identifier of a SentMessage log on the source chain; the log is validated by
///         CrossL2Inbox.validateMessage(id, keccak256(sentMessage)) (the transaction must declare
///         the identifier's checksum in its access list, and the sequencer checks at submission
///         that the declared log exists). The sequencer relays every SentMessage log itself, in a
///         later superblock, with the same call and access list a user would send.
///
///         A relay whose target reverts reverts with the target's revert data (as in OP), is not
///         marked successful and may be relayed again by anyone; `resendMessage` re-emits the
///         SentMessage log of a message sent from this chain, which the sequencer relays anew.
///
///         How a SentMessage log L emitted by this contract on chain S is relayed:
///           id = Identifier(origin = 0x4200000000000000000000000000000000000023,
///                           blockNumber = L's block number on S, logIndex = L's index in
///                           that block, timestamp = that block's timestamp, chainId = S)
///           sentMessage = abi.encodePacked(L.topics[0], L.topics[1], L.topics[2], L.topics[3], L.data)
///                       = SentMessage.selector ++ destination ++ target ++ nonce ++ abi.encode(sender, message)
///           call relayMessage(id, sentMessage) on the destination chain, with the access list
///           {CrossL2Inbox: [lookup entry of id, calculateChecksum(id, keccak256(sentMessage))]}.
///
/// Storage layout (as OP): slot 0 successfulMessages, slot 1 msgNonce (uint240), slot 2 sentMessages.
contract L2ToL2CrossDomainMessenger is IL2ToL2CrossDomainMessenger {
    /// @notice Semantic version (OP's messenger that this contract emulates).
    string public constant version = "1.1.0";

    /// @notice Version of the message nonce encoding (upper 16 bits of messageNonce()).
    uint16 public constant messageVersion = uint16(0);

    /// @notice keccak256("SentMessage(uint256,address,uint256,address,bytes)").
    bytes32 public constant SENT_MESSAGE_EVENT_SELECTOR =
        0x382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320;

    /// @dev Same transient slots as OP's messenger.
    bytes32 internal constant CROSS_DOMAIN_MESSAGE_SENDER_SLOT =
        0xb83444d07072b122e2e72a669ce32857d892345c19856f4e7142d06a167ab3f3;
    bytes32 internal constant CROSS_DOMAIN_MESSAGE_SOURCE_SLOT =
        0x711dfa3259c842fffc17d6e1f1e0fc5927756133a2345ca56b4cb8178589fee7;
    /// @dev Transient reentrancy flag (set while a relay is running).
    bytes32 internal constant ENTERED_SLOT = keccak256("xrollup.l2tol2cdm.entered");

    /// @notice Hashes of the messages relayed successfully on this chain.
    mapping(bytes32 => bool) public successfulMessages;
    /// @dev Nonce of the next message sent from this chain.
    uint240 internal msgNonce;
    /// @notice Hashes of the messages sent from this chain (what `resendMessage` may re-emit).
    mapping(bytes32 => bool) public sentMessages;

    error NotEntered();
    error ReentrantCall();
    error IdOriginNotL2ToL2CrossDomainMessenger();
    error EventPayloadNotSentMessage();
    error MessageDestinationSameChain();
    error MessageDestinationNotRelayChain();
    error MessageTargetCrossL2Inbox();
    error MessageTargetL2ToL2CrossDomainMessenger();
    error MessageAlreadyRelayed();
    error InvalidMessage();

    modifier onlyEntered() {
        if (!_entered()) revert NotEntered();
        _;
    }

    /// @notice Versioned nonce of the next message: (messageVersion << 240) | msgNonce.
    function messageNonce() public view returns (uint256) {
        return (uint256(messageVersion) << 240) | uint256(msgNonce);
    }

    function crossDomainMessageSender() external view onlyEntered returns (address sender_) {
        bytes32 slot = CROSS_DOMAIN_MESSAGE_SENDER_SLOT;
        assembly ("memory-safe") {
            sender_ := tload(slot)
        }
    }

    function crossDomainMessageSource() external view onlyEntered returns (uint256 source_) {
        bytes32 slot = CROSS_DOMAIN_MESSAGE_SOURCE_SLOT;
        assembly ("memory-safe") {
            source_ := tload(slot)
        }
    }

    function crossDomainMessageContext() external view onlyEntered returns (address sender_, uint256 source_) {
        bytes32 senderSlot = CROSS_DOMAIN_MESSAGE_SENDER_SLOT;
        bytes32 sourceSlot = CROSS_DOMAIN_MESSAGE_SOURCE_SLOT;
        assembly ("memory-safe") {
            sender_ := tload(senderSlot)
            source_ := tload(sourceSlot)
        }
    }

    /// @notice Sends `_message` to `_target` on chain `_destination`; relayed by the sequencer
    ///         in a later superblock (or by anyone). Returns the message hash
    ///         keccak256(abi.encode(destination, source, nonce, sender, target, message)).
    function sendMessage(uint256 _destination, address _target, bytes calldata _message)
        external
        returns (bytes32 messageHash_)
    {
        if (_destination == block.chainid) revert MessageDestinationSameChain();
        if (_target == Predeploys.CROSS_L2_INBOX) revert MessageTargetCrossL2Inbox();
        if (_target == Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER) revert MessageTargetL2ToL2CrossDomainMessenger();

        uint256 nonce = messageNonce();
        messageHash_ = _hashMessage(_destination, block.chainid, nonce, msg.sender, _target, _message);
        sentMessages[messageHash_] = true;
        msgNonce++;
        emit SentMessage(_destination, _target, nonce, msg.sender, _message);
    }

    /// @notice Re-emits the SentMessage log of a message sent from this chain, so that it is
    ///         relayed again (a relay that failed may succeed once its target is fixed).
    ///         Reverts `InvalidMessage()` for a message this chain never sent. Re-emitting a
    ///         message already relayed has no effect on the destination.
    function resendMessage(
        uint256 _destination,
        uint256 _nonce,
        address _sender,
        address _target,
        bytes calldata _message
    ) external returns (bytes32 messageHash_) {
        messageHash_ = _hashMessage(_destination, block.chainid, _nonce, _sender, _target, _message);
        if (!sentMessages[messageHash_]) revert InvalidMessage();
        emit SentMessage(_destination, _target, _nonce, _sender, _message);
    }

    /// @notice Relays a message sent on chain `_id.chainId`; anyone may call it. Reverts with
    ///         the target's revert data if the target reverts (the message stays relayable).
    function relayMessage(Identifier calldata _id, bytes calldata _sentMessage)
        external
        payable
        returns (bytes memory returnData_)
    {
        if (_entered()) revert ReentrantCall();
        if (_id.origin != Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER) revert IdOriginNotL2ToL2CrossDomainMessenger();

        ICrossL2Inbox(Predeploys.CROSS_L2_INBOX).validateMessage(_id, keccak256(_sentMessage));

        (uint256 destination, address target, uint256 nonce, address sender, bytes memory message) =
            _decodeSentMessagePayload(_sentMessage);
        if (destination != block.chainid) revert MessageDestinationNotRelayChain();
        if (target == Predeploys.CROSS_L2_INBOX) revert MessageTargetCrossL2Inbox();
        if (target == Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER) revert MessageTargetL2ToL2CrossDomainMessenger();

        uint256 source = _id.chainId;
        bytes32 messageHash = _hashMessage(destination, source, nonce, sender, target, message);
        if (successfulMessages[messageHash]) revert MessageAlreadyRelayed();

        _setContext(true, sender, source);
        bool success;
        (success, returnData_) = target.call{value: msg.value}(message);
        if (!success) {
            assembly ("memory-safe") {
                revert(add(32, returnData_), mload(returnData_))
            }
        }
        successfulMessages[messageHash] = true;
        emit RelayedMessage(source, nonce, messageHash, keccak256(returnData_));
        _setContext(false, address(0), 0);
    }

    function _decodeSentMessagePayload(bytes calldata _payload)
        internal
        pure
        returns (uint256 destination_, address target_, uint256 nonce_, address sender_, bytes memory message_)
    {
        if (_payload.length < 128) revert EventPayloadNotSentMessage();
        // Selector (topic 0)
        bytes32 selector = abi.decode(_payload[:32], (bytes32));
        if (selector != SentMessage.selector) revert EventPayloadNotSentMessage();
        // Topics 1..3
        (destination_, target_, nonce_) = abi.decode(_payload[32:128], (uint256, address, uint256));
        // Data
        (sender_, message_) = abi.decode(_payload[128:], (address, bytes));
    }

    function _hashMessage(
        uint256 _destination,
        uint256 _source,
        uint256 _nonce,
        address _sender,
        address _target,
        bytes memory _message
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(_destination, _source, _nonce, _sender, _target, _message));
    }

    function _entered() internal view returns (bool entered_) {
        bytes32 slot = ENTERED_SLOT;
        assembly ("memory-safe") {
            entered_ := tload(slot)
        }
    }

    function _setContext(bool entered_, address sender_, uint256 source_) internal {
        bytes32 enteredSlot = ENTERED_SLOT;
        bytes32 senderSlot = CROSS_DOMAIN_MESSAGE_SENDER_SLOT;
        bytes32 sourceSlot = CROSS_DOMAIN_MESSAGE_SOURCE_SLOT;
        assembly ("memory-safe") {
            tstore(enteredSlot, entered_)
            tstore(senderSlot, sender_)
            tstore(sourceSlot, source_)
        }
    }
}
