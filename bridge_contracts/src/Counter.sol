// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Counter
/// @notice Test contract for the xrollup RPC and devnet tests: state changes, events,
///         every kind of revert (reason string, custom error, panic), block context and a
///         gas-burning loop for gas estimation.
contract Counter {
    uint256 public number; // slot 0
    uint256 public lastBurn; // slot 1, written by burnGas

    event Incremented(address indexed by, uint256 newValue);
    event ValueSet(uint256 indexed oldValue, uint256 newValue, string note);
    event Received(address indexed from, uint256 amount);

    error CustomFailure(uint256 x, address who);

    constructor(uint256 initial) {
        number = initial;
    }

    receive() external payable {
        emit Received(msg.sender, msg.value);
    }

    function increment() external {
        uint256 n = number + 1;
        number = n;
        emit Incremented(msg.sender, n);
    }

    function setNumber(uint256 newNumber) external {
        uint256 old = number;
        number = newNumber;
        emit ValueSet(old, newNumber, "set");
    }

    /// @notice Always reverts with Error(string) "Counter: boom".
    function failWithReason() external pure {
        revert("Counter: boom");
    }

    /// @notice Always reverts with CustomFailure(x, msg.sender).
    function failWithCustom(uint256 x) external view {
        revert CustomFailure(x, msg.sender);
    }

    /// @notice Always reverts with Panic(0x01) (assert failure).
    function failWithPanic() external pure {
        assert(false);
    }

    function requirePositive(uint256 x) external pure returns (uint256) {
        require(x > 0, "must be positive");
        return x;
    }

    function blockInfo()
        external
        view
        returns (uint256 number, uint256 timestamp, uint256 chainId, uint256 basefee, address coinbase)
    {
        return (block.number, block.timestamp, block.chainid, block.basefee, block.coinbase);
    }

    /// @notice Burns gas proportional to `iterations` (a keccak loop), stores the result in
    ///         `lastBurn` (so it is a state-changing transaction) and returns it.
    function burnGas(uint256 iterations) external returns (uint256 acc) {
        acc = number;
        for (uint256 i = 0; i < iterations; ++i) {
            acc = uint256(keccak256(abi.encode(acc, i)));
        }
        lastBurn = acc;
    }
}
