"""Deposits and safe heads through reverts: a rollup's evm_revert or xr_reorg that removes a
deposit makes it wait again (the L1 still holds its log), and an L1 evm_revert makes the
superblocks whose batches it dropped unsafe again and forgets the deposits it dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from tests.settlement.conftest import A0
from tests.settlement.test_deposits_from_l1 import ETH, deposits_of, portal
from tests.support import Rpc, served
from xrollup.testing import DevnetThread

A3 = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600) as dt:
        yield dt


def deposit(w3_l1: Web3, cid: int, value: int) -> str:
    """An L1 deposit of ``value`` wei to A3 on ``cid``; its rollup transaction hash."""
    tx = portal(w3_l1, cid).functions.depositTransaction(A3, value, 100_000, False, b"").transact(
        {"from": A0, "value": value})
    [found] = deposits_of(w3_l1, w3_l1.eth.get_transaction_receipt(tx))
    return "0x" + found.hash.hex()


def test_a_deposit_removed_by_evm_revert_lands_again(w3_l1: Web3, w3s: dict[int, Web3],
                                                     rollups: dict[int, Rpc]) -> None:
    w3 = w3s[901]
    balance = w3.eth.get_balance(A3)
    snap = rollups[901].call("evm_snapshot")
    l2_hash = deposit(w3_l1, 901, ETH)
    assert w3.eth.wait_for_transaction_receipt(l2_hash, timeout=30).status == 1
    assert rollups[901].call("evm_revert", snap) is True
    assert rollups[901].call("eth_getTransactionReceipt", l2_hash) is None
    rollups[901].call("evm_mine")  # the next superblock includes it again
    assert w3.eth.get_transaction_receipt(l2_hash).status == 1
    assert w3.eth.get_balance(A3) == balance + ETH


def test_a_deposit_removed_by_a_reorg_lands_again(w3_l1: Web3, w3s: dict[int, Web3],
                                                  rollups: dict[int, Rpc]) -> None:
    w3 = w3s[902]
    balance = w3.eth.get_balance(A3)
    l2_hash = deposit(w3_l1, 902, 2 * ETH)
    first = w3.eth.wait_for_transaction_receipt(l2_hash, timeout=30)
    record = rollups[902].call("xr_reorg", 1)
    assert record["fork"] == int(rollups[902].call("xr_getSuperblockOfBlock", hex(first.blockNumber), False)
                                 ["number"], 16) - 1, record
    again = w3.eth.get_transaction_receipt(l2_hash)  # re-sequenced at once, at the top of its block
    assert (again.status, again.blockNumber, again.transactionIndex) == (1, first.blockNumber, first.transactionIndex)
    assert w3.eth.get_balance(A3) == balance + 2 * ETH


def test_an_l1_revert_lowers_the_safe_head_and_forgets_its_deposits(w3_l1: Web3, w3s: dict[int, Web3],
                                                                    rollups: dict[int, Rpc], l1: Rpc) -> None:
    w3 = w3s[901]
    l1.call("evm_mine")  # everything so far is safe
    snap = l1.call("evm_snapshot")
    safe_before = w3.eth.get_block("safe").number
    landed = w3.eth.wait_for_transaction_receipt(deposit(w3_l1, 901, 3), timeout=30)
    l1.call("evm_mine")  # its batch
    assert w3.eth.get_block("safe").number >= landed.blockNumber
    assert l1.call("evm_revert", snap) is True
    assert w3.eth.get_block("safe").number == safe_before
    assert w3.eth.get_block("finalized").number <= safe_before
    sb = rollups[901].call("xr_getSuperblockOfBlock", hex(landed.blockNumber), False)
    assert sb["status"] == "unsafe"
    # a deposit of a reverted L1 block that had not landed yet never lands
    rollups[901].call("evm_setAutomine", False)
    try:
        snap = l1.call("evm_snapshot")
        waiting = deposit(w3_l1, 901, 5)
        assert l1.call("evm_revert", snap) is True
        rollups[901].call("evm_mine")
        assert rollups[901].call("eth_getTransactionReceipt", waiting) is None
    finally:
        rollups[901].call("evm_setAutomine", True)
    l1.call("evm_mine")  # the L1 carries the batches again
    assert w3.eth.get_block("safe").number >= landed.blockNumber


def test_an_l1_block_without_deposits_leaves_no_queue_behind(server: DevnetThread, w3_l1: Web3,
                                                             w3s: dict[int, Web3]) -> None:
    """Each L1 block hands every rollup its deposits, often none: nothing may stay queued, or
    the mining service would take it for waiting work and build every superblock without its
    execution budget (a far-side burn would then hold everyone again)."""
    l2_hash = deposit(w3_l1, 902, ETH)
    assert w3s[902].eth.wait_for_transaction_receipt(l2_hash, timeout=30).status == 1
    for _ in range(2):  # L1 blocks with no deposit at all
        w3_l1.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert dict(server.devnet.sequencer.deposits) == {}
