// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "./interfaces/IERC20.sol";

/// @title SimplePool
/// @notice Demo constant-product AMM (x * y = k) for two ERC-20 tokens with a 0.3% fee.
///         Swaps price against the stored reserves (tokens must be plain ERC-20s without
///         transfer fees). Liquidity shares are internal (not a token).
contract SimplePool {
    address public immutable token0;
    address public immutable token1;

    uint256 public reserve0;
    uint256 public reserve1;
    uint256 public totalShares;
    mapping(address => uint256) public shares;

    event LiquidityAdded(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event LiquidityRemoved(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event Swap(
        address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address indexed to
    );

    constructor(address _token0, address _token1) {
        require(_token0 != _token1 && _token0 != address(0) && _token1 != address(0), "SimplePool: bad tokens");
        token0 = _token0;
        token1 = _token1;
    }

    function getReserves() external view returns (uint256, uint256) {
        return (reserve0, reserve1);
    }

    /// @notice The pool's other token.
    function otherToken(address token) public view returns (address) {
        if (token == token0) return token1;
        if (token == token1) return token0;
        revert("SimplePool: unknown token");
    }

    /// @notice Output of swapping `amountIn` of `tokenIn`:
    ///         amountIn * 997 * reserveOut / (reserveIn * 1000 + amountIn * 997).
    function getAmountOut(address tokenIn, uint256 amountIn) public view returns (uint256) {
        (uint256 rIn, uint256 rOut) = _reservesFor(tokenIn);
        require(rIn > 0 && rOut > 0, "SimplePool: no liquidity");
        uint256 inWithFee = amountIn * 997;
        return (inWithFee * rOut) / (rIn * 1000 + inWithFee);
    }

    /// @notice Deposits both tokens (pulled with transferFrom) for liquidity shares. The first
    ///         deposit sets the price; later ones should match it (the excess is donated).
    function addLiquidity(uint256 amount0, uint256 amount1) external returns (uint256 minted) {
        require(amount0 > 0 && amount1 > 0, "SimplePool: zero amount");
        _pull(token0, amount0);
        _pull(token1, amount1);
        if (totalShares == 0) {
            minted = _sqrt(amount0 * amount1);
        } else {
            uint256 s0 = (amount0 * totalShares) / reserve0;
            uint256 s1 = (amount1 * totalShares) / reserve1;
            minted = s0 < s1 ? s0 : s1;
        }
        require(minted > 0, "SimplePool: zero shares");
        totalShares += minted;
        shares[msg.sender] += minted;
        reserve0 += amount0;
        reserve1 += amount1;
        emit LiquidityAdded(msg.sender, amount0, amount1, minted);
    }

    function removeLiquidity(uint256 share) external returns (uint256 amount0, uint256 amount1) {
        require(share > 0 && shares[msg.sender] >= share, "SimplePool: insufficient shares");
        amount0 = (reserve0 * share) / totalShares;
        amount1 = (reserve1 * share) / totalShares;
        shares[msg.sender] -= share;
        totalShares -= share;
        reserve0 -= amount0;
        reserve1 -= amount1;
        _push(token0, msg.sender, amount0);
        _push(token1, msg.sender, amount1);
        emit LiquidityRemoved(msg.sender, amount0, amount1, share);
    }

    /// @notice Swaps exactly `amountIn` of `tokenIn` (pulled from the caller) for the other
    ///         token, sent to `to`. Reverts "SimplePool: slippage" if the output is below `minOut`.
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut, address to)
        external
        returns (uint256 amountOut)
    {
        require(amountIn > 0, "SimplePool: zero amount");
        amountOut = getAmountOut(tokenIn, amountIn);
        require(amountOut > 0, "SimplePool: insufficient output");
        require(amountOut >= minOut, "SimplePool: slippage");
        _pull(tokenIn, amountIn);
        if (tokenIn == token0) {
            reserve0 += amountIn;
            reserve1 -= amountOut;
            _push(token1, to, amountOut);
        } else {
            reserve1 += amountIn;
            reserve0 -= amountOut;
            _push(token0, to, amountOut);
        }
        emit Swap(msg.sender, tokenIn, amountIn, amountOut, to);
    }

    function _reservesFor(address tokenIn) internal view returns (uint256 rIn, uint256 rOut) {
        if (tokenIn == token0) return (reserve0, reserve1);
        if (tokenIn == token1) return (reserve1, reserve0);
        revert("SimplePool: unknown token");
    }

    function _pull(address token, uint256 amount) internal {
        require(IERC20(token).transferFrom(msg.sender, address(this), amount), "SimplePool: transferFrom failed");
    }

    function _push(address token, address to, uint256 amount) internal {
        require(IERC20(token).transfer(to, amount), "SimplePool: transfer failed");
    }

    function _sqrt(uint256 y) internal pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
