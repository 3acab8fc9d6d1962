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
///
/// The hot paths (xcall, putResponse, execute) run once or twice per cross-rollup call in
/// py-evm's interpreter, where every opcode counts; they are written in assembly against this
/// layout (the SLOT_* constants) and do exactly what the Solidity they replace did: same
/// storage writes, same events, same return and revert data.
contract Mailbox is IMailbox {
    /// @notice The sequencer's system address, the only caller of putResponse and execute.
    ///         Address of the private key keccak256("xrollup sequencer").
    address public constant SEQUENCER = Predeploys.SEQUENCER;

    /// @notice Semantic version of xrollup's mailbox.
    string public constant version = "1.0.0";

    /// @dev keccak256("xrollup.mailbox.xMsgSender") and keccak256("xrollup.mailbox.xMsgSourceChain"),
    ///      as literals so that assembly can use them (checked by the tests).
    uint256 internal constant XMSG_SENDER_SLOT = 0xf54dca2db3dc70a16049c25fa424561ffd0e76060487cc1571f66276ff5c79ee;
    uint256 internal constant XMSG_SOURCE_SLOT = 0xa3c3e9b8bba4dad25e0b2ba48a0426180dc2cde158dc49f84d42845b0f45761c;

    /// @dev Storage slots of the mappings below (asserted by the tests against the layout).
    uint256 internal constant SLOT_OUT_NONCE = 0;
    uint256 internal constant SLOT_REQUESTS_OUT = 1;
    uint256 internal constant SLOT_REQUESTS_IN = 2;
    uint256 internal constant SLOT_RESPONSES_OUT = 3;
    uint256 internal constant SLOT_RESPONSES_IN = 4;
    uint256 internal constant SLOT_RESPONSES = 5;
    uint256 internal constant SLOT_EXECUTED = 6;

    /// @dev Selectors and event topics for the assembly (checked by the tests against the ABI):
    ///      MissingResponse, ResponseAlreadyConsumed, AlreadyExecuted; XCall, XCallExecuted, ResponseStored.
    uint256 internal constant MISSING_RESPONSE_SELECTOR = 0x79a0e91d;
    uint256 internal constant RESPONSE_ALREADY_CONSUMED_SELECTOR = 0x29fed09c;
    uint256 internal constant ALREADY_EXECUTED_SELECTOR = 0xd1d36dcd;
    uint256 internal constant XCALL_TOPIC = 0x05e1489cee6b420e2fdded8aba12da88f71d0ff13cefd399ac2a1f9de9eabc6e;
    uint256 internal constant XCALL_EXECUTED_TOPIC = 0x437ebc6ac9901f3b719b036552a92a9edb2dd56ac7d1025588c60ae6a5568d60;
    uint256 internal constant RESPONSE_STORED_TOPIC = 0xa5c6eb46076de6a58bf22ab5b693d96ce1e68fd935c2226e5e11d5a525212b42;

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
        // Memory from 0x80 on is scratch: nothing was allocated, and every path ends in assembly.
        assembly {
            // nonce = outNonce[chainId] (incremented below, once the call succeeds)
            mstore(0x00, chainId)
            mstore(0x20, SLOT_OUT_NONCE)
            let nonceSlot := keccak256(0x00, 0x40)
            let nonce := sload(nonceSlot)
            // requestId = keccak256(abi.encode(block.chainid, chainId, nonce, msg.sender, target, msg.value, data)),
            // encoded at 0x80; data's length word and bytes come straight from the calldata
            mstore(0x80, chainid())
            mstore(0xa0, chainId)
            mstore(0xc0, nonce)
            mstore(0xe0, caller())
            mstore(0x100, target)
            mstore(0x120, callvalue())
            mstore(0x140, 0xe0)
            calldatacopy(0x160, sub(data.offset, 0x20), add(data.length, 0x20))
            mstore(add(0x180, data.length), 0) // the padding of data's last word
            let encEnd := add(0x180, and(add(data.length, 31), not(31)))
            let requestId := keccak256(0x80, sub(encEnd, 0x80))

            mstore(0x00, requestId)
            mstore(0x20, SLOT_RESPONSES)
            let rSlot := keccak256(0x00, 0x40)
            let flags := sload(rSlot) // Response{filled, success, consumed}: bytes 0, 1, 2
            if iszero(and(flags, 0xff)) {
                // MissingResponse(chainId, nonce, msg.sender, target, msg.value, data): the
                // request's encoding minus its first word, data's offset one word less.
                mstore(0x140, 0xc0)
                mstore(0x80, MISSING_RESPONSE_SELECTOR)
                revert(0x9c, sub(encEnd, 0x9c))
            }
            if and(flags, 0xff0000) {
                mstore(0x00, shl(224, RESPONSE_ALREADY_CONSUMED_SELECTOR))
                mstore(0x04, requestId)
                revert(0x00, 0x24)
            }

            // ret = the response's returnData (a storage `bytes`), ABI-encoded at 0x80 for the
            // return: 0x20, length, bytes from 0xc0
            let len
            {
                let packed := sload(add(rSlot, 1))
                switch and(packed, 1)
                case 0 {
                    len := shr(1, and(packed, 0xff))
                    mstore(0xc0, and(packed, not(0xff)))
                }
                default {
                    len := shr(1, packed)
                    mstore(0x00, add(rSlot, 1))
                    let src := keccak256(0x00, 0x20)
                    let end := add(0xc0, len)
                    for { let dst := 0xc0 } lt(dst, end) { dst := add(dst, 0x20) } {
                        mstore(dst, sload(src))
                        src := add(src, 1)
                    }
                    mstore(end, 0)
                }
            }
            if iszero(and(flags, 0xff00)) {
                // The far side reverted: revert with its data, exactly. The request did not
                // happen here either (nothing above was written).
                revert(0xc0, len)
            }
            mstore(0x80, 0x20)
            mstore(0xa0, len)

            sstore(rSlot, or(flags, 0x010000)) // consumed
            sstore(nonceSlot, add(nonce, 1))
            // requestsOut[chainId] = keccak256(abi.encode(requestsOut[chainId], requestId))
            mstore(0x00, chainId)
            mstore(0x20, SLOT_REQUESTS_OUT)
            let hSlot := keccak256(0x00, 0x40)
            mstore(0x00, sload(hSlot))
            mstore(0x20, requestId)
            sstore(hSlot, keccak256(0x00, 0x40))
            // responsesIn[chainId] = keccak256(abi.encode(responsesIn[chainId], requestId, true, keccak256(ret))),
            // hashed from m + 0x20, where the XCall event's data (target, msg.value, requestId, true) then
            // goes from m: the two share requestId and true
            mstore(0x00, chainId)
            mstore(0x20, SLOT_RESPONSES_IN)
            hSlot := keccak256(0x00, 0x40)
            let m := add(0xc0, and(add(len, 31), not(31))) // after the return data
            mstore(add(m, 0x20), sload(hSlot))
            mstore(add(m, 0x40), requestId)
            mstore(add(m, 0x60), 1)
            mstore(add(m, 0x80), keccak256(0xc0, len))
            sstore(hSlot, keccak256(add(m, 0x20), 0x80))
            // emit XCall(chainId, nonce, msg.sender, target, msg.value, requestId, true); return ret
            mstore(m, target)
            mstore(add(m, 0x20), callvalue())
            log4(m, 0x80, XCALL_TOPIC, chainId, nonce, caller())
            return(0x80, sub(m, 0x80))
        }
    }

    /// @inheritdoc IMailbox
    function putResponse(uint256 dstChain, bytes32 requestId, bool success, bytes calldata returnData)
        external
        onlySequencer
    {
        Response storage r = _responses[requestId];
        uint256 flags;
        assembly {
            flags := sload(r.slot)
        }
        if (flags != 0) {
            // Replacing a response (a stale one, never consumed): Solidity clears the old data.
            if (flags & 0xff0000 != 0) revert ResponseAlreadyConsumed(requestId);
            r.returnData = returnData;
        } else {
            // A new response: its `bytes` slot is empty (only putResponse fills it, and it sets
            // `filled` too; clearResponse deletes both), so write it as Solidity lays it out.
            assembly {
                let len := returnData.length
                let retSlot := add(r.slot, 1)
                switch lt(len, 32)
                case 1 {
                    if len {
                        let word := and(calldataload(returnData.offset), not(shr(mul(len, 8), not(0))))
                        sstore(retSlot, or(word, mul(len, 2)))
                    }
                }
                default {
                    sstore(retSlot, add(mul(len, 2), 1))
                    mstore(0x00, retSlot)
                    let dst := keccak256(0x00, 0x20)
                    let end := add(returnData.offset, len)
                    for { let src := returnData.offset } lt(src, end) { src := add(src, 0x20) } {
                        let word := calldataload(src)
                        let rest := sub(end, src)
                        if lt(rest, 32) { word := and(word, not(shr(mul(rest, 8), not(0)))) }
                        sstore(dst, word)
                        dst := add(dst, 1)
                    }
                }
            }
        }
        assembly {
            sstore(r.slot, or(1, shl(8, success))) // filled, success, not consumed
            mstore(0x00, success)
            log3(0x00, 0x20, RESPONSE_STORED_TOPIC, dstChain, requestId)
        }
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
        // Memory from 0x80 on is scratch: nothing was allocated, and every path ends in assembly.
        assembly {
            // requestId = keccak256(abi.encode(srcChain, block.chainid, nonce, sender, target, value, data)),
            // encoded at 0x80 (data at 0x180, where the call takes it from)
            mstore(0x80, srcChain)
            mstore(0xa0, chainid())
            mstore(0xc0, nonce)
            mstore(0xe0, sender)
            mstore(0x100, target)
            mstore(0x120, value)
            mstore(0x140, 0xe0)
            calldatacopy(0x160, sub(data.offset, 0x20), add(data.length, 0x20))
            mstore(add(0x180, data.length), 0) // the padding of data's last word
            let requestId := keccak256(0x80, add(0x100, and(add(data.length, 31), not(31))))
            mstore(0x00, requestId)
            mstore(0x20, SLOT_EXECUTED)
            let executedSlot := keccak256(0x00, 0x40)
            if sload(executedSlot) {
                mstore(0x00, shl(224, ALREADY_EXECUTED_SELECTOR))
                mstore(0x04, requestId)
                revert(0x00, 0x24)
            }

            // call target with value while xMsgSender()/xMsgSourceChain() report sender/srcChain
            {
                let senderSlot := XMSG_SENDER_SLOT
                let sourceSlot := XMSG_SOURCE_SLOT
                let prevSender := tload(senderSlot)
                let prevSource := tload(sourceSlot)
                tstore(senderSlot, mload(0xe0))
                tstore(sourceSlot, mload(0x80))
                success := call(gas(), mload(0x100), mload(0x120), 0x180, data.length, 0, 0)
                tstore(senderSlot, prevSender)
                tstore(sourceSlot, prevSource)
            }

            // abi.encode(success, returnData) at 0x80: the event's data and the return value
            let len := returndatasize()
            mstore(0x80, success)
            mstore(0xa0, 0x40)
            mstore(0xc0, len)
            returndatacopy(0xe0, 0, len)
            mstore(add(0xe0, len), 0)
            let m := add(0xe0, and(add(len, 31), not(31))) // after it
            returnData := 0xc0

            if success {
                sstore(executedSlot, 1)
                // requestsIn[srcChain] = keccak256(abi.encode(requestsIn[srcChain], requestId))
                mstore(0x00, calldataload(0x04))
                mstore(0x20, SLOT_REQUESTS_IN)
                let hSlot := keccak256(0x00, 0x40)
                mstore(0x00, sload(hSlot))
                mstore(0x20, requestId)
                sstore(hSlot, keccak256(0x00, 0x40))
                // responsesOut[srcChain] = keccak256(abi.encode(responsesOut[srcChain], requestId, true, keccak256(returnData)))
                mstore(0x00, calldataload(0x04))
                mstore(0x20, SLOT_RESPONSES_OUT)
                hSlot := keccak256(0x00, 0x40)
                mstore(m, sload(hSlot))
                mstore(add(m, 0x20), requestId)
                mstore(add(m, 0x40), 1)
                mstore(add(m, 0x60), keccak256(0xe0, len))
                sstore(hSlot, keccak256(m, 0x80))
            }
            // emit XCallExecuted(srcChain, nonce, requestId, success, returnData); return (success, returnData)
            log4(0x80, sub(m, 0x80), XCALL_EXECUTED_TOPIC, calldataload(0x04), calldataload(0x24), requestId)
            return(0x80, sub(m, 0x80))
        }
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
        assembly ("memory-safe") {
            sender := tload(XMSG_SENDER_SLOT)
            source := tload(XMSG_SOURCE_SLOT)
        }
    }
}
