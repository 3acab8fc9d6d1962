"""The RPC surface anvil, Hardhat and Foundry users expect beyond the core: raw transactions,
eth_signTransaction, the pending block, state overrides, eth_getAccountInfo, the synchronous
send (EIP-7966), access lists with the recipient's slots, null topics, and time travel
relative to the chain's own time. Against the real served devnet."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak

from tests.e2e.e2e_helpers import (
    A0,
    A1,
    GWEI,
    K1,
    block_number,
    calldata,
    deploy_counter,
    nonce,
    send_tx,
    sign,
    word,
)

SLOT0 = "0x" + "00" * 32


def _transfer(rpc, chain_id, value=1):
    return rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": hex(value)}])


# -- raw transactions ----------------------------------------------------------------------


def test_raw_transaction_by_hash_and_by_block(rpc, chain_id):
    raw = sign({"to": A0, "value": 5, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI,
                "nonce": nonce(rpc, chain_id, Account.from_key(K1).address), "chainId": chain_id, "type": 2}, K1)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    assert rpc.ok(chain_id, "eth_getRawTransactionByHash", [tx_hash]) == raw
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    index = receipt["transactionIndex"]
    assert rpc.ok(chain_id, "eth_getRawTransactionByBlockNumberAndIndex", [receipt["blockNumber"], index]) == raw
    assert rpc.ok(chain_id, "eth_getRawTransactionByBlockHashAndIndex", [receipt["blockHash"], index]) == raw
    assert keccak(hexstr=raw) == bytes.fromhex(tx_hash[2:])


def test_raw_transaction_unknown_is_null(rpc, chain_id):
    assert rpc.ok(chain_id, "eth_getRawTransactionByHash", ["0x" + "ab" * 32]) is None
    assert rpc.ok(chain_id, "eth_getRawTransactionByBlockNumberAndIndex", ["0x0", "0x5"]) is None
    assert rpc.ok(chain_id, "eth_getRawTransactionByBlockHashAndIndex", ["0x" + "cd" * 32, "0x0"]) is None


def test_raw_transaction_of_a_pooled_transaction(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    tx_hash = _transfer(rpc, chain_id)
    raw = rpc.ok(chain_id, "eth_getRawTransactionByHash", [tx_hash])
    assert keccak(hexstr=raw) == bytes.fromhex(tx_hash[2:])


# -- eth_signTransaction -----------------------------------------------------------------------


def test_sign_transaction_signs_without_sending(rpc, chain_id):
    before = nonce(rpc, chain_id, A0)
    height = block_number(rpc, chain_id)
    out = rpc.ok(chain_id, "eth_signTransaction", [{"from": A0, "to": A1, "value": "0x7", "gas": "0x5208"}])
    assert Account.recover_transaction(out["raw"]) == A0
    assert out["tx"]["from"].lower() == A0.lower()
    assert out["tx"]["nonce"] == hex(before) and out["tx"]["value"] == "0x7" and out["tx"]["gas"] == "0x5208"
    assert nonce(rpc, chain_id, A0) == before and block_number(rpc, chain_id) == height
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [out["raw"]])  # and it is a valid transaction
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


def test_sign_transaction_needs_a_dev_account(rpc, chain_id):
    error = rpc.err(chain_id, "eth_signTransaction", [{"from": "0x" + "11" * 20, "to": A1}])
    assert error["code"] == -32602


# -- the pending block ---------------------------------------------------------------------------


def test_pending_block_holds_the_pool(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    head = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    tx_hash = _transfer(rpc, chain_id)
    pending = rpc.ok(chain_id, "eth_getBlockByNumber", ["pending", False])
    assert int(pending["number"], 16) == int(head["number"], 16) + 1
    assert pending["hash"] is None and pending["nonce"] is None and pending["miner"] is None
    assert pending["parentHash"] == head["hash"]
    assert pending["transactions"] == [tx_hash]
    assert int(pending["gasUsed"], 16) == 21_000
    full = rpc.ok(chain_id, "eth_getBlockByNumber", ["pending", True])
    assert full["transactions"][0]["hash"] == tx_hash and full["transactions"][0]["blockHash"] is None
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["hash"] == head["hash"]  # nothing mined


# -- eth_call state overrides (geth's shape) -------------------------------------------------------


def test_call_state_overrides(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 5)
    number = {"to": counter, "data": calldata("number()")}
    assert int(rpc.ok(chain_id, "eth_call", [number, "latest"]), 16) == 5
    assert int(rpc.ok(chain_id, "eth_call", [number, "latest", {counter: {"stateDiff": {SLOT0: word(42)}}}]), 16) == 42
    assert int(rpc.ok(chain_id, "eth_call", [number, "latest", {counter: {"state": {}}}]), 16) == 0
    assert rpc.ok(chain_id, "eth_call", [number, "latest", {counter: {"code": "0x"}}]) == "0x"
    rich = "0x" + "77" * 20
    balance_of = {"to": rich, "data": "0x"}
    assert rpc.ok(chain_id, "eth_call", [balance_of, "latest", {rich: {"balance": "0x1", "nonce": "0x3"}}]) == "0x"
    # a contract that returns its own balance: SELFBALANCE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    code = "0x475f5260205ff3"
    out = rpc.ok(chain_id, "eth_call", [balance_of, "latest", {rich: {"balance": "0x1234", "code": code}}])
    assert int(out, 16) == 0x1234
    assert int(rpc.ok(chain_id, "eth_call", [number, "latest"]), 16) == 5  # nothing stayed


def test_call_state_overrides_bad_input(rpc, chain_id):
    tx = {"to": A1, "data": "0x"}
    assert rpc.err(chain_id, "eth_call", [tx, "latest", {A1: {"state": {}, "stateDiff": {}}}])["code"] == -32602
    assert rpc.err(chain_id, "eth_call", [tx, "latest", {A1: {"balanceOf": "0x1"}}])["code"] == -32602
    assert rpc.err(chain_id, "eth_call", [tx, "latest", {"0x12": {}}])["code"] == -32602


# -- eth_getAccountInfo (anvil's shape) -----------------------------------------------------------


def test_get_account_info(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 1)
    info = rpc.ok(chain_id, "eth_getAccountInfo", [counter, "latest"])
    assert info == {"balance": "0x0", "nonce": "0x1", "code": rpc.ok(chain_id, "eth_getCode", [counter, "latest"])}
    mine = rpc.ok(chain_id, "eth_getAccountInfo", [A0])
    assert mine["balance"] == rpc.ok(chain_id, "eth_getBalance", [A0, "latest"])
    assert mine["nonce"] == hex(nonce(rpc, chain_id, A0)) and mine["code"] == "0x"


# -- eth_sendRawTransactionSync (EIP-7966) ----------------------------------------------------------


def _raw_transfer(rpc, chain_id, value=3):
    sender = Account.from_key(K1).address
    return sign({"to": A0, "value": value, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI,
                 "nonce": int(rpc.ok(chain_id, "eth_getTransactionCount", [sender, "pending"]), 16),
                 "chainId": chain_id, "type": 2}, K1)


def test_send_raw_transaction_sync_returns_the_receipt(rpc, chain_id):
    raw = _raw_transfer(rpc, chain_id)
    receipt = rpc.ok(chain_id, "eth_sendRawTransactionSync", [raw])
    assert receipt["status"] == "0x1"
    assert receipt["transactionHash"] == "0x" + keccak(hexstr=raw).hex()
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [receipt["transactionHash"]]) == receipt


def test_send_raw_transaction_sync_times_out_with_code_4(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    raw = _raw_transfer(rpc, chain_id)
    error = rpc.err(chain_id, "eth_sendRawTransactionSync", [raw, 50])
    assert error["code"] == 4
    assert error["data"] == "0x" + keccak(hexstr=raw).hex()
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [error["data"]])["blockHash"] is None  # still pooled


# -- eth_createAccessList keeps the recipient's slots ----------------------------------------------------


def test_access_list_lists_the_recipients_slots(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 0)
    out = rpc.ok(chain_id, "eth_createAccessList", [{"from": A0, "to": counter, "data": calldata(
        "setNumber(uint256)", ["uint256"], [9])}, "latest"])
    assert out["accessList"] == [{"address": counter.lower(), "storageKeys": [SLOT0]}]
    plain = rpc.ok(chain_id, "eth_createAccessList", [{"from": A0, "to": A1, "value": "0x1"}, "latest"])
    assert plain["accessList"] == []


# -- eth_getLogs: every topic position named must exist, even when null ---------------------------------


def test_logs_with_null_topic_positions(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 0)
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": counter, "data": calldata("increment()")})
    assert receipt["logs"], "Counter.increment emits a log"
    width = len(receipt["logs"][0]["topics"])
    block = receipt["blockNumber"]
    query = {"fromBlock": block, "toBlock": block, "address": counter}
    assert len(rpc.ok(chain_id, "eth_getLogs", [{**query, "topics": [None] * width}])) == 1
    assert rpc.ok(chain_id, "eth_getLogs", [{**query, "topics": [None] * (width + 1)}]) == []


# -- time travel relative to the chain's own time ------------------------------------------------------


def test_increase_time_counts_from_the_chain_when_it_runs_ahead(rpc, chain_id):
    for _ in range(5):  # automine: each block a second after the last, ahead of the wall clock
        rpc.ok(chain_id, "evm_mine")
    ahead = rpc.ok(chain_id, "evm_setNextBlockTimestamp", [
        int(rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16) + 100])
    assert ahead is None
    rpc.ok(chain_id, "evm_mine")
    before = int(rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    rpc.ok(chain_id, "evm_increaseTime", [3600])
    rpc.ok(chain_id, "evm_mine")
    after = int(rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    assert 3600 <= after - before <= 3602


def test_client_version_names_anvil_and_xrollup(rpc, chain_id):
    version = rpc.ok(chain_id, "web3_clientVersion")
    assert version.startswith("anvil/") and "xrollup/" in version


# -- evm_setBlockGasLimit -----------------------------------------------------------------------


def test_set_block_gas_limit(rpc, chain_id):
    snap = rpc.ok(chain_id, "evm_snapshot")
    assert rpc.ok(chain_id, "evm_setBlockGasLimit", [hex(1_000_000)]) is True
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert block["gasLimit"] == hex(1_000_000)
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "gas": hex(2_000_000)}])
    assert error["code"] == -32003 and "gas limit" in error["message"]
    assert rpc.err(chain_id, "evm_setBlockGasLimit", ["0x1"])["code"] == -32602
    assert rpc.ok(chain_id, "evm_revert", [snap]) is True
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["gasLimit"] == hex(30_000_000)


def test_call_state_overrides_out_of_range(rpc, chain_id):
    tx = {"to": A1, "data": "0x"}
    assert rpc.err(chain_id, "eth_call", [tx, "latest", {A1: {"balance": hex(2**256)}}])["code"] == -32602
    assert rpc.err(chain_id, "eth_call", [tx, "latest", {A1: {"nonce": hex(2**64)}}])["code"] == -32602


def test_send_raw_transaction_sync_refuses_what_is_no_transaction(rpc, chain_id):
    error = rpc.err(chain_id, "eth_sendRawTransactionSync", ["0x1234"])
    assert error["code"] == -32003 and error["message"] == "transaction type not supported"
