// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AtomicBridge} from "./AtomicBridge.sol";
import {IAtomicBridgeRecipient} from "./interfaces/IAtomicBridgeRecipient.sol";
import {IERC20} from "./interfaces/IERC20.sol";
import {Predeploys} from "./libraries/Predeploys.sol";
import {SimplePool} from "./SimplePool.sol";

/// @title CrossSwapRouter
/// @notice Demo of a synchronous cross-rollup swap: tokenIn -> tokenMid on chain A's pool,
///         tokenMid bridged atomically to chain B, tokenMid -> tokenOut on chain B's pool,
///         delivered to `to` on B, all in one transaction on A and one superblock.
///
///         Design: the router never mints. It burns/mints tokenMid through the AtomicBridge
///         predeploy (`bridgeERC20AndCall`), which mints tokenMid to the remote router on B
///         and, in the same cross-chain call, invokes its `onAtomicBridgeERC20` hook to do the
///         second swap. So tokenMid only has to be a SuperchainERC20 at the same address on
///         both chains, and the remote router's address is just a parameter (a router deployed
///         anywhere on B works; it only ever spends the tokens that were just minted to it).
///         If B's swap fails its `minOut` check, the hook reverts "CrossSwap: slippage", the
///         xcall fails, and the transaction on A reverts with that same reason: nothing is
///         swapped, burned or minted anywhere. The amount received on B is returned on A.
contract CrossSwapRouter is IAtomicBridgeRecipient {
    event CrossSwap(
        address indexed sender,
        address indexed tokenIn,
        uint256 amountIn,
        uint256 amountMid,
        uint256 indexed destChain,
        uint256 amountOut
    );
    event CrossSwapReceived(
        uint256 indexed srcChain, address indexed tokenOut, address indexed to, uint256 amountMid, uint256 amountOut
    );

    /// @notice Swaps `amountIn` of `tokenIn` (pulled from the caller, who must approve this
    ///         router) on `poolA` into `tokenMid`, bridges it to `destChain` and swaps it on
    ///         `poolB` (on destChain) into `tokenOut`, sent to `to` on destChain. Reverts with
    ///         "CrossSwap: slippage" when the final output is below `minOut`.
    function swapAcross(
        address poolA,
        address tokenIn,
        uint256 amountIn,
        address tokenMid,
        uint256 destChain,
        address remoteRouter,
        address poolB,
        address tokenOut,
        uint256 minOut,
        address to
    ) external returns (uint256 amountOut) {
        uint256 amountMid = _swapLocal(poolA, tokenIn, amountIn, tokenMid);
        bytes memory ret = AtomicBridge(Predeploys.ATOMIC_BRIDGE).bridgeERC20AndCall(
            tokenMid, remoteRouter, amountMid, destChain, abi.encode(poolB, tokenOut, minOut, to)
        );
        amountOut = abi.decode(ret, (uint256));
        emit CrossSwap(msg.sender, tokenIn, amountIn, amountMid, destChain, amountOut);
    }

    /// @notice Second leg, on the destination chain: only the AtomicBridge, right after it
    ///         minted `amount` of `token` to this router. Returns abi.encode(amountOut).
    function onAtomicBridgeERC20(address token, address, uint256 amount, uint256 srcChain, bytes calldata data)
        external
        returns (bytes memory)
    {
        require(msg.sender == Predeploys.ATOMIC_BRIDGE, "CrossSwap: only bridge");
        (address pool, address tokenOut, uint256 minOut, address to) =
            abi.decode(data, (address, address, uint256, address));
        require(SimplePool(pool).otherToken(token) == tokenOut, "CrossSwap: pool mismatch");
        require(IERC20(token).approve(pool, amount), "CrossSwap: approve failed");
        uint256 amountOut = SimplePool(pool).swapExactIn(token, amount, 0, to);
        require(amountOut >= minOut, "CrossSwap: slippage");
        emit CrossSwapReceived(srcChain, tokenOut, to, amount, amountOut);
        return abi.encode(amountOut);
    }

    function _swapLocal(address pool, address tokenIn, uint256 amountIn, address tokenMid)
        internal
        returns (uint256 amountMid)
    {
        require(SimplePool(pool).otherToken(tokenIn) == tokenMid, "CrossSwap: pool mismatch");
        require(IERC20(tokenIn).transferFrom(msg.sender, address(this), amountIn), "CrossSwap: transferFrom failed");
        require(IERC20(tokenIn).approve(pool, amountIn), "CrossSwap: approve failed");
        amountMid = SimplePool(pool).swapExactIn(tokenIn, amountIn, 0, address(this));
    }
}
