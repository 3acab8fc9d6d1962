"""Atomic token bridging (AtomicBridge over the mailbox) and the cross-rollup swap
(CrossSwapRouter + SimplePool on both chains)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_abi import decode
from eth_utils import keccak

from tests.xrollup_calls.xcall_helpers import (
    A0,
    A1,
    ATOMIC_BRIDGE,
    ETH,
    K0,
    TRANSFER_TOPIC,
    A,
    B,
    Net,
    logs_with,
    topic,
    word,
)

SUPPLY = 1_000 * ETH


def addr_word(address: str) -> str:
    return "0x" + "00" * 12 + address.lower()[2:]


def transfers(receipt: dict, token: str) -> list[tuple[str, str, int]]:
    """(from, to, amount) of the token's Transfer logs in a receipt (addresses lower-case)."""
    return [("0x" + lg["topics"][1][26:], "0x" + lg["topics"][2][26:], int(lg["data"], 16))
            for lg in logs_with(receipt, token, TRANSFER_TOPIC)]


ZERO = "0x" + "00" * 20


@pytest.fixture
def token(net: Net) -> str:
    """A SuperchainERC20 at one address on 901 and 902 (CREATE2), SUPPLY minted to A0 on each."""
    return net.create2((A, B), K0, "SuperchainERC20", "Super", "SUP", A0, SUPPLY, salt=keccak(b"xrollup tests: atomic"))


def supplies(net: Net, token: str) -> tuple[int, int]:
    return net.view(A, "SuperchainERC20", token, "totalSupply"), net.view(B, "SuperchainERC20", token, "totalSupply")


def test_bridge_erc20_burns_and_mints_in_one_superblock(net: Net, token: str) -> None:
    amount = 100 * ETH
    receipt = net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeERC20", token, A1, amount, B)
    assert receipt["status"] == "0x1"
    assert transfers(receipt, token) == [(A0.lower(), ZERO, amount)]
    [xc] = receipt["xcalls"]
    assert (xc["destinationChainId"], xc["target"].lower(), xc["success"]) == (hex(B), ATOMIC_BRIDGE, True)
    dest = net.receipt(B, xc["destinationTxHash"])
    assert net.superblock_of(B, dest["blockNumber"]) == net.superblock_of(A, receipt["blockNumber"])  # the same superblock
    assert transfers(dest, token) == [(ZERO, A1.lower(), amount)]
    received = logs_with(dest, ATOMIC_BRIDGE, topic("ReceivedERC20(address,address,address,uint256,uint256)"))
    assert [lg["topics"][1:] for lg in received] == [[addr_word(token), addr_word(A0), addr_word(A1)]]
    assert decode(["uint256", "uint256"], bytes.fromhex(received[0]["data"][2:])) == (amount, A)

    assert net.view(A, "SuperchainERC20", token, "balanceOf", A0) == SUPPLY - amount
    assert net.view(B, "SuperchainERC20", token, "balanceOf", A1) == amount
    assert supplies(net, token) == (SUPPLY - amount, SUPPLY + amount)

    # Back again, 902 -> 901, by the recipient.
    receipt = net.tx(B, "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "AtomicBridge",
                     ATOMIC_BRIDGE, "bridgeERC20", token, A0, 40 * ETH, A)
    assert receipt["status"] == "0x1"
    assert net.view(A, "SuperchainERC20", token, "balanceOf", A0) == SUPPLY - 60 * ETH
    assert supplies(net, token) == (SUPPLY - 60 * ETH, SUPPLY + 60 * ETH)
    assert sum(supplies(net, token)) == 2 * SUPPLY
    net.assert_mailboxes_agree()


def test_bridging_more_than_the_balance_changes_nothing(net: Net, token: str) -> None:
    heads = net.rpc(B, "eth_blockNumber")
    receipt = net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeERC20", token, A1, SUPPLY + 1, B, gas=1_000_000)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    n = int(receipt["blockNumber"], 16)
    assert net.rpc(B, "eth_blockNumber") == heads  # 902 did not advance
    assert net.block_in(net.superblock_of(A, n), B) is None
    assert net.view(A, "SuperchainERC20", token, "balanceOf", A0) == SUPPLY
    assert net.view(B, "SuperchainERC20", token, "balanceOf", A1) == 0
    assert supplies(net, token) == (SUPPLY, SUPPLY)
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": ATOMIC_BRIDGE, "data": "0x" + net.calldata(
        "AtomicBridge", "bridgeERC20", token, A1, SUPPLY + 1, B).hex()}, "latest"])
    assert (err.code, err.message) == (3, "execution reverted: ERC20: burn amount exceeds balance")


def test_failed_mint_on_the_far_side_undoes_the_burn(net: Net) -> None:
    """A token that exists on 901 only: the mint on 902 fails, so the burn on 901 never happened."""
    lonely = net.create2((A,), K0, "SuperchainERC20", "Lonely", "LON", A0, SUPPLY, salt=keccak(b"xrollup tests: lonely"))
    assert net.code(B, lonely) == b""
    receipt = net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeERC20", lonely, A1, ETH, B, gas=1_000_000)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    # Calling a missing contract reverts with no data: the reason is then the raw data, "0x".
    assert receipt["xrollupError"] == {"chainId": hex(B), "reason": "empty revert data"}
    n = int(receipt["blockNumber"], 16)
    assert net.block_in(net.superblock_of(A, n), B) is None  # 902 did not advance
    assert net.view(A, "SuperchainERC20", lonely, "balanceOf", A0) == SUPPLY
    assert net.view(A, "SuperchainERC20", lonely, "totalSupply") == SUPPLY


# ----------------------------------------------------------------------------- the swap


@dataclass
class SwapWorld:
    token_in: str  # TestToken on 901
    token_mid: str  # SuperchainERC20 on 901 and 902 (same address)
    token_out: str  # TestToken on 902
    pool_a: str  # SimplePool(token_in, token_mid) on 901
    pool_b: str  # SimplePool(token_mid, token_out) on 902
    router_a: str
    router_b: str


LIQUIDITY = 100_000 * ETH


@pytest.fixture
def world(net: Net) -> SwapWorld:
    mid = net.create2((A, B), K0, "SuperchainERC20", "Mid", "MID", A0, 1_000_000 * ETH, salt=keccak(b"xrollup tests: swap"))
    token_in = net.deploy(A, K0, "TestToken", "In", "IN")
    token_out = net.deploy(B, K0, "TestToken", "Out", "OUT")
    net.tx(A, K0, "TestToken", token_in, "mint", A0, 1_000_000 * ETH)
    net.tx(B, K0, "TestToken", token_out, "mint", A0, 1_000_000 * ETH)
    pools = {}
    for cid, other in ((A, token_in), (B, token_out)):
        pool = net.deploy(cid, K0, "SimplePool", other, mid) if cid == A else net.deploy(cid, K0, "SimplePool", mid, other)
        for t in (other, mid):
            net.tx(cid, K0, "TestToken", t, "approve", pool, 2**256 - 1)
        assert net.tx(cid, K0, "SimplePool", pool, "addLiquidity", LIQUIDITY, LIQUIDITY)["status"] == "0x1"
        pools[cid] = pool
    return SwapWorld(token_in, mid, token_out, pools[A], pools[B],
                     net.deploy(A, K0, "CrossSwapRouter"), net.deploy(B, K0, "CrossSwapRouter"))


def swap_state(net: Net, w: SwapWorld) -> dict[str, object]:
    return {
        "A0 in": net.view(A, "TestToken", w.token_in, "balanceOf", A0),
        "poolA": net.view(A, "SimplePool", w.pool_a, "getReserves"),
        "poolB": net.view(B, "SimplePool", w.pool_b, "getReserves"),
        "mid supply": (net.view(A, "SuperchainERC20", w.token_mid, "totalSupply"),
                       net.view(B, "SuperchainERC20", w.token_mid, "totalSupply")),
        "A1 out": net.view(B, "TestToken", w.token_out, "balanceOf", A1),
        "routers": (net.view(A, "SuperchainERC20", w.token_mid, "balanceOf", w.router_a),
                    net.view(B, "SuperchainERC20", w.token_mid, "balanceOf", w.router_b)),
    }


def swap_args(w: SwapWorld, amount_in: int, min_out: int) -> tuple:
    return (w.pool_a, w.token_in, amount_in, w.token_mid, B, w.router_b, w.pool_b, w.token_out, min_out, A1)


def test_cross_rollup_swap_moves_tokens_on_both_chains(net: Net, world: SwapWorld) -> None:
    amount_in = 1_000 * ETH
    mid = net.view(A, "SimplePool", world.pool_a, "getAmountOut", world.token_in, amount_in)
    out = net.view(B, "SimplePool", world.pool_b, "getAmountOut", world.token_mid, mid)
    assert 0 < out < mid < amount_in
    net.tx(A, K0, "TestToken", world.token_in, "approve", world.router_a, amount_in)
    before = swap_state(net, world)
    # Simulated first: the amount that will arrive on 902 comes back to 901.
    assert net.view(A, "CrossSwapRouter", world.router_a, "swapAcross", *swap_args(world, amount_in, out),
                    sender=A0) == out

    receipt = net.tx(A, K0, "CrossSwapRouter", world.router_a, "swapAcross", *swap_args(world, amount_in, out))
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    swap_log = logs_with(receipt, world.router_a, topic("CrossSwap(address,address,uint256,uint256,uint256,uint256)"))
    assert decode(["uint256", "uint256", "uint256"], bytes.fromhex(swap_log[0]["data"][2:])) == (amount_in, mid, out)
    assert swap_log[0]["topics"][3] == word(B)
    assert swap_state(net, world) == {
        "A0 in": before["A0 in"] - amount_in,
        "poolA": [LIQUIDITY + amount_in, LIQUIDITY - mid],
        "poolB": [LIQUIDITY + mid, LIQUIDITY - out],
        "mid supply": (before["mid supply"][0] - mid, before["mid supply"][1] + mid),
        "A1 out": out,
        "routers": (0, 0),
    }
    [xc] = receipt["xcalls"]
    dest = net.receipt(B, xc["destinationTxHash"])
    assert net.superblock_of(B, dest["blockNumber"]) == net.superblock_of(A, receipt["blockNumber"])
    assert (ZERO, world.router_b.lower(), mid) in transfers(dest, world.token_mid)
    assert (world.pool_b.lower(), A1.lower(), out) in transfers(dest, world.token_out)
    net.assert_mailboxes_agree()


def test_cross_rollup_swap_slippage_on_b_reverts_everything(net: Net, world: SwapWorld) -> None:
    amount_in = 1_000 * ETH
    mid = net.view(A, "SimplePool", world.pool_a, "getAmountOut", world.token_in, amount_in)
    out = net.view(B, "SimplePool", world.pool_b, "getAmountOut", world.token_mid, mid)
    net.tx(A, K0, "TestToken", world.token_in, "approve", world.router_a, amount_in)
    before = swap_state(net, world)
    data = "0x" + net.calldata("CrossSwapRouter", "swapAcross", *swap_args(world, amount_in, out + 1)).hex()

    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": world.router_a, "data": data}, "latest"])
    assert (err.code, err.message) == (3, "execution reverted: CrossSwap: slippage")
    receipt = net.send(A, K0, world.router_a, data, gas=3_000_000)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    assert receipt["xrollupError"] == {"chainId": hex(B), "reason": "CrossSwap: slippage"}
    n = int(receipt["blockNumber"], 16)
    assert net.block_in(net.superblock_of(A, n), B) is None  # 902 did not advance
    assert net.block(A, n, full=False)["transactions"] == [receipt["transactionHash"]]
    assert swap_state(net, world) == before
