// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IL2ToL2CrossDomainMessenger} from "../interfaces/IL2ToL2CrossDomainMessenger.sol";
import {IMailbox} from "../interfaces/IMailbox.sol";
import {Predeploys} from "../libraries/Predeploys.sol";

/// @title XCallProbe
/// @notice Test contract for the cross-rollup call tests (tests/xrollup_calls): makes
///         `xcall`s and records what came back, catches far-side failures, chains nested
///         calls across several chains (`hop`), and records the caller context it sees when
///         the mailbox or the OP messenger calls it. Not a predeploy; deploy it at the same
///         address on every chain (same deployer and nonce) to make nested paths simple.
contract XCallProbe {
    IMailbox internal constant MAILBOX = IMailbox(Predeploys.MAILBOX);
    IL2ToL2CrossDomainMessenger internal constant MESSENGER =
        IL2ToL2CrossDomainMessenger(Predeploys.L2_TO_L2_CROSS_DOMAIN_MESSENGER);

    /// @notice Outcome of the last `call` / `tryCall` / `callTwo` (first call) on this chain.
    bool public lastSuccess;
    bytes public lastReturn;
    /// @notice How many outcomes were recorded (successes and caught failures).
    uint256 public outcomes;
    /// @notice Written by `setMarkerThenCall` before its xcall (shows what a call back into
    ///         this chain sees of the calling transaction's own writes).
    uint256 public marker;

    /// @notice Context seen by the last `hop` / `record` invoked through the mailbox.
    address public lastXSender;
    uint256 public lastXSource;
    uint256 public hops;

    /// @notice Context seen by the last `onMessage` relayed by the OP messenger.
    address public lastMessageSender;
    uint256 public lastMessageSource;
    uint256 public lastMessageValue;

    event Outcome(bool success, bytes data);
    event Hopped(uint256 indexed depthLeft, address xSender, uint256 xSource);

    /// @notice xcall; records and returns the far side's return data (reverts with its
    ///         revert data when the far side reverts).
    function call(uint256 chainId, address target, bytes calldata data) external payable returns (bytes memory ret) {
        ret = MAILBOX.xcall{value: msg.value}(chainId, target, data);
        _record(true, ret);
    }

    /// @notice xcall inside try/catch: a far-side failure is recorded, not propagated.
    function tryCall(uint256 chainId, address target, bytes calldata data)
        external
        payable
        returns (bool ok, bytes memory ret)
    {
        try MAILBOX.xcall{value: msg.value}(chainId, target, data) returns (bytes memory r) {
            (ok, ret) = (true, r);
        } catch (bytes memory reason) {
            (ok, ret) = (false, reason);
        }
        _record(ok, ret);
    }

    /// @notice Writes `marker = m`, then xcalls; records and returns the far side's return data.
    function setMarkerThenCall(uint256 m, uint256 chainId, address target, bytes calldata data)
        external
        returns (bytes memory ret)
    {
        marker = m;
        ret = MAILBOX.xcall(chainId, target, data);
        _record(true, ret);
    }

    /// @notice Two xcalls in one transaction, in this order.
    function callTwo(uint256 chainA, address targetA, bytes calldata dataA, uint256 chainB, address targetB, bytes calldata dataB)
        external
        returns (bytes memory retA, bytes memory retB)
    {
        retA = MAILBOX.xcall(chainA, targetA, dataA);
        retB = MAILBOX.xcall(chainB, targetB, dataB);
        _record(true, retA);
    }

    /// @notice Nested calls: xcall `probes[0]` on `path[0]`, which xcalls `probes[1]` on
    ///         `path[1]`, ... and the last one calls `target` locally with `data`. Returns the
    ///         target's return data, unwrapped at every level; a revert bubbles up verbatim.
    function hop(uint256[] calldata path, address[] calldata probes, address target, bytes calldata data)
        external
        returns (bytes memory)
    {
        if (msg.sender == address(MAILBOX)) {
            lastXSender = MAILBOX.xMsgSender();
            lastXSource = MAILBOX.xMsgSourceChain();
            hops++;
            emit Hopped(path.length, lastXSender, lastXSource);
        }
        if (path.length == 0) {
            (bool ok, bytes memory ret) = target.call(data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
            return ret;
        }
        bytes memory wrapped = MAILBOX.xcall(
            path[0], probes[0], abi.encodeCall(this.hop, (path[1:], probes[1:], target, data))
        );
        return abi.decode(wrapped, (bytes));
    }

    /// @notice Records the mailbox context (callable through `execute` only: reverts
    ///         NotInXCall otherwise) and returns (xMsgSender, xMsgSourceChain, msg.value).
    function record() external payable returns (address sender, uint256 source, uint256 value) {
        sender = MAILBOX.xMsgSender();
        source = MAILBOX.xMsgSourceChain();
        value = msg.value;
        (lastXSender, lastXSource) = (sender, source);
        hops++;
    }

    /// @notice Target of an OP message: records crossDomainMessageSender/Source and `v`.
    function onMessage(uint256 v) external returns (uint256) {
        (lastMessageSender, lastMessageSource) = MESSENGER.crossDomainMessageContext();
        lastMessageValue = v;
        return v + 1;
    }

    /// @notice Target of an OP message that always fails.
    function failMessage() external pure {
        revert("XCallProbe: message refused");
    }

    receive() external payable {}

    function _record(bool ok, bytes memory ret) internal {
        lastSuccess = ok;
        lastReturn = ret;
        outcomes++;
        emit Outcome(ok, ret);
    }
}
