"""Transactions of every type, their JSON shapes, blocks and block tags, dev accounts,
impersonation, signing, and the pool's rejections."""

from __future__ import annotations

import json

import pytest
import rlp
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak, to_checksum_address

from tests.e2e.e2e_helpers import (
    A0,
    A1,
    A2,
    A3,
    COUNTER,
    ETH,
    GWEI,
    INITIAL_BALANCE,
    K0,
    K1,
    K2,
    balance,
    block_number,
    calldata,
    counter_deploy_data,
    deploy_counter,
    next_base_fee,
    nonce,
    selector,
    send_tx,
    sign,
    word,
)

# -- 4. transaction types, sent raw ---------------------------------------------------------------


def _raw_hash(raw: str) -> str:
    return "0x" + keccak(bytes.fromhex(raw[2:])).hex()


def test_legacy_eip155_transaction(rpc, chain_id):
    raw = sign({"nonce": 0, "gasPrice": 3 * GWEI, "gas": 21_000, "to": A3, "value": 12345, "data": b"",
                "chainId": chain_id}, K1)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    assert tx_hash == _raw_hash(raw)
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [tx_hash])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1" and receipt["type"] == "0x0"
    assert tx["type"] == "0x0"
    assert tx["chainId"] == hex(chain_id)
    assert int(tx["v"], 16) in (chain_id * 2 + 35, chain_id * 2 + 36)  # EIP-155
    assert tx["from"].lower() == A1.lower() and tx["to"].lower() == A3.lower()
    assert (tx["nonce"], tx["gas"], tx["gasPrice"], tx["value"], tx["input"]) == (
        "0x0", hex(21_000), hex(3 * GWEI), hex(12345), "0x")
    assert "accessList" not in tx and "maxFeePerGas" not in tx
    assert receipt["effectiveGasPrice"] == hex(3 * GWEI)
    assert receipt["gasUsed"] == hex(21_000) and receipt["cumulativeGasUsed"] == hex(21_000)
    assert balance(rpc, chain_id, A3) == INITIAL_BALANCE + 12345
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE - 12345 - 21_000 * 3 * GWEI
    # the signature in the JSON is the one in the raw bytes
    fields = rlp.decode(bytes.fromhex(raw[2:]))
    assert int(tx["r"], 16) == int.from_bytes(fields[7], "big")
    assert int(tx["s"], 16) == int.from_bytes(fields[8], "big")


def test_access_list_transaction(rpc, chain_id):
    address = deploy_counter(rpc, chain_id, 1)
    access = [{"address": address, "storageKeys": ["0x" + "00" * 32, "0x" + "00" * 31 + "01"]}]
    raw = sign({"type": 1, "nonce": 0, "gasPrice": 2 * GWEI, "gas": 100_000, "to": address, "value": 0,
                "data": calldata("increment()"), "chainId": chain_id, "accessList": access}, K1)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [tx_hash])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1" and receipt["type"] == "0x1"
    assert tx["type"] == "0x1" and tx["chainId"] == hex(chain_id) and tx["gasPrice"] == hex(2 * GWEI)
    assert [{"address": a["address"].lower(), "storageKeys": a["storageKeys"]} for a in tx["accessList"]] == [
        {"address": address.lower(), "storageKeys": access[0]["storageKeys"]}]
    assert tx["yParity"] in ("0x0", "0x1") and tx["v"] == tx["yParity"]
    assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x0"]) == word(2)


def test_dynamic_fee_transaction(rpc, chain_id):
    base = next_base_fee(rpc, chain_id)
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": 2 * GWEI,
                "gas": 21_000, "to": A3, "value": 7, "data": b"", "chainId": chain_id}, K2)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [tx_hash])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert int(block["baseFeePerGas"], 16) == base
    assert tx["type"] == "0x2" and receipt["type"] == "0x2"
    assert tx["maxFeePerGas"] == hex(10 * GWEI) and tx["maxPriorityFeePerGas"] == hex(2 * GWEI)
    assert tx["accessList"] == []
    paid = base + 2 * GWEI  # min(maxFee, base + tip)
    assert receipt["effectiveGasPrice"] == hex(paid)
    assert tx["gasPrice"] == hex(paid)  # a mined 1559 tx reports its effective price
    assert balance(rpc, chain_id, A2) == INITIAL_BALANCE - 7 - 21_000 * paid


def test_set_code_transaction_eip7702(rpc, chain_id):
    target = deploy_counter(rpc, chain_id, 5)
    authority = Account.from_key(K2)
    auth = Account.sign_authorization({"chainId": chain_id, "address": target, "nonce": 0}, K2)
    raw = sign({"type": 4, "chainId": chain_id, "nonce": nonce(rpc, chain_id, A0), "maxFeePerGas": 10 * GWEI,
                "maxPriorityFeePerGas": GWEI, "gas": 200_000, "to": authority.address, "value": 0,
                "data": calldata("setNumber(uint256)", ["uint256"], [99]), "accessList": [],
                "authorizationList": [auth]}, K0)
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1" and receipt["type"] == "0x4"
    assert rpc.ok(chain_id, "eth_getCode", [authority.address, "latest"]) == "0xef0100" + target.lower()[2:]
    # the authority's own storage was written through the delegated code
    assert rpc.ok(chain_id, "eth_getStorageAt", [authority.address, "0x0"]) == word(99)
    assert rpc.ok(chain_id, "eth_getStorageAt", [target, "0x0"]) == word(5)
    assert nonce(rpc, chain_id, A2) == 1  # the authorization used the authority's nonce
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [tx_hash])
    assert tx["type"] == "0x4"
    (entry,) = tx["authorizationList"]
    assert entry["chainId"] == hex(chain_id) and entry["address"].lower() == target.lower()
    assert entry["nonce"] == "0x0"
    # the EOA answers calls with the delegate's code
    assert rpc.ok(chain_id, "eth_call", [{"to": authority.address, "data": selector("number()")}]) == word(99)


# -- 4. blocks, receipts, indexes, tags ---------------------------------------------------------


def test_blocks_receipts_and_indexes(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    h_create = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "data": counter_deploy_data(3)}])
    h_transfer = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": hex(ETH)}])
    raw = sign({"nonce": 0, "gasPrice": 5 * GWEI, "gas": 21_000, "to": A0, "value": 1, "chainId": chain_id}, K2)
    h_legacy = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    # pending: known by hash, no block, no receipt
    pending_tx = rpc.ok(chain_id, "eth_getTransactionByHash", [h_transfer])
    assert pending_tx["blockHash"] is None and pending_tx["blockNumber"] is None
    assert pending_tx["transactionIndex"] is None
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h_transfer]) is None
    rpc.ok(chain_id, "evm_mine")
    number = block_number(rpc, chain_id)
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [hex(number), False])
    # fee ordering: A2's 5 gwei legacy tx pays the highest tip; A0's two keep nonce order
    assert block["transactions"] == [h_legacy, h_create, h_transfer]
    assert block["number"] == hex(number)
    assert rpc.ok(chain_id, "eth_getBlockByHash", [block["hash"], False]) == block
    full = rpc.ok(chain_id, "eth_getBlockByHash", [block["hash"], True])
    assert [t["hash"] for t in full["transactions"]] == block["transactions"]
    assert {k: v for k, v in full.items() if k != "transactions"} == {
        k: v for k, v in block.items() if k != "transactions"}
    assert rpc.ok(chain_id, "eth_getBlockByNumber", [hex(number), True]) == full
    for index, tx in enumerate(full["transactions"]):
        assert tx == rpc.ok(chain_id, "eth_getTransactionByHash", [tx["hash"]])
        assert tx["blockHash"] == block["hash"] and tx["blockNumber"] == hex(number)
        assert tx["transactionIndex"] == hex(index)
        assert rpc.ok(chain_id, "eth_getTransactionByBlockNumberAndIndex", [hex(number), hex(index)]) == tx
        assert rpc.ok(chain_id, "eth_getTransactionByBlockHashAndIndex", [block["hash"], hex(index)]) == tx
    assert rpc.ok(chain_id, "eth_getTransactionByBlockNumberAndIndex", [hex(number), "0x3"]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByBlockHashAndIndex", ["0x" + "12" * 32, "0x0"]) is None
    assert rpc.ok(chain_id, "eth_getBlockTransactionCountByNumber", [hex(number)]) == "0x3"
    assert rpc.ok(chain_id, "eth_getBlockTransactionCountByHash", [block["hash"]]) == "0x3"
    assert rpc.ok(chain_id, "eth_getBlockTransactionCountByNumber", ["0x0"]) == "0x0"
    # receipts
    receipts = rpc.ok(chain_id, "eth_getBlockReceipts", [hex(number)])
    assert [r["transactionHash"] for r in receipts] == block["transactions"]
    assert receipts == [rpc.ok(chain_id, "eth_getTransactionReceipt", [h]) for h in block["transactions"]]
    assert rpc.ok(chain_id, "eth_getBlockReceipts", [block["hash"]]) == receipts
    assert rpc.ok(chain_id, "eth_getBlockReceipts", [{"blockHash": block["hash"]}]) == receipts
    cumulative = 0
    for index, receipt in enumerate(receipts):
        cumulative += int(receipt["gasUsed"], 16)
        assert receipt["cumulativeGasUsed"] == hex(cumulative)
        assert receipt["transactionIndex"] == hex(index)
        assert receipt["blockHash"] == block["hash"] and receipt["blockNumber"] == hex(number)
        assert receipt["status"] == "0x1"
    assert block["gasUsed"] == hex(cumulative)
    creation = receipts[1]
    assert creation["to"] is None  # null, never ""
    expected = "0x" + keccak(rlp.encode([bytes.fromhex(A0[2:]), 0]))[12:].hex()
    assert creation["contractAddress"] == expected
    assert full["transactions"][1]["to"] is None
    assert receipts[2]["contractAddress"] is None and receipts[2]["to"].lower() == A1.lower()
    assert rpc.ok(chain_id, "eth_getCode", [expected, "latest"]) == COUNTER["deployedBytecode"]
    # uncles: none, ever
    assert rpc.ok(chain_id, "eth_getUncleCountByBlockNumber", [hex(number)]) == "0x0"
    assert rpc.ok(chain_id, "eth_getUncleCountByBlockHash", [block["hash"]]) == "0x0"
    assert rpc.ok(chain_id, "eth_getUncleByBlockNumberAndIndex", [hex(number), "0x0"]) is None
    assert rpc.ok(chain_id, "eth_getUncleByBlockHashAndIndex", [block["hash"], "0x0"]) is None
    assert block["uncles"] == []
    # unknown blocks and transactions are null
    assert rpc.ok(chain_id, "eth_getBlockByNumber", [hex(number + 10), False]) is None
    assert rpc.ok(chain_id, "eth_getBlockByHash", ["0x" + "34" * 32, False]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", ["0x" + "56" * 32]) is None
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", ["0x" + "56" * 32]) is None
    assert rpc.ok(chain_id, "eth_getBlockTransactionCountByNumber", [hex(number + 10)]) is None


def test_block_json_shape(rpc, chain_id):
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    number = block_number(rpc, chain_id)
    block = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    parent = rpc.ok(chain_id, "eth_getBlockByNumber", [hex(number - 1), False])
    assert block["parentHash"] == parent["hash"]
    assert int(block["timestamp"], 16) > int(parent["timestamp"], 16)
    for key in ("hash", "parentHash", "stateRoot", "transactionsRoot", "receiptsRoot", "sha3Uncles", "mixHash"):
        assert len(block[key]) == 66, key
    assert len(block["logsBloom"]) == 2 + 512
    assert block["gasLimit"] == hex(30_000_000)
    assert block["miner"] == "0x" + "00" * 20
    for key in ("number", "gasUsed", "gasLimit", "timestamp", "baseFeePerGas", "size", "difficulty"):
        value = block[key]
        assert value.startswith("0x") and (value == "0x0" or not value.startswith("0x0")), (key, value)
    genesis = rpc.ok(chain_id, "eth_getBlockByNumber", ["0x0", False])
    assert genesis["parentHash"] == "0x" + "00" * 32
    assert genesis["baseFeePerGas"] == hex(GWEI)


def test_block_tags_and_eip1898(rpc, chain_id):
    address = deploy_counter(rpc, chain_id, 10)
    old_number = block_number(rpc, chain_id)
    old_hash = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["hash"]
    send_tx(rpc, chain_id, {"from": A0, "to": address, "data": calldata("setNumber(uint256)", ["uint256"], [20])})
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": hex(ETH)})
    head = block_number(rpc, chain_id)
    head_hash = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])["hash"]
    for tag in ("latest", "safe", "finalized"):
        assert rpc.ok(chain_id, "eth_getBlockByNumber", [tag, False])["number"] == hex(head), tag
    # the pending block is the next one, as geth and anvil answer (state reads at "pending" see the head)
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["pending", False])["number"] == hex(head + 1)
    assert rpc.ok(chain_id, "eth_getBlockByNumber", ["earliest", False])["number"] == "0x0"
    number_call = {"to": address, "data": selector("number()")}
    refs_old = [hex(old_number), {"blockNumber": hex(old_number)}, {"blockHash": old_hash}, old_hash]
    refs_new = ["latest", "pending", "safe", "finalized", hex(head), {"blockNumber": hex(head)},
                {"blockHash": head_hash}, {"blockNumber": "latest"}]
    a0_nonce_old = nonce(rpc, chain_id, A0, hex(old_number))
    for ref in refs_old:
        assert rpc.ok(chain_id, "eth_call", [number_call, ref]) == word(10), ref
        assert int(rpc.ok(chain_id, "eth_getBalance", [A1, ref]), 16) == INITIAL_BALANCE, ref
        assert int(rpc.ok(chain_id, "eth_getTransactionCount", [A0, ref]), 16) == a0_nonce_old, ref
        assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x0", ref]) == word(10), ref
        assert rpc.ok(chain_id, "eth_getCode", [address, ref]) == COUNTER["deployedBytecode"], ref
    for ref in refs_new:
        assert rpc.ok(chain_id, "eth_call", [number_call, ref]) == word(20), ref
        assert int(rpc.ok(chain_id, "eth_getBalance", [A1, ref]), 16) == INITIAL_BALANCE + ETH, ref
        assert int(rpc.ok(chain_id, "eth_getTransactionCount", [A0, ref]), 16) == a0_nonce_old + 2, ref
        assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x0", ref]) == word(20), ref
    for ref in ("earliest", "0x0", {"blockNumber": "0x0"}):
        assert rpc.ok(chain_id, "eth_getCode", [address, ref]) == "0x", ref
        assert int(rpc.ok(chain_id, "eth_getBalance", [A0, ref]), 16) == INITIAL_BALANCE, ref
    # a block that does not exist is an error, not a silent "latest"
    error = rpc.err(chain_id, "eth_getBalance", [A0, hex(head + 100)])
    assert error == {"code": -32000, "message": f"block number {head + 100} is beyond the chain head {head}"}
    error = rpc.err(chain_id, "eth_getBalance", [A0, {"blockHash": "0x" + "77" * 32}])
    assert error["code"] == -32000 and "not found" in error["message"]
    error = rpc.err(chain_id, "eth_call", [number_call, {"blockHash": "0x" + "77" * 32}])
    assert error["code"] == -32000


def test_chains_have_separate_state(rpc, chain_id, other_chain):
    address = deploy_counter(rpc, chain_id, 1)
    assert rpc.ok(other_chain, "eth_getCode", [address, "latest"]) == "0x"
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": hex(ETH)})
    assert balance(rpc, other_chain, A1) == INITIAL_BALANCE
    assert nonce(rpc, other_chain, A0) == 0
    assert nonce(rpc, chain_id, A0) == 2


# -- 5. eth_sendTransaction, impersonation, signing ------------------------------------------


def test_send_transaction_types_from_dev_accounts(rpc, chain_id):
    r = send_tx(rpc, chain_id, {"from": A1, "to": A2, "value": hex(5)})
    assert r["type"] == "0x2" and r["from"].lower() == A1.lower() and r["to"].lower() == A2.lower()
    r = send_tx(rpc, chain_id, {"from": A1, "to": A2, "value": hex(5), "gasPrice": hex(3 * GWEI)})
    assert r["type"] == "0x0" and r["effectiveGasPrice"] == hex(3 * GWEI)
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [r["transactionHash"]])
    assert int(tx["v"], 16) in (2 * chain_id + 35, 2 * chain_id + 36)
    r = send_tx(rpc, chain_id, {"from": A1, "to": A2, "gasPrice": hex(3 * GWEI), "gas": hex(23_400),
                                "accessList": [{"address": A3, "storageKeys": []}]})
    assert r["type"] == "0x1" and r["gasUsed"] == hex(23_400)  # 21000 + 2400 for the listed address
    r = send_tx(rpc, chain_id, {"from": A1, "to": A2, "maxFeePerGas": hex(4 * GWEI),
                                "maxPriorityFeePerGas": hex(GWEI), "gas": hex(30_000), "nonce": "0x3"})
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [r["transactionHash"]])
    assert (tx["nonce"], tx["gas"], tx["maxFeePerGas"]) == ("0x3", hex(30_000), hex(4 * GWEI))
    assert balance(rpc, chain_id, A2) == INITIAL_BALANCE + 10
    assert nonce(rpc, chain_id, A1) == 4
    error = rpc.err(chain_id, "eth_sendTransaction", [{"to": A2}])
    assert error["code"] == -32602 and "from" in error["message"]
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": A1, "to": A2, "chainId": hex(chain_id + 7)}])
    assert error == {"code": -32003,
                     "message": f"invalid chain id: transaction is for chain {chain_id + 7}, this is chain {chain_id}"}


def test_send_transaction_with_access_list_estimates_its_gas(rpc, chain_id):
    access = [{"address": A3, "storageKeys": ["0x" + "00" * 32]}]
    estimate = rpc.ok(chain_id, "eth_estimateGas", [{"from": A1, "to": A2, "accessList": access}])
    assert estimate == hex(21_000 + 2400 + 1900)
    receipt = send_tx(rpc, chain_id, {"from": A1, "to": A2, "gasPrice": hex(3 * GWEI), "accessList": access})
    assert receipt["type"] == "0x1" and receipt["gasUsed"] == hex(21_000 + 2400 + 1900)


@pytest.mark.parametrize("prefix", ["anvil", "hardhat"])
def test_impersonation(rpc, chain_id, prefix):
    stranger = Account.create().address
    assert rpc.ok(chain_id, f"{prefix}_setBalance", [stranger, hex(5 * ETH)]) is None
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": stranger, "to": A1, "value": "0x1"}])
    assert error == {"code": -32003,
                     "message": f"no key for {stranger.lower()}: not a dev account and not impersonated"}
    assert rpc.ok(chain_id, f"{prefix}_impersonateAccount", [stranger]) is None
    receipt = send_tx(rpc, chain_id, {"from": stranger, "to": A1, "value": hex(ETH)})
    assert receipt["from"].lower() == stranger.lower() and receipt["status"] == "0x1"
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [receipt["transactionHash"]])
    assert tx["from"].lower() == stranger.lower()
    # legacy-priced, and a contract creation, work too
    receipt = send_tx(rpc, chain_id, {"from": stranger, "data": counter_deploy_data(8), "gasPrice": hex(2 * GWEI)})
    assert receipt["status"] == "0x1" and receipt["from"].lower() == stranger.lower()
    assert receipt["contractAddress"] == "0x" + keccak(rlp.encode([bytes.fromhex(stranger[2:]), 1]))[12:].hex()
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + ETH
    assert nonce(rpc, chain_id, stranger) == 2
    assert rpc.ok(chain_id, f"{prefix}_stopImpersonatingAccount", [stranger]) is None
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": stranger, "to": A1, "value": "0x1"}])
    assert error["code"] == -32003 and stranger.lower() in error["message"]
    assert nonce(rpc, chain_id, stranger) == 2


def test_impersonated_transaction_keeps_its_access_list(rpc, chain_id):
    stranger = Account.create().address
    rpc.ok(chain_id, "anvil_setBalance", [stranger, hex(ETH)])
    rpc.ok(chain_id, "anvil_impersonateAccount", [stranger])
    access = [{"address": A3, "storageKeys": []}]
    for fees in ({"gasPrice": hex(2 * GWEI)}, {"maxFeePerGas": hex(5 * GWEI), "maxPriorityFeePerGas": hex(GWEI)}):
        receipt = send_tx(rpc, chain_id, {"from": stranger, "to": A1, "gas": hex(23_400), "accessList": access,
                                          **fees})
        assert receipt["type"] == ("0x1" if "gasPrice" in fees else "0x2")
        assert receipt["gasUsed"] == hex(23_400)  # the listed address was paid for
        tx = rpc.ok(chain_id, "eth_getTransactionByHash", [receipt["transactionHash"]])
        assert [a["address"].lower() for a in tx["accessList"]] == [A3.lower()]


def test_impersonating_a_contract(rpc, chain_id):
    """Impersonating a contract address (a common forking-test trick) sends from it."""
    address = deploy_counter(rpc, chain_id, 0)
    rpc.ok(chain_id, "anvil_setBalance", [address, hex(ETH)])
    rpc.ok(chain_id, "anvil_impersonateAccount", [address])
    receipt = send_tx(rpc, chain_id, {"from": address, "to": A1, "value": hex(10)})
    assert receipt["status"] == "0x1" and receipt["from"].lower() == address.lower()
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + 10


def test_eth_sign_and_personal_sign(rpc, chain_id):
    message = b"hello xrollup \x00\xff"
    hexmsg = "0x" + message.hex()
    sig = rpc.ok(chain_id, "eth_sign", [A1, hexmsg])
    assert len(sig) == 2 + 130
    assert Account.recover_message(encode_defunct(primitive=message), signature=sig) == A1
    assert sig == "0x" + Account.sign_message(encode_defunct(primitive=message), K1).signature.hex()
    sig2 = rpc.ok(chain_id, "personal_sign", [hexmsg, A1])
    assert sig2 == sig
    error = rpc.err(chain_id, "eth_sign", [Account.create().address, hexmsg])
    assert error["code"] == -32602 and "no key" in error["message"]


TYPED_DATA = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                 {"name": "contents", "type": "string"}],
    },
    "primaryType": "Mail",
    "domain": {"name": "Ether Mail", "version": "1", "chainId": 901,
               "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


def test_sign_typed_data_v4(rpc, chain_id):
    sig = rpc.ok(chain_id, "eth_signTypedData_v4", [A2, TYPED_DATA])
    assert Account.recover_message(encode_typed_data(full_message=TYPED_DATA), signature=sig) == A2
    assert sig == "0x" + Account.sign_message(encode_typed_data(full_message=TYPED_DATA), K2).signature.hex()
    # a JSON string, as MetaMask-style clients send it, and the eth_signTypedData alias
    assert rpc.ok(chain_id, "eth_signTypedData_v4", [A2, json.dumps(TYPED_DATA)]) == sig
    assert rpc.ok(chain_id, "eth_signTypedData", [A2, TYPED_DATA]) == sig
    error = rpc.err(chain_id, "eth_signTypedData_v4", [A2, {"types": {}, "primaryType": "Nope"}])
    assert error["code"] == -32602 and error["message"].startswith("invalid typed data")


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


# -- 6. rejections ------------------------------------------------------------------------------


@pytest.fixture
def unchanged(rpc, chain_id):
    """Asserts after the test body that nothing moved: block numbers, balances, nonces, pools."""

    def state():
        return {
            cid: (block_number(rpc, cid), balance(rpc, cid, A0), balance(rpc, cid, A1), nonce(rpc, cid, A0),
                  nonce(rpc, cid, A1), rpc.ok(cid, "txpool_status"))
            for cid in (901, 902)
        }

    def check(before):
        assert state() == before
        assert rpc.ok(chain_id, "eth_chainId") == hex(chain_id)  # still serving

    return state, check


def _reject(rpc, chain_id, raw):
    error = rpc.err(chain_id, "eth_sendRawTransaction", [raw])
    assert error["code"] == -32003, error
    assert set(error) == {"code", "message"}
    return error["message"]


def test_nonce_too_low(rpc, chain_id, unchanged):
    send_tx(rpc, chain_id, {"from": A0, "to": A1, "value": "0x1"})
    state, check = unchanged
    before = state()
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
                "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "nonce too low"
    check(before)


def test_insufficient_funds(rpc, chain_id, unchanged):
    poor = Account.create()
    state, check = unchanged
    before = state()
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
                "to": A1, "value": 1, "chainId": chain_id}, poor.key)
    assert _reject(rpc, chain_id, raw) == "insufficient funds for gas * price + value"
    # enough for the gas but not the value
    rpc.ok(chain_id, "anvil_setBalance", [poor.address, hex(21_000 * 2 * GWEI)])
    assert _reject(rpc, chain_id, raw) == "insufficient funds for gas * price + value"
    assert balance(rpc, chain_id, poor.address) == 21_000 * 2 * GWEI
    check(before)
    # a dev account sending more than it has, through eth_sendTransaction
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": hex(INITIAL_BALANCE),
                                                      "gas": hex(21_000)}])
    assert error == {"code": -32003, "message": "insufficient funds for gas * price + value"}
    check(before)


def test_fee_cap_below_base_fee(rpc, chain_id, unchanged):
    state, check = unchanged
    before = state()
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 1000, "maxPriorityFeePerGas": 1000, "gas": 21_000,
                "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "max fee per gas less than block base fee"
    raw = sign({"nonce": 0, "gasPrice": 1000, "gas": 21_000, "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "max fee per gas less than block base fee"
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": GWEI, "maxPriorityFeePerGas": 2 * GWEI, "gas": 21_000,
                "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "max priority fee per gas higher than max fee per gas"
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 20_000,
                "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "intrinsic gas too low"
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 30_000_001,
                "to": A1, "value": 1, "chainId": chain_id}, K0)
    assert _reject(rpc, chain_id, raw) == "exceeds block gas limit"
    check(before)


def test_wrong_chain_id(rpc, chain_id, other_chain, unchanged):
    state, check = unchanged
    before = state()
    for tx in (
        {"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
         "to": A1, "value": 1, "chainId": other_chain},
        {"nonce": 0, "gasPrice": 2 * GWEI, "gas": 21_000, "to": A1, "value": 1, "chainId": other_chain},
        {"type": 1, "nonce": 0, "gasPrice": 2 * GWEI, "gas": 21_000, "to": A1, "value": 1, "chainId": other_chain,
         "accessList": []},
    ):
        raw = sign(tx, K0)
        message = _reject(rpc, chain_id, raw)
        assert message == f"invalid chain id: transaction is for chain {other_chain}, this is chain {chain_id}"
    check(before)
    # the same bytes are fine on the chain they were signed for
    assert rpc.ok(other_chain, "eth_sendRawTransaction", [raw]) == _raw_hash(raw)


def test_unprotected_legacy_transaction(rpc, chain_id, unchanged):
    state, check = unchanged
    before = state()
    raw = sign({"nonce": 0, "gasPrice": 2 * GWEI, "gas": 21_000, "to": A1, "value": 1}, K0)  # no chainId
    assert rlp.decode(bytes.fromhex(raw[2:]))[6] in (b"\x1b", b"\x1c")  # v = 27/28: pre-EIP-155
    assert _reject(rpc, chain_id, raw) == (
        "only replay-protected (EIP-155) transactions are accepted: "
        "an unprotected transaction would be valid on every chain of the devnet")
    check(before)


def test_oversized_and_garbage_transactions(rpc, chain_id, unchanged):
    state, check = unchanged
    before = state()
    raw = sign({"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 29_000_000,
                "to": A1, "value": 0, "data": b"\x01" * (128 * 1024 + 1), "chainId": chain_id}, K0)
    size = (len(raw) - 2) // 2
    assert _reject(rpc, chain_id, raw) == f"oversized data: transaction size {size}, limit {128 * 1024}"
    for garbage in ("0xdeadbeef", "0x", "0x02", "0x" + "ff" * 40, "0xc0"):
        message = _reject(rpc, chain_id, garbage)
        assert message.startswith(("failed to decode signed transaction", "invalid transaction")), (garbage, message)
    # a well-formed transaction whose signature has a high s (invalid since Homestead)
    good = sign({"type": 2, "nonce": 0, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI, "gas": 21_000,
                 "to": A1, "value": 1, "chainId": chain_id}, K0)
    fields = rlp.decode(bytes.fromhex(good[4:]))
    fields[-1] = (SECP256K1_N - 1).to_bytes(32, "big")
    message = _reject(rpc, chain_id, "0x02" + rlp.encode(fields).hex())
    assert message.startswith("invalid transaction"), message
    error = rpc.err(chain_id, "eth_sendRawTransaction", ["0xzz"])
    assert error["code"] == -32602
    check(before)


@pytest.mark.parametrize("tx_type", [1, 2])
def test_malleated_signature_is_rejected(rpc, chain_id, tx_type, unchanged):
    """(r, n - s) with the other y parity recovers the same sender: EIP-2 forbids the high-s twin."""
    tx = {"type": tx_type, "nonce": 0, "gas": 21_000, "to": A1, "value": 1, "chainId": chain_id, "accessList": []}
    tx.update({"gasPrice": 2 * GWEI} if tx_type == 1 else {"maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI})
    raw = sign(tx, K0)
    fields = rlp.decode(bytes.fromhex(raw[4:]))
    y_parity = int.from_bytes(fields[-3], "big")
    fields[-3] = b"" if y_parity else b"\x01"
    fields[-1] = (SECP256K1_N - int.from_bytes(fields[-1], "big")).to_bytes(32, "big")
    twin = raw[:4] + rlp.encode(fields).hex()
    assert Account.recover_transaction(twin) == A0  # the same sender, a different hash
    assert _raw_hash(twin) != _raw_hash(raw)
    state, check = unchanged
    before = state()
    assert _reject(rpc, chain_id, twin).startswith("invalid transaction: signature s value")
    check(before)
    assert rpc.ok(chain_id, "eth_sendRawTransaction", [raw]) == _raw_hash(raw)


def test_replacement_underpriced_and_replacement(rpc, chain_id):
    rpc.ok(chain_id, "evm_setAutomine", [False])
    n = nonce(rpc, chain_id, A0)

    def tx(fee, tip, value):
        return sign({"type": 2, "nonce": n, "maxFeePerGas": fee, "maxPriorityFeePerGas": tip, "gas": 21_000,
                     "to": A1, "value": value, "chainId": chain_id}, K0)

    first = tx(10 * GWEI, 2 * GWEI, 1)
    h1 = rpc.ok(chain_id, "eth_sendRawTransaction", [first])
    assert _reject(rpc, chain_id, first) == "transaction already imported"
    assert _reject(rpc, chain_id, tx(10 * GWEI, 2 * GWEI, 2)) == "replacement transaction underpriced"
    # +9% is not enough; both caps must rise by 10%
    assert _reject(rpc, chain_id, tx(10_900_000_000, 2_180_000_000, 2)) == "replacement transaction underpriced"
    assert _reject(rpc, chain_id, tx(11 * GWEI, 2 * GWEI, 2)) == "replacement transaction underpriced"
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [h1])["value"] == "0x1"
    replacement = tx(11 * GWEI, 2_200_000_000, 3)
    h2 = rpc.ok(chain_id, "eth_sendRawTransaction", [replacement])
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [h1]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [h2])["value"] == "0x3"
    assert nonce(rpc, chain_id, A0, "pending") == n + 1
    rpc.ok(chain_id, "evm_mine")
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [h2])
    assert receipt["status"] == "0x1"
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h1]) is None
    assert balance(rpc, chain_id, A1) == INITIAL_BALANCE + 3
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_nonce_gap_waits_in_the_pool(rpc, chain_id):
    n = nonce(rpc, chain_id, A1)
    later = sign({"type": 2, "nonce": n + 1, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI,
                  "gas": 21_000, "to": A2, "value": 2, "chainId": chain_id}, K1)
    h_later = rpc.ok(chain_id, "eth_sendRawTransaction", [later])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h_later]) is None
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x0", "queued": "0x1"}
    assert nonce(rpc, chain_id, A1, "pending") == n  # the gap is not counted
    content = rpc.ok(chain_id, "txpool_content")
    assert list(content["queued"][A1.lower()]) == [str(n + 1)]
    first = sign({"type": 2, "nonce": n, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI,
                  "gas": 21_000, "to": A2, "value": 1, "chainId": chain_id}, K1)
    h_first = rpc.ok(chain_id, "eth_sendRawTransaction", [first])
    r1 = rpc.ok(chain_id, "eth_getTransactionReceipt", [h_first])
    r2 = rpc.ok(chain_id, "eth_getTransactionReceipt", [h_later])
    assert r1["blockNumber"] == r2["blockNumber"]
    assert (r1["transactionIndex"], r2["transactionIndex"]) == ("0x0", "0x1")
    assert rpc.ok(chain_id, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert balance(rpc, chain_id, A2) == INITIAL_BALANCE + 3


def test_checksum_and_lowercase_addresses(rpc, chain_id):
    assert rpc.ok(chain_id, "eth_getBalance", [A0.lower()]) == rpc.ok(chain_id, "eth_getBalance", [A0])
    assert to_checksum_address(rpc.ok(chain_id, "eth_accounts")[0]) == A0
