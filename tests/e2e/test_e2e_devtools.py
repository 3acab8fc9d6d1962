"""Dev methods over the real devnet: snapshots across chains, time travel, mining modes, state edits."""

from __future__ import annotations

import time

import pytest
from eth_account import Account

from tests.e2e.e2e_helpers import (
    A0,
    A1,
    A2,
    COUNTER,
    ETH,
    GWEI,
    INITIAL_BALANCE,
    K1,
    balance,
    block_number,
    calldata,
    deploy_counter,
    nonce,
    selector,
    send_tx,
    sign,
    wait_for,
    word,
)

CHAINS = (901, 902)


def xr_height(rpc, chain_id=901):
    return int(rpc.ok(chain_id, "xr_blockNumber"), 16)


def heads(rpc):
    return {cid: rpc.ok(cid, "eth_getBlockByNumber", ["latest", False])["hash"] for cid in CHAINS}


# -- 8. snapshots and reverts across both chains -------------------------------------------------


def test_snapshot_revert_restores_every_chain(rpc, chain_id, other_chain):
    start_height = xr_height(rpc)
    start_heads = heads(rpc)
    snap = rpc.ok(chain_id, "evm_snapshot")
    assert isinstance(snap, str) and snap.startswith("0x")
    r1 = send_tx(rpc, 901, {"from": A0, "to": A1, "value": hex(ETH)})
    r2 = send_tx(rpc, 902, {"from": A1, "to": A2, "value": hex(2 * ETH)})
    address = deploy_counter(rpc, 902, 5)
    rpc.ok(901, "anvil_setBalance", [A2, hex(123)])
    rpc.ok(chain_id, "anvil_mine", ["0x3"])
    assert xr_height(rpc) == start_height + 6
    # revert through the *other* chain's endpoint: snapshots are devnet-wide
    assert rpc.ok(other_chain, "evm_revert", [snap]) is True
    assert xr_height(rpc) == start_height
    assert rpc.ok(other_chain, "xr_blockNumber") == hex(start_height)
    assert heads(rpc) == start_heads
    for cid in CHAINS:
        assert block_number(rpc, cid) == start_height
        for account in (A0, A1, A2):
            assert balance(rpc, cid, account) == INITIAL_BALANCE
        assert nonce(rpc, cid, A0) == 0 and nonce(rpc, cid, A1) == 0
    assert rpc.ok(901, "eth_getTransactionReceipt", [r1["transactionHash"]]) is None
    assert rpc.ok(902, "eth_getTransactionReceipt", [r2["transactionHash"]]) is None
    assert rpc.ok(901, "eth_getTransactionByHash", [r1["transactionHash"]]) is None
    assert rpc.ok(902, "eth_getCode", [address, "latest"]) == "0x"
    assert rpc.ok(902, "eth_getBlockByHash", [r2["blockHash"], False]) is None
    assert rpc.ok(902, "eth_getBlockByNumber", [hex(start_height + 1), False]) is None
    assert rpc.ok(chain_id, "xr_getSuperblockByNumber", [hex(start_height + 1), False]) is None
    assert rpc.ok(901, "eth_getLogs", [{"fromBlock": "earliest", "toBlock": "latest"}]) == []
    # the chains go on from the restored heads
    r3 = send_tx(rpc, 901, {"from": A0, "to": A1, "value": "0x1"})
    assert r3["blockNumber"] == hex(start_height + 1)
    assert nonce(rpc, 901, A0) == 1
    assert rpc.ok(chain_id, "xr_getSuperblockByNumber", ["latest", False])["parentHash"] == rpc.ok(
        chain_id, "xr_getSuperblockByNumber", [hex(start_height), False])["hash"]


def test_later_snapshots_are_dropped_by_a_revert(rpc, chain_id):
    s1 = rpc.ok(chain_id, "evm_snapshot")
    rpc.ok(chain_id, "evm_mine")
    s2 = rpc.ok(chain_id, "anvil_snapshot")  # the alias
    assert int(s2, 16) > int(s1, 16)
    rpc.ok(chain_id, "evm_mine")
    height = xr_height(rpc)
    assert rpc.ok(chain_id, "evm_revert", [s1]) is True
    assert xr_height(rpc) == height - 2
    assert rpc.ok(chain_id, "evm_revert", [s2]) is False  # dropped with the revert to s1
    assert rpc.ok(chain_id, "anvil_revert", [s1]) is False  # used up
    assert rpc.ok(chain_id, "evm_revert", ["0x99999"]) is False
    assert xr_height(rpc) == height - 2


def test_revert_to_a_middle_snapshot(rpc, chain_id):
    s1 = rpc.ok(chain_id, "evm_snapshot")
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": hex(1)})
    s2 = rpc.ok(chain_id, "evm_snapshot")
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": hex(2)})
    assert rpc.ok(chain_id, "evm_revert", [s2]) is True
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + 1
    assert rpc.ok(chain_id, "evm_revert", [s1]) is True  # an earlier one still works
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE


def test_revert_restores_the_mempool(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    h1 = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    snap = rpc.ok(chain_id, "evm_snapshot")
    h2 = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x2"}])
    assert rpc.ok(chain_id, "txpool_status")["pending"] == "0x2"
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h1])["status"] == "0x1"
    assert rpc.ok(chain_id, "txpool_status")["pending"] == "0x0"
    assert rpc.ok(chain_id, "evm_revert", [snap]) is True
    # h1 is pending again, h2 never existed
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h1]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [h1])["blockHash"] is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [h2]) is None
    assert nonce(rpc, chain_id, A0, "pending") == 1
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h1])["status"] == "0x1"
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + 1


def test_revert_restores_time_and_next_base_fee(rpc, chain_id):
    head_ts = int(rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    snap = rpc.ok(chain_id, "evm_snapshot")
    rpc.ok(chain_id, "evm_increaseTime", [hex(10_000)])
    rpc.ok(chain_id, "anvil_setNextBlockBaseFeePerGas", [hex(7 * GWEI)])
    assert rpc.ok(chain_id, "evm_revert", [snap]) is True
    rpc.ok(chain_id, "evm_mine")
    block = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    assert int(block["timestamp"], 16) < head_ts + 10_000
    assert int(block["baseFeePerGas"], 16) != 7 * GWEI


# -- 9. time travel -------------------------------------------------------------------------------


def _latest_ts(rpc, cid):
    return int(rpc.ok(cid, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def test_increase_time(rpc, chain_id):
    before = _latest_ts(rpc, chain_id)
    offset = int(rpc.ok(chain_id, "evm_increaseTime", [hex(3600)]), 16)
    assert offset >= 3600
    rpc.ok(chain_id, "evm_mine")
    after = _latest_ts(rpc, chain_id)
    assert after >= before + 3600
    assert after <= int(time.time()) + offset + 5
    assert _latest_ts(rpc, 901) == _latest_ts(rpc, 902)  # one superblock, one timestamp
    # the alias accepts a plain number too, as anvil does
    rpc.ok(chain_id, "anvil_increaseTime", [60])
    rpc.ok(chain_id, "evm_mine")
    assert _latest_ts(rpc, chain_id) >= after + 60


def test_set_next_block_timestamp(rpc, chain_id, other_chain):
    target = _latest_ts(rpc, chain_id) + 1000
    assert rpc.ok(chain_id, "evm_setNextBlockTimestamp", [hex(target)]) is None
    # the next block, whatever mines it (here a transaction on the other chain), gets it exactly
    receipt = send_tx(rpc, other_chain, {"from": A0, "to": A1, "value": "0x1"})
    block = rpc.ok(other_chain, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert int(block["timestamp"], 16) == target
    assert _latest_ts(rpc, chain_id) < target  # automine: this idle chain did not advance
    sb = rpc.ok(chain_id, "xr_getSuperblockByNumber", ["latest", False])
    assert sb["timestamp"] == hex(target)
    rpc.ok(chain_id, "evm_mine")
    assert _latest_ts(rpc, chain_id) > target  # only the next block
    # a timestamp not after the latest block's is refused
    error = rpc.err(chain_id, "evm_setNextBlockTimestamp", [hex(target)])
    assert error["code"] == -32602
    rpc.ok(chain_id, "anvil_setNextBlockTimestamp", [hex(target + 5000)])  # the alias
    rpc.ok(chain_id, "evm_mine")
    assert _latest_ts(rpc, chain_id) == target + 5000


def test_evm_mine_with_timestamp_and_blocks(rpc, chain_id):
    start = block_number(rpc, chain_id)
    t = _latest_ts(rpc, chain_id) + 500
    assert rpc.ok(chain_id, "evm_mine", [hex(t)]) == "0x0"
    assert _latest_ts(rpc, chain_id) == t
    rpc.ok(chain_id, "evm_mine", [{"timestamp": hex(t + 100), "blocks": 3}])
    assert block_number(rpc, chain_id) == start + 4
    stamps = [int(rpc.ok(chain_id, "eth_getBlockByNumber", [hex(n), False])["timestamp"], 16)
              for n in range(start + 1, start + 5)]
    assert stamps == [t, t + 100, t + 101, t + 102]
    error = rpc.err(chain_id, "evm_mine", [hex(t)])  # not after the latest block
    assert error["code"] == -32602
    assert block_number(rpc, chain_id) == start + 4


@pytest.mark.parametrize("method", ["anvil_mine", "hardhat_mine"])
def test_anvil_mine_count_and_interval(rpc, chain_id, method):
    starts = {cid: block_number(rpc, cid) for cid in CHAINS}
    start_sb = xr_height(rpc)
    ts0 = _latest_ts(rpc, chain_id)
    assert rpc.ok(chain_id, method, ["0x5", "0x3c"]) is None
    for cid in CHAINS:
        assert block_number(rpc, cid) == starts[cid] + 5
    assert xr_height(rpc) == start_sb + 5
    for cid in CHAINS:
        stamps = [int(rpc.ok(cid, "eth_getBlockByNumber", [hex(n), False])["timestamp"], 16)
                  for n in range(starts[cid], starts[cid] + 6)]
        assert stamps == [ts0 + 60 * i for i in range(6)]
    rpc.ok(chain_id, method)  # no arguments: one block
    assert xr_height(rpc) == start_sb + 6
    rpc.ok(chain_id, method, [7])  # a plain number
    assert xr_height(rpc) == start_sb + 13


def test_every_chain_block_has_its_superblocks_timestamp(rpc, chain_id):
    start = {cid: block_number(rpc, cid) for cid in CHAINS}
    start_sb = xr_height(rpc)
    send_tx(rpc, 901, {"from": A0, "to": A1, "value": "0x1"})
    rpc.ok(902, "anvil_mine", ["0x2"])
    send_tx(rpc, 902, {"from": A0, "to": A1, "value": "0x1"})
    rpc.ok(901, "evm_mine")
    height = xr_height(rpc)
    assert height == start_sb + 5
    # automine advanced only the transaction's chain; anvil_mine and evm_mine every chain
    assert {cid: block_number(rpc, cid) - start[cid] for cid in CHAINS} == {901: 4, 902: 4}
    previous = None
    for n in range(height + 1):
        sb = rpc.ok(chain_id, "xr_getSuperblockByNumber", [hex(n), False])
        for ref in sb["blocks"]:  # the chains that advanced in it
            block = rpc.ok(int(ref["chainId"], 16), "eth_getBlockByNumber", [ref["number"], False])
            assert block["timestamp"] == sb["timestamp"]
        ts = int(sb["timestamp"], 16)
        if previous is not None:
            assert ts > previous  # strictly increasing
        previous = ts


def test_set_time(rpc, chain_id):
    target = int(time.time()) + 86_400
    rpc.ok(chain_id, "evm_setTime", [hex(target)])
    rpc.ok(chain_id, "evm_mine")
    assert target <= _latest_ts(rpc, chain_id) <= target + 5


# -- 10. mining modes ---------------------------------------------------------------------------


def test_manual_mining(rpc, chain_id):
    assert rpc.ok(chain_id, "anvil_getAutomine") is True
    assert rpc.ok(chain_id, "evm_setAutomine", [False]) is None
    assert rpc.ok(chain_id, "anvil_getAutomine") is False
    assert rpc.ok(chain_id, "hardhat_getAutomine") is False
    start = block_number(rpc, chain_id)
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": hex(ETH)}])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash]) is None
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert nonce(rpc, chain_id, A0, "pending") == 1
    assert nonce(rpc, chain_id, A0, "latest") == 0
    assert block_number(rpc, chain_id) == start
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE
    content = rpc.ok(chain_id, "txpool_content")
    assert content["pending"][A0.lower()]["0"]["hash"] == tx_hash
    inspect = rpc.ok(chain_id, "txpool_inspect")
    assert inspect["pending"][A0.lower()]["0"].startswith(A1.lower() + ": " + str(ETH) + " wei")
    assert rpc.ok(chain_id, "eth_mining") is True
    rpc.ok(chain_id, "evm_mine")
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1" and receipt["blockNumber"] == hex(start + 1)
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + ETH


def test_automine_on_mines_what_is_pending(rpc, chain_id):
    rpc.ok(chain_id, "anvil_setAutomine", [False])  # the alias
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    start = block_number(rpc, chain_id)
    rpc.ok(chain_id, "evm_setAutomine", [True])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])["blockNumber"] == hex(start + 1)


def test_manual_mode_is_devnet_wide(rpc, chain_id, other_chain):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    tx_hash = rpc.ok(other_chain, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    assert rpc.ok(other_chain, "eth_getTransactionReceipt", [tx_hash]) is None
    assert rpc.ok(other_chain, "anvil_getAutomine") is False
    rpc.ok(chain_id, "evm_mine")  # mining through one endpoint mines every chain's pool
    assert rpc.ok(other_chain, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


def test_interval_mining(rpc):
    start = xr_height(rpc)
    assert rpc.ok(901, "evm_setIntervalMining", [1]) is None
    assert rpc.ok(901, "anvil_getAutomine") is False
    assert rpc.ok(902, "anvil_nodeInfo")["miningMode"] == "interval"
    wait_for(lambda: xr_height(rpc) > start, timeout=4.0, interval=0.1)
    sb = rpc.ok(901, "xr_getSuperblockByNumber", [hex(start + 1), False])
    assert [b["number"] for b in sb["blocks"]] == [hex(start + 1)] * 2  # every chain got the block
    # a transaction waits for the next interval block instead of being mined at once
    tx_hash = rpc.ok(902, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    wait_for(lambda: rpc.ok(902, "eth_getTransactionReceipt", [tx_hash]), timeout=4.0, interval=0.1)
    rpc.ok(901, "anvil_setIntervalMining", [0])  # off: manual
    assert rpc.ok(901, "anvil_nodeInfo")["miningMode"] == "manual"
    height = xr_height(rpc)
    time.sleep(1.3)
    assert xr_height(rpc) == height  # nothing mines by itself any more


# -- 11. dev state -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["anvil", "hardhat"])
def test_state_edits_take_effect_on_latest(rpc, chain_id, other_chain, prefix):
    start = xr_height(rpc)
    target = Account.create().address
    assert rpc.ok(chain_id, f"{prefix}_setBalance", [target, hex(42 * ETH)]) is None
    assert balance(rpc, chain_id, target) == 42 * ETH
    assert rpc.ok(chain_id, f"{prefix}_setNonce", [target, hex(17)]) is None
    assert nonce(rpc, chain_id, target) == 17
    code = COUNTER["deployedBytecode"]
    assert rpc.ok(chain_id, f"{prefix}_setCode", [target, code]) is None
    assert rpc.ok(chain_id, "eth_getCode", [target, "latest"]) == code
    assert rpc.ok(chain_id, f"{prefix}_setStorageAt", [target, "0x0", word(1234)]) is True
    assert rpc.ok(chain_id, "eth_getStorageAt", [target, "0x0", "latest"]) == word(1234)
    assert rpc.ok(chain_id, "eth_call", [{"to": target, "data": selector("number()")}]) == word(1234)
    # the value may be shorter than 32 bytes (left-padded, as hardhat's examples send it)
    rpc.ok(chain_id, f"{prefix}_setStorageAt", [target, "0x1", "0x05"])
    assert rpc.ok(chain_id, "eth_getStorageAt", [target, "0x1"]) == word(5)
    # no block was mined, and the other chain is untouched
    assert xr_height(rpc) == start
    assert balance(rpc, other_chain, target) == 0
    assert rpc.ok(other_chain, "eth_getCode", [target, "latest"]) == "0x"
    # the edits persist into the next blocks; a transaction runs against the edited code
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": target, "data": calldata("increment()")})
    assert receipt["status"] == "0x1"
    assert rpc.ok(chain_id, "eth_getStorageAt", [target, "0x0"]) == word(1235)
    assert balance(rpc, chain_id, target) == 42 * ETH
    assert nonce(rpc, chain_id, target) == 17
    # the state before the edit is still readable at the older block
    assert balance(rpc, chain_id, target, hex(start)) == 0


def test_set_nonce_of_a_dev_account_moves_its_next_transaction(rpc, chain_id):
    rpc.ok(chain_id, "anvil_setNonce", [A1, hex(50)])
    receipt = send_tx(rpc, chain_id, {"from": A1, "to": A2, "value": "0x1"})
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [receipt["transactionHash"]])
    assert tx["nonce"] == hex(50)
    assert nonce(rpc, chain_id, A1) == 51


def test_set_balance_then_raw_send_from_a_fresh_key(rpc, chain_id):
    fresh = Account.create()
    rpc.ok(chain_id, "anvil_setBalance", [fresh.address, hex(ETH)])
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
                "to": A1, "value": 5, "chainId": chain_id}, fresh.key)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


def test_bad_state_edit_params(rpc, chain_id):
    error = rpc.err(chain_id, "anvil_setStorageAt", [A0, "0x0", "0x" + "11" * 33])
    assert error["code"] == -32602
    error = rpc.err(chain_id, "anvil_setBalance", [A0, "-1"])
    assert error["code"] == -32602 and "balance" in error["message"]
    error = rpc.err(chain_id, "anvil_setCode", ["0x1234", "0x00"])
    assert error["code"] == -32602 and "address" in error["message"]


def test_next_block_base_fee(rpc, chain_id):
    assert rpc.ok(chain_id, "anvil_setNextBlockBaseFeePerGas", [hex(5 * GWEI)]) is None
    assert int(rpc.ok(chain_id, "eth_gasPrice"), 16) == 5 * GWEI + GWEI
    # below the announced base fee: refused
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 4 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
                "to": A2, "value": 1, "chainId": chain_id}, K1)
    error = rpc.err(chain_id, "eth_sendRawTransaction", [raw])
    assert error == {"code": -32003, "message": "max fee per gas less than block base fee"}
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert block["baseFeePerGas"] == hex(5 * GWEI)
    assert int(receipt["effectiveGasPrice"], 16) == 5 * GWEI + GWEI
    # only the next block: the one after follows EIP-1559 from it
    rpc.ok(chain_id, "evm_mine")
    after = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    used, limit = int(block["gasUsed"], 16), int(block["gasLimit"], 16)
    target = limit // 2
    expected = 5 * GWEI - 5 * GWEI * (target - used) // target // 8
    assert after["baseFeePerGas"] == hex(expected)
    rpc.ok(chain_id, "hardhat_setNextBlockBaseFeePerGas", [hex(GWEI // 2)])  # the alias
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["baseFeePerGas"] == hex(GWEI // 2)


def test_set_coinbase(rpc, chain_id):
    miner = Account.create().address
    rpc.ok(chain_id, "anvil_setCoinbase", [miner])
    assert rpc.ok(chain_id, "eth_coinbase").lower() == miner.lower()
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1", "maxPriorityFeePerGas": hex(3 * GWEI)})
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert block["miner"].lower() == miner.lower()
    assert balance(rpc, chain_id, miner) == 21_000 * 3 * GWEI  # the tips; the base fee is burnt


def test_drop_transaction(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    keep = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A1, "to": A2, "value": "0x1"}])
    drop = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A2, "value": "0x2"}])
    assert rpc.ok(chain_id, "txpool_status")["pending"] == "0x2"
    assert rpc.ok(chain_id, "anvil_dropTransaction", [drop]) == drop
    assert rpc.ok(chain_id, "anvil_dropTransaction", [drop]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [drop]) is None
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert nonce(rpc, chain_id, A0, "pending") == 0
    rpc.ok(chain_id, "evm_mine")
    block = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    assert block["transactions"] == [keep]
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [drop]) is None
    assert balance(rpc, chain_id, A2) == INITIAL_BALANCE + 1


def test_drop_all_transactions(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    for value in (1, 2, 3):
        rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A2, "value": hex(value)}])
    assert rpc.ok(chain_id, "txpool_status")["pending"] == "0x3"
    rpc.ok(chain_id, "anvil_dropAllTransactions")
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["transactions"] == []


def test_node_info(rpc, chain_id):
    rpc.ok(chain_id, "anvil_mine", ["0x2"])
    info = rpc.ok(chain_id, "anvil_nodeInfo")
    latest = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    # anvil's shapes (alloy's NodeInfo): the block number and U256 amounts are hex quantities,
    # the timestamp and the chain id plain numbers
    assert info["currentBlockNumber"] == latest["number"]
    assert info["currentBlockTimestamp"] == int(latest["timestamp"], 16)
    assert info["currentBlockHash"] == latest["hash"]
    assert info["hardFork"] == "prague"
    assert info["transactionOrder"] == "fees"
    env = info["environment"]
    assert env["chainId"] == chain_id
    assert env["baseFee"] == latest["baseFeePerGas"]
    assert env["gasLimit"] == hex(30_000_000)
    assert env["gasPrice"] == rpc.ok(chain_id, "eth_gasPrice")
    assert info["forkConfig"] == {}
    assert info["miningMode"] == "automine"
    assert info["superblock"] == int(rpc.ok(chain_id, "xr_blockNumber"), 16)
