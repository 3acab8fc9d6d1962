// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMailbox
/// @notice Synchronous cross-rollup calls, executed atomically by xrollup's shared sequencer.
///         See bridge_contracts/README.md for the protocol.
interface IMailbox {
    /// @notice Raised by `xcall` when the inbox holds no response for the request yet. The
    ///         sequencer looks for this revert *coming from the mailbox address* anywhere in
    ///         the call tree of a simulated transaction, executes the request on `dstChain`
    ///         and pre-fills the inbox with `putResponse`. The source chain is the chain that
    ///         raised it (block.chainid); the request id is
    ///         keccak256(abi.encode(srcChain, dstChain, nonce, sender, target, value, data)).
    error MissingResponse(uint256 dstChain, uint256 nonce, address sender, address target, uint256 value, bytes data);
    /// @notice `putResponse` / `execute` called by anyone but the sequencer.
    error OnlySequencer();
    /// @notice `xMsgSender` / `xMsgSourceChain` called outside of an `execute`.
    error NotInXCall();
    /// @notice `xcall` to chain id 0 or to the current chain.
    error InvalidDestination(uint256 chainId);
    /// @notice `execute` from chain id 0 or from the current chain.
    error InvalidSource(uint256 chainId);
    /// @notice `execute` of a request that already executed successfully.
    error AlreadyExecuted(bytes32 requestId);
    /// @notice `xcall` / `putResponse` for a response that was already consumed.
    error ResponseAlreadyConsumed(bytes32 requestId);

    /// @notice A request was sent and its (successful) response consumed, on the source chain.
    event XCall(
        uint256 indexed dstChain,
        uint256 indexed nonce,
        address indexed sender,
        address target,
        uint256 value,
        bytes32 requestId,
        bool success
    );
    /// @notice A request from `srcChain` was executed on this (destination) chain.
    event XCallExecuted(
        uint256 indexed srcChain, uint256 indexed nonce, bytes32 indexed requestId, bool success, bytes returnData
    );
    /// @notice The sequencer stored a response in this (source) chain's inbox.
    event ResponseStored(uint256 indexed dstChain, bytes32 indexed requestId, bool success);

    function xcall(uint256 chainId, address target, bytes calldata data) external payable returns (bytes memory);

    /// @notice Sequencer only: store the response to `requestId`. `dstChain`'s low 64 bits are
    ///         the destination chain; bits 128-191 the far side's cost in this chain's gas,
    ///         which the `xcall` that meets the response burns (zero: nothing to pay).
    function putResponse(uint256 dstChain, bytes32 requestId, bool success, bytes calldata returnData) external;

    /// @notice Sequencer only: drop a pre-filled response that its transaction did not consume
    ///         (a failure caught with try/catch rolls the xcall back, nonce included, so an
    ///         identical later call would otherwise meet the stale response).
    function clearResponse(bytes32 requestId) external;

    function execute(
        uint256 srcChain,
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        bytes calldata data
    ) external returns (bool success, bytes memory returnData);

    function xMsgSender() external view returns (address);

    function xMsgSourceChain() external view returns (uint256);

    function requestsOut(uint256 chainId) external view returns (bytes32);

    function requestsIn(uint256 chainId) external view returns (bytes32);

    function responsesOut(uint256 chainId) external view returns (bytes32);

    function responsesIn(uint256 chainId) external view returns (bytes32);

    function outNonce(uint256 chainId) external view returns (uint256);

    function executed(bytes32 requestId) external view returns (bool);

    function getResponse(bytes32 requestId) external view returns (bool filled, bool success, bytes memory returnData);

    function responseConsumed(bytes32 requestId) external view returns (bool);

    function computeRequestId(
        uint256 srcChain,
        uint256 dstChain,
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        bytes calldata data
    ) external pure returns (bytes32);
}
