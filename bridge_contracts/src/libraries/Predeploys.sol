// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Predeploys
/// @notice Fixed addresses of the xrollup predeploys (identical on every chain) and the
///         sequencer's system address. The devnet places each contract's `deployedBytecode`
///         directly into genesis state at these addresses, so none of them has a constructor
///         or immutables.
library Predeploys {
    /// @notice The shared sequencer's system address: the address of the private key
    ///         keccak256("xrollup sequencer")
    ///         = 0x30b441692a8affbaedf3426582960e3eea6a852a34e91e692abd49728c5875a4.
    ///         The key is public (devnet only); the sequencer must refuse user transactions
    ///         signed by it and EIP-7702 authorizations for it.
    address internal constant SEQUENCER = 0x76D1A8fDB697ebacfB3727FD7D7B3ab7D481C35a;

    /// @notice OP interop predeploys (same addresses as the OP Stack / supersim).
    address internal constant CROSS_L2_INBOX = 0x4200000000000000000000000000000000000022;
    address internal constant L2_TO_L2_CROSS_DOMAIN_MESSENGER = 0x4200000000000000000000000000000000000023;
    address internal constant SUPERCHAIN_ETH_BRIDGE = 0x4200000000000000000000000000000000000024;
    address internal constant ETH_LIQUIDITY = 0x4200000000000000000000000000000000000025;
    address internal constant SUPERCHAIN_TOKEN_BRIDGE = 0x4200000000000000000000000000000000000028;

    /// @notice supersim's test token, predeployed on every chain.
    address internal constant L2_NATIVE_SUPERCHAIN_ERC20 = 0x420beeF000000000000000000000000000000001;

    /// @notice xrollup's own predeploys.
    address internal constant MAILBOX = 0x4200000000000000000000000000000000000100;
    address internal constant ATOMIC_BRIDGE = 0x4200000000000000000000000000000000000101;
}
