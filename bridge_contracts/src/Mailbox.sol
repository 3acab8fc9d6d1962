// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMailbox} from "./interfaces/IMailbox.sol";
import {Predeploys} from "./libraries/Predeploys.sol";

/// @title Mailbox
/// @notice xrollup's synchronous cross-rollup call predeploy, at
///         Predeploys.MAILBOX (0x4200000000000000000000000000000000000100) on every chain.
///         Genesis places the runtime code there (no constructor, no immutables) and funds the
///         account with a large ETH balance: that balance is the liquidity pool paying out the
///         `value` of requests executed here, while `value` sent with `xcall` stays locked here.
///
/// Protocol (executed by the shared sequencer, see bridge_contracts/README.md):
///  - Source chain A: `xcall(B, target, data)` assigns nonce = outNonce[B]++ and looks the
///    request id up in the inbox. Missing -> `MissingResponse(...)`; the sequencer executes
///    the request on B with `execute`, stores the response on A with `putResponse` and
///    re-simulates. Success -> rolling hashes updated, returns the far side's return data.
///    Failure -> reverts with the far side's revert data, verbatim.
///  - Destination chain B: `execute(A, nonce, sender, target, value, data)` (sequencer only)
///    calls `target` with `value` (from the pool) while `xMsgSender()`/`xMsgSourceChain()`
///    report `sender`/A; never reverts because the target reverted.
///  - Rolling hashes, per peer chain, only over *successful* requests (a failed request
///    reverts `xcall` on A, so it never happened there; `execute` on B leaves them untouched
///    too). Invariant: A.requestsOut[B] == B.requestsIn[A] and B.responsesOut[A] == A.responsesIn[B].
///      requests  h' = keccak256(abi.encode(h, requestId))
///      responses h' = keccak256(abi.encode(h, requestId, success, keccak256(returnData)))
///
/// Storage layout (nothing needs to be set at genesis; all zero initially):
///   slot 0 outNonce, 1 requestsOut, 2 requestsIn, 3 responsesOut, 4 responsesIn,
///   5 _responses (bytes32 => Response), 6 executed.
///   Transient: XMSG_SENDER_SLOT, XMSG_SOURCE_SLOT (the execute context).
contract Mailbox is IMailbox {
    /// @notice The sequencer's system address, the only caller of putResponse and execute.
    ///         Address of the private key keccak256("xrollup sequencer").
    address public constant SEQUENCER = Predeploys.SEQUENCER;

    /// @dev keccak256("xrollup.mailbox.xMsgSender") and keccak256("xrollup.mailbox.xMsgSourceChain").
    bytes32 internal constant XMSG_SENDER_SLOT = keccak256("xrollup.mailbox.xMsgSender");
    bytes32 internal constant XMSG_SOURCE_SLOT = keccak256("xrollup.mailbox.xMsgSourceChain");

    struct Response {
        bool filled;
        bool success;
        bool consumed;
        bytes returnData;
    }

    /// @inheritdoc IMailbox
    mapping(uint256 => uint256) public outNonce;
    /// @inheritdoc IMailbox
    mapping(uint256 => bytes32) public requestsOut;
    /// @inheritdoc IMailbox
    mapping(uint256 => bytes32) public requestsIn;
    /// @inheritdoc IMailbox
    mapping(uint256 => bytes32) public responsesOut;
    /// @inheritdoc IMailbox
    mapping(uint256 => bytes32) public responsesIn;
    mapping(bytes32 => Response) internal _responses;
    /// @inheritdoc IMailbox
    mapping(bytes32 => bool) public executed;

    modifier onlySequencer() {
        if (msg.sender != SEQUENCER) revert OnlySequencer();
        _;
    }

    // ------------------------------------------------------------------ source side

    /// @inheritdoc IMailbox
    function xcall(uint256 chainId, address target, bytes calldata data) external payable returns (bytes memory) {
        if (chainId == 0 || chainId == block.chainid) revert InvalidDestination(chainId);
        uint256 nonce = outNonce[chainId]++;
        bytes32 requestId = _requestId(block.chainid, chainId, nonce, msg.sender, target, msg.value, data);

        Response storage r = _responses[requestId];
        if (!r.filled) revert MissingResponse(chainId, nonce, msg.sender, target, msg.value, data);
        if (r.consumed) revert ResponseAlreadyConsumed(requestId);

        bytes memory ret = r.returnData;
        if (!r.success) {
            // The far side reverted: revert with its data, exactly. Everything above (nonce,
            // value transfer) is undone with it: the request did not happen.
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        r.consumed = true;
        requestsOut[chainId] = keccak256(abi.encode(requestsOut[chainId], requestId));
        responsesIn[chainId] = keccak256(abi.encode(responsesIn[chainId], requestId, true, keccak256(ret)));
        emit XCall(chainId, nonce, msg.sender, target, msg.value, requestId, true);
        return ret;
    }

    /// @inheritdoc IMailbox
    function putResponse(uint256 dstChain, bytes32 requestId, bool success, bytes calldata returnData)
        external
        onlySequencer
    {
        Response storage r = _responses[requestId];
        if (r.consumed) revert ResponseAlreadyConsumed(requestId);
        r.filled = true;
        r.success = success;
        r.returnData = returnData;
        emit ResponseStored(dstChain, requestId, success);
    }

    /// @inheritdoc IMailbox
    function clearResponse(bytes32 requestId) external onlySequencer {
        Response storage r = _responses[requestId];
        if (r.consumed) revert ResponseAlreadyConsumed(requestId);
        delete _responses[requestId];
    }

    // ------------------------------------------------------------- destination side

    /// @inheritdoc IMailbox
    function execute(
        uint256 srcChain,
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        bytes calldata data
    ) external onlySequencer returns (bool success, bytes memory returnData) {
        if (srcChain == 0 || srcChain == block.chainid) revert InvalidSource(srcChain);
        bytes32 requestId = _requestId(srcChain, block.chainid, nonce, sender, target, value, data);
        if (executed[requestId]) revert AlreadyExecuted(requestId);

        (address prevSender, uint256 prevSource) = _context();
        _setContext(sender, srcChain);
        (success, returnData) = target.call{value: value}(data);
        _setContext(prevSender, prevSource);

        if (success) {
            executed[requestId] = true;
            requestsIn[srcChain] = keccak256(abi.encode(requestsIn[srcChain], requestId));
            responsesOut[srcChain] =
                keccak256(abi.encode(responsesOut[srcChain], requestId, true, keccak256(returnData)));
        }
        emit XCallExecuted(srcChain, nonce, requestId, success, returnData);
    }

    /// @inheritdoc IMailbox
    function xMsgSender() external view returns (address sender) {
        uint256 source;
        (sender, source) = _context();
        if (source == 0) revert NotInXCall();
    }

    /// @inheritdoc IMailbox
    function xMsgSourceChain() external view returns (uint256 source) {
        (, source) = _context();
        if (source == 0) revert NotInXCall();
    }

    // ------------------------------------------------------------------------ views

    /// @inheritdoc IMailbox
    function getResponse(bytes32 requestId) external view returns (bool filled, bool success, bytes memory returnData) {
        Response storage r = _responses[requestId];
        return (r.filled, r.success, r.returnData);
    }

    /// @inheritdoc IMailbox
    function responseConsumed(bytes32 requestId) external view returns (bool) {
        return _responses[requestId].consumed;
    }

    /// @inheritdoc IMailbox
    function computeRequestId(
        uint256 srcChain,
        uint256 dstChain,
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        bytes calldata data
    ) external pure returns (bytes32) {
        return _requestId(srcChain, dstChain, nonce, sender, target, value, data);
    }

    // --------------------------------------------------------------------- internal

    function _requestId(
        uint256 srcChain,
        uint256 dstChain,
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        bytes calldata data
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(srcChain, dstChain, nonce, sender, target, value, data));
    }

    function _context() internal view returns (address sender, uint256 source) {
        bytes32 senderSlot = XMSG_SENDER_SLOT;
        bytes32 sourceSlot = XMSG_SOURCE_SLOT;
        assembly ("memory-safe") {
            sender := tload(senderSlot)
            source := tload(sourceSlot)
        }
    }

    function _setContext(address sender, uint256 source) internal {
        bytes32 senderSlot = XMSG_SENDER_SLOT;
        bytes32 sourceSlot = XMSG_SOURCE_SLOT;
        assembly ("memory-safe") {
            tstore(senderSlot, sender)
            tstore(sourceSlot, source)
        }
    }
}
