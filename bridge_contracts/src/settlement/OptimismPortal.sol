// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L2OutputOracle} from "./L2OutputOracle.sol";
import {MerklePatriciaProof} from "./MerklePatriciaProof.sol";
import {SettlementTypes} from "./SettlementTypes.sol";

/// @title OptimismPortal
/// @notice OP's OptimismPortal of the output-oracle generation (version 2.x: viem's op-stack
///         actions read `version()` and take the L2OutputOracle flow below major version 3),
///         on the L1, one per rollup. Deposits: `depositTransaction` emits OP's
///         `TransactionDeposited` with OP's opaque data, the sender aliased when it is a
///         contract. Withdrawals: proven against an output root of the L2OutputOracle with an
///         `eth_getProof` storage proof of the L2ToL1MessagePasser's `sentMessages` slot,
///         finalized (the call made, with its value) once both the proof and the output are
///         `FINALIZATION_PERIOD_SECONDS` old. ABI, events, hashes and revert reasons are OP's;
///         not emulated: pausing, resource metering of deposits, custom gas tokens.
contract OptimismPortal {
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

    uint256 internal constant DEPOSIT_VERSION = 0;
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;
    /// @notice Gas kept back when calling a withdrawal's target (for the bookkeeping after it).
    uint256 internal constant FINALIZE_GAS_BUFFER = 40_000;

    /// @notice The L2 sender of the withdrawal being finalized (DEFAULT_L2_SENDER otherwise).
    address public l2Sender;
    mapping(bytes32 => bool) public finalizedWithdrawals;
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;
    L2OutputOracle public l2Oracle;

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    error BadTarget();
    error SmallGasLimit();
    error LargeCalldata();
    error NonReentrant();

    constructor(L2OutputOracle _l2Oracle) {
        l2Oracle = _l2Oracle;
        l2Sender = SettlementTypes.DEFAULT_L2_SENDER;
    }

    function version() public pure returns (string memory) {
        return "2.8.1-beta.4";
    }

    function paused() public pure returns (bool) {
        return false;
    }

    /// @notice The least L2 gas a deposit of `_byteCount` bytes of calldata may ask for.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21000;
    }

    /// @notice Sending ETH here deposits it to the sender's address on the rollup.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_DEFAULT_GAS_LIMIT, false, bytes(""));
    }

    /// @notice ETH for the portal without a deposit.
    function donateETH() external payable {}

    /// @notice A transaction for the rollup: `msg.value` is minted to the sender there, then
    ///         the call (`_to`, `_value`, `_gasLimit`, `_data`, or a creation) is made.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        public
        payable
    {
        if (_isCreation && _to != address(0)) revert BadTarget();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert SmallGasLimit();
        if (_data.length > 120_000) revert LargeCalldata();
        address from = msg.sender;
        if (msg.sender != tx.origin) {
            from = SettlementTypes.applyL1ToL2Alias(msg.sender);
        }
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    /// @notice Proves that the withdrawal `_tx` was initiated on the rollup: its hash is set in
    ///         the message passer's storage under the output root `_l2OutputIndex`.
    function proveWithdrawalTransaction(
        SettlementTypes.WithdrawalTransaction memory _tx,
        uint256 _l2OutputIndex,
        SettlementTypes.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external {
        if (_tx.target == address(this)) revert BadTarget();
        bytes32 outputRoot = l2Oracle.getL2Output(_l2OutputIndex).outputRoot;
        require(
            outputRoot == SettlementTypes.hashOutputRootProof(_outputRootProof),
            "OptimismPortal: invalid output root proof"
        );
        bytes32 withdrawalHash = SettlementTypes.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        require(
            proven.timestamp == 0 || l2Oracle.getL2Output(proven.l2OutputIndex).outputRoot != proven.outputRoot,
            "OptimismPortal: withdrawal hash has already been proven"
        );
        // sentMessages is the message passer's slot-0 mapping
        bytes32 storageKey = keccak256(abi.encode(withdrawalHash, uint256(0)));
        require(
            MerklePatriciaProof.verifySecureInclusion(
                abi.encode(storageKey), hex"01", _withdrawalProof, _outputRootProof.messagePasserStorageRoot
            ),
            "OptimismPortal: invalid withdrawal inclusion proof"
        );
        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: outputRoot,
            timestamp: uint128(block.timestamp),
            l2OutputIndex: uint128(_l2OutputIndex)
        });
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
    }

    /// @notice Makes the proven withdrawal's call, once. `success` in WithdrawalFinalized says
    ///         whether the target's call succeeded; a failed one is not retried.
    function finalizeWithdrawalTransaction(SettlementTypes.WithdrawalTransaction memory _tx) external {
        if (l2Sender != SettlementTypes.DEFAULT_L2_SENDER) revert NonReentrant();
        bytes32 withdrawalHash = SettlementTypes.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        require(proven.timestamp != 0, "OptimismPortal: withdrawal has not been proven yet");
        require(
            proven.timestamp >= l2Oracle.startingTimestamp(),
            "OptimismPortal: withdrawal timestamp less than L2 Oracle starting timestamp"
        );
        require(
            _isFinalizationPeriodElapsed(proven.timestamp),
            "OptimismPortal: proven withdrawal finalization period has not elapsed"
        );
        SettlementTypes.OutputProposal memory proposal = l2Oracle.getL2Output(proven.l2OutputIndex);
        require(
            proposal.outputRoot == proven.outputRoot,
            "OptimismPortal: output root proven is not the same as current output root"
        );
        require(
            _isFinalizationPeriodElapsed(proposal.timestamp),
            "OptimismPortal: output proposal finalization period has not elapsed"
        );
        require(finalizedWithdrawals[withdrawalHash] == false, "OptimismPortal: withdrawal has already been finalized");
        finalizedWithdrawals[withdrawalHash] = true;
        l2Sender = _tx.sender;
        bool success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = SettlementTypes.DEFAULT_L2_SENDER;
        emit WithdrawalFinalized(withdrawalHash, success);
    }

    function isOutputFinalized(uint256 _l2OutputIndex) external view returns (bool) {
        return _isFinalizationPeriodElapsed(l2Oracle.getL2Output(_l2OutputIndex).timestamp);
    }

    function _isFinalizationPeriodElapsed(uint256 _timestamp) internal view returns (bool) {
        return block.timestamp > _timestamp + l2Oracle.FINALIZATION_PERIOD_SECONDS();
    }

    /// @notice Calls `_target` with at least `_minGas` gas (the withdrawal's gas limit: EIP-150
    ///         keeps 1/64 back, so that much more must be left) and no return data copied.
    ///         Reverts when there is not enough gas left, so a finalization can never mark a
    ///         withdrawal done while starving its call.
    function _callWithMinGas(address _target, uint256 _minGas, uint256 _value, bytes memory _data)
        internal
        returns (bool success)
    {
        require(
            gasleft() >= (_minGas * 64) / 63 + FINALIZE_GAS_BUFFER,
            "OptimismPortal: insufficient gas to finalize withdrawal"
        );
        assembly {
            success := call(gas(), _target, _value, add(_data, 32), mload(_data), 0, 0)
        }
    }
}
