"""Contracts through web3.py and raw JSON-RPC: deploy, call, events, logs, filters, reverts."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_bloom import BloomFilter
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from tests.e2e.e2e_helpers import (
    A0,
    A1,
    COUNTER,
    INCREMENTED,
    VALUE_SET,
    block_number,
    calldata,
    counter_deploy_data,
    deploy_counter,
    selector,
    send_tx,
    word,
)

# -- 2. deploy, call, transact, events ---------------------------------------------------------


def test_deploy_call_transact_with_web3(w3, rpc, chain_id):
    factory = w3.eth.contract(abi=COUNTER["abi"], bytecode=COUNTER["bytecode"])
    tx_hash = factory.constructor(41).transact({"from": A0})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt["status"] == 1
    assert receipt["to"] is None
    address = receipt["contractAddress"]
    assert address is not None
    # the runtime code on chain is the artifact's deployed bytecode
    assert "0x" + w3.eth.get_code(address).hex() == COUNTER["deployedBytecode"]
    counter = w3.eth.contract(address=address, abi=COUNTER["abi"])
    assert counter.functions.number().call() == 41

    tx_hash = counter.functions.setNumber(7).transact({"from": A1})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt["status"] == 1 and receipt["to"] == address and receipt["from"] == A1
    assert counter.functions.number().call() == 7
    events = counter.events.ValueSet().process_receipt(receipt)
    assert len(events) == 1
    assert dict(events[0]["args"]) == {"oldValue": 41, "newValue": 7, "note": "set"}
    assert events[0]["address"] == address
    assert events[0]["blockNumber"] == receipt["blockNumber"]
    assert events[0]["logIndex"] == 0
    assert events[0]["transactionHash"] == tx_hash

    receipt = w3.eth.wait_for_transaction_receipt(counter.functions.increment().transact({"from": A0}), timeout=10)
    (inc,) = counter.events.Incremented().process_receipt(receipt)
    assert dict(inc["args"]) == {"by": A0, "newValue": 8}
    # storage slot 0 is `number`
    assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x0", "latest"]) == word(8)


def test_eth_call_sees_chain_id_and_zero_base_fee(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    out = rpc.ok(chain_id, "eth_call", [{"to": address, "data": selector("blockInfo()")}, "latest"])
    _, _, cid, basefee, coinbase = decode(["uint256", "uint256", "uint256", "uint256", "address"],
                                          bytes.fromhex(out[2:]))
    assert cid == chain_id
    assert basefee == 0  # a call without fee fields runs with base fee 0, as geth and anvil do
    assert coinbase == "0x" + "00" * 20


def test_eth_call_of_a_creation_returns_the_runtime_code(rpc, chain_id):
    code = rpc.ok(chain_id, "eth_call", [{"from": A0, "data": counter_deploy_data(9)}, "latest"])
    assert code == COUNTER["deployedBytecode"]
    assert rpc.ok(chain_id, "eth_getTransactionCount", [A0, "latest"]) == "0x0"  # nothing happened


def _block_info(rpc, chain_id, address, block):
    out = rpc.ok(chain_id, "eth_call", [{"to": address, "data": selector("blockInfo()")}, block])
    return decode(["uint256", "uint256", "uint256", "uint256", "address"], bytes.fromhex(out[2:]))


def test_eth_call_at_a_past_block_sees_that_block(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    rpc.ok(chain_id, "anvil_mine", ["0x3", "0x64"])  # 3 blocks, 100 s apart
    past = block_number(rpc, chain_id) - 1
    block = rpc.ok(chain_id, "eth_getBlockByNumber", [hex(past), False])
    number, timestamp, cid, _, _ = _block_info(rpc, chain_id, address, hex(past))
    assert (number, timestamp, cid) == (past, int(block["timestamp"], 16), chain_id)


def test_eth_call_at_latest_sees_the_latest_block(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    rpc.ok(chain_id, "anvil_mine", ["0x2", "0x64"])
    latest = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    number, timestamp, cid, _, _ = _block_info(rpc, chain_id, address, "latest")
    assert (number, timestamp, cid) == (int(latest["number"], 16), int(latest["timestamp"], 16), chain_id)


def test_gas_estimate_is_enough_and_tight(rpc, chain_id):
    address = deploy_counter(rpc, chain_id, 3)
    data = calldata("burnGas(uint256)", ["uint256"], [50])
    estimate = int(rpc.ok(chain_id, "eth_estimateGas", [{"from": A0, "to": address, "data": data}]), 16)
    # a plain transfer is exactly 21000; a creation is enough to deploy
    assert rpc.ok(chain_id, "eth_estimateGas", [{"from": A0, "to": A1, "value": "0x1"}]) == hex(21_000)
    create = int(rpc.ok(chain_id, "eth_estimateGas", [{"from": A0, "data": counter_deploy_data(1)}]), 16)
    receipt = send_tx(rpc, chain_id, {"from": A0, "data": counter_deploy_data(1), "gas": hex(create)})
    assert receipt["status"] == "0x1" and receipt["contractAddress"] is not None
    # one gas less runs out of gas (and stores nothing); exactly the estimate succeeds
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": address, "data": data, "gas": hex(estimate - 1)})
    assert receipt["status"] == "0x0"
    assert receipt["gasUsed"] == hex(estimate - 1)  # out of gas consumes everything
    assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x1", "latest"]) == word(0)
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": address, "data": data, "gas": hex(estimate)})
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) <= estimate
    assert rpc.ok(chain_id, "eth_getStorageAt", [address, "0x1", "latest"]) != word(0)


def _set_numbers(rpc, chain_id, address, values, sender=A0):
    receipts = []
    for value in values:
        receipts.append(send_tx(rpc, chain_id, {"from": sender, "to": address,
                                               "data": calldata("setNumber(uint256)", ["uint256"], [value])}))
    return receipts


def test_get_logs_filters(rpc, chain_id):
    c1 = deploy_counter(rpc, chain_id, 0)
    c2 = deploy_counter(rpc, chain_id, 100)
    r1 = _set_numbers(rpc, chain_id, c1, [1, 2])  # ValueSet(0→1), ValueSet(1→2)
    r2 = _set_numbers(rpc, chain_id, c2, [5])  # ValueSet(100→5)
    r3 = send_tx(rpc, chain_id, {"from": A1, "to": c1, "data": calldata("increment()")})  # Incremented(A1, 3)
    first, last = int(r1[0]["blockNumber"], 16), int(r3["blockNumber"], 16)
    span = {"fromBlock": hex(first), "toBlock": hex(last)}

    def logs(**flt):
        return rpc.ok(chain_id, "eth_getLogs", [flt])

    every = logs(**span)
    assert [log["transactionHash"] for log in every] == [
        r1[0]["transactionHash"], r1[1]["transactionHash"], r2[0]["transactionHash"], r3["transactionHash"]]
    # the logs are exactly those of the receipts
    assert every == r1[0]["logs"] + r1[1]["logs"] + r2[0]["logs"] + r3["logs"]
    vs = every[0]
    assert vs["address"].lower() == c1.lower()
    assert vs["topics"] == [VALUE_SET, word(0)]
    assert decode(["uint256", "string"], bytes.fromhex(vs["data"][2:])) == (1, "set")
    assert vs["removed"] is False
    assert vs["logIndex"] == "0x0" and vs["transactionIndex"] == "0x0"
    # the receipt's and the block's bloom contain the log's address and topics
    for source in (r1[0]["logsBloom"], rpc.ok(chain_id, "eth_getBlockByNumber", [r1[0]["blockNumber"], False])[
            "logsBloom"]):
        bloom = BloomFilter(int(source, 16))
        assert bytes.fromhex(c1[2:]) in bloom
        assert all(bytes.fromhex(t[2:]) in bloom for t in vs["topics"])
        assert bytes.fromhex(c2[2:]) not in bloom

    # address: one, a list, case-insensitive
    assert len(logs(**span, address=c1)) == 3
    assert len(logs(**span, address=c1.lower())) == 3
    assert len(logs(**span, address=[c1, c2])) == 4
    assert len(logs(**span, address=[c2])) == 1
    assert logs(**span, address=A0) == []
    # topics: position 0 only; null wildcards; OR lists
    assert len(logs(**span, topics=[VALUE_SET])) == 3
    assert len(logs(**span, topics=[INCREMENTED])) == 1
    assert len(logs(**span, topics=[[VALUE_SET, INCREMENTED]])) == 4
    old_is_1 = logs(**span, topics=[None, word(1)])
    assert [log["transactionHash"] for log in old_is_1] == [r1[1]["transactionHash"]]
    assert len(logs(**span, topics=[VALUE_SET, [word(0), word(100)]])) == 2
    assert len(logs(**span, topics=[None, word(A1)])) == 1  # Incremented(by=A1)
    assert logs(**span, topics=[VALUE_SET, word(A1)]) == []
    assert logs(**span, topics=[None, None, word(0)]) == []  # no third topic anywhere
    assert len(logs(**span, topics=[None])) == 4
    assert len(logs(**span, topics=[])) == 4
    # block ranges
    assert len(logs(fromBlock=hex(first), toBlock=hex(first))) == 1
    assert len(logs(fromBlock=hex(first + 1), toBlock="latest")) == 3
    assert logs(fromBlock="earliest", toBlock=hex(first - 1), address=[c1, c2]) == []
    rpc.ok(chain_id, "evm_mine")
    assert logs(fromBlock=hex(last + 1), toBlock="latest", topics=[VALUE_SET]) == []
    assert len(logs(fromBlock="earliest", address=c2)) == 1
    # blockHash
    by_hash = logs(blockHash=r2[0]["blockHash"])
    assert by_hash == r2[0]["logs"]
    # errors: inverted range, blockHash with a range, unknown block hash
    error = rpc.err(chain_id, "eth_getLogs", [{"fromBlock": hex(last), "toBlock": hex(first)}])
    assert error["code"] == -32602
    error = rpc.err(chain_id, "eth_getLogs", [{"blockHash": r2[0]["blockHash"], "fromBlock": "0x1"}])
    assert error["code"] == -32602 and "blockHash" in error["message"]
    error = rpc.err(chain_id, "eth_getLogs", [{"blockHash": "0x" + "ee" * 32}])
    assert error["code"] == -32000 and "not found" in error["message"]


def test_get_logs_via_web3(w3, rpc, chain_id):
    address = deploy_counter(rpc, chain_id, 0)
    receipts = _set_numbers(rpc, chain_id, address, [11, 12])
    counter = w3.eth.contract(address=address, abi=COUNTER["abi"])
    events = counter.events.ValueSet().get_logs(from_block=int(receipts[0]["blockNumber"], 16))
    assert [(e["args"]["oldValue"], e["args"]["newValue"]) for e in events] == [(0, 11), (11, 12)]
    events = counter.events.ValueSet().get_logs(from_block=0, argument_filters={"oldValue": 11})
    assert [e["args"]["newValue"] for e in events] == [12]


def test_log_filter_lifecycle(rpc, chain_id):
    c1 = deploy_counter(rpc, chain_id, 0)
    c2 = deploy_counter(rpc, chain_id, 0)
    old = _set_numbers(rpc, chain_id, c1, [9])
    fid = rpc.ok(chain_id, "eth_newFilter", [{"fromBlock": old[0]["blockNumber"], "address": c1,
                                               "topics": [VALUE_SET]}])
    assert isinstance(fid, str) and fid.startswith("0x")
    # nothing new yet
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == []
    new = _set_numbers(rpc, chain_id, c1, [10, 11])
    _set_numbers(rpc, chain_id, c2, [10])  # another address: not reported
    send_tx(rpc, chain_id, {"from": A0, "to": c1, "data": calldata("increment()")})  # another topic
    changes = rpc.ok(chain_id, "eth_getFilterChanges", [fid])
    assert changes == new[0]["logs"] + new[1]["logs"]
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == []  # reported once
    # getFilterLogs answers the whole query, from the filter's fromBlock
    assert rpc.ok(chain_id, "eth_getFilterLogs", [fid]) == old[0]["logs"] + new[0]["logs"] + new[1]["logs"]
    assert rpc.ok(chain_id, "eth_uninstallFilter", [fid]) is True
    assert rpc.ok(chain_id, "eth_uninstallFilter", [fid]) is False
    error = rpc.err(chain_id, "eth_getFilterChanges", [fid])
    assert error["code"] == -32602 and error["message"] == "filter not found"


def test_log_filter_changes_respect_its_block_range(rpc, chain_id):
    """A filter whose toBlock has passed reports no newer logs (geth and anvil filter by range)."""
    address = deploy_counter(rpc, chain_id, 0)
    head = block_number(rpc, chain_id)
    fid = rpc.ok(chain_id, "eth_newFilter", [{"fromBlock": hex(head + 1), "toBlock": hex(head + 2),
                                               "address": address}])
    inside = _set_numbers(rpc, chain_id, address, [1, 2])  # blocks head+1 and head+2
    _set_numbers(rpc, chain_id, address, [3, 4])  # after toBlock
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == inside[0]["logs"] + inside[1]["logs"]
    assert rpc.ok(chain_id, "eth_getFilterLogs", [fid]) == inside[0]["logs"] + inside[1]["logs"]
    # and a filter that starts in the future reports nothing before its fromBlock
    head = block_number(rpc, chain_id)
    later = rpc.ok(chain_id, "eth_newFilter", [{"fromBlock": hex(head + 2), "address": address}])
    _set_numbers(rpc, chain_id, address, [5])  # head+1: before fromBlock
    (late,) = _set_numbers(rpc, chain_id, address, [6])  # head+2
    assert rpc.ok(chain_id, "eth_getFilterChanges", [later]) == late["logs"]


def test_filters_are_per_chain(rpc, chain_id, other_chain):
    fid = rpc.ok(chain_id, "eth_newBlockFilter")
    error = rpc.err(other_chain, "eth_getFilterChanges", [fid])
    assert error["message"] == "filter not found"


def test_block_filter(rpc, chain_id):
    fid = rpc.ok(chain_id, "eth_newBlockFilter")
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == []
    rpc.ok(chain_id, "anvil_mine", ["0x3"])
    head = block_number(rpc, chain_id)
    hashes = [rpc.ok(chain_id, "eth_getBlockByNumber", [hex(n), False])["hash"] for n in range(head - 2, head + 1)]
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == hashes
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == []
    error = rpc.err(chain_id, "eth_getFilterLogs", [fid])
    assert error["code"] == -32602
    assert rpc.ok(chain_id, "eth_uninstallFilter", [fid]) is True


def test_pending_transaction_filter(rpc, chain_id):
    fid = rpc.ok(chain_id, "eth_newPendingTransactionFilter")
    rpc.ok(chain_id, "evm_setAutomine", [False])
    h1 = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    h2 = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x2"}])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h1]) is None
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == [h1, h2]
    assert rpc.ok(chain_id, "eth_getFilterChanges", [fid]) == []
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [h2])["status"] == "0x1"
    assert rpc.ok(chain_id, "eth_uninstallFilter", [fid]) is True


# -- 3. revert shapes -----------------------------------------------------------------------------

BOOM_DATA = "0x08c379a0" + encode(["string"], ["Counter: boom"]).hex()


def test_eth_call_revert_with_reason(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    error = rpc.err(chain_id, "eth_call", [{"to": address, "data": selector("failWithReason()")}, "latest"])
    assert error == {"code": 3, "message": "execution reverted: Counter: boom", "data": BOOM_DATA}
    error = rpc.err(chain_id, "eth_call", [{"to": address, "data": calldata("requirePositive(uint256)",
                                                                           ["uint256"], [0])}])
    assert error == {"code": 3, "message": "execution reverted: must be positive",
                     "data": "0x08c379a0" + encode(["string"], ["must be positive"]).hex()}
    ok = rpc.ok(chain_id, "eth_call", [{"to": address, "data": calldata("requirePositive(uint256)",
                                                                        ["uint256"], [5])}])
    assert ok == word(5)


def test_eth_call_custom_error_and_panic(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    error = rpc.err(chain_id, "eth_call", [{"from": A1, "to": address,
                                           "data": calldata("failWithCustom(uint256)", ["uint256"], [77])}])
    expected = selector("CustomFailure(uint256,address)") + encode(["uint256", "address"], [77, A1]).hex()
    assert error == {"code": 3, "message": "execution reverted", "data": expected}
    error = rpc.err(chain_id, "eth_call", [{"to": address, "data": selector("failWithPanic()")}])
    assert error["code"] == 3
    assert error["data"] == "0x4e487b71" + "00" * 31 + "01"
    assert error["message"] == "execution reverted: panic: assertion failed (0x01)"


def test_estimate_gas_of_a_revert(rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    error = rpc.err(chain_id, "eth_estimateGas", [{"from": A0, "to": address, "data": selector("failWithReason()")}])
    assert error == {"code": 3, "message": "execution reverted: Counter: boom", "data": BOOM_DATA}
    error = rpc.err(chain_id, "eth_estimateGas", [{"from": A0, "to": address, "data": selector("failWithPanic()")}])
    assert error["code"] == 3 and error["data"] == "0x4e487b71" + "00" * 31 + "01"


def test_web3_raises_typed_contract_errors(w3, rpc, chain_id):
    address = deploy_counter(rpc, chain_id)
    counter = w3.eth.contract(address=address, abi=COUNTER["abi"])
    with pytest.raises(ContractLogicError) as info:
        counter.functions.failWithReason().call()
    assert type(info.value) is ContractLogicError
    assert info.value.message == "execution reverted: Counter: boom"
    assert info.value.data == BOOM_DATA
    with pytest.raises(ContractCustomError) as custom:
        counter.functions.failWithCustom(5).call({"from": A0})
    assert custom.value.data == (selector("CustomFailure(uint256,address)")
                                 + encode(["uint256", "address"], [5, A0]).hex())
    with pytest.raises(ContractPanicError) as panic:
        counter.functions.failWithPanic().call()
    assert panic.value.data == "0x4e487b71" + "00" * 31 + "01"
    assert panic.value.message == "Panic error 0x01: Assert evaluates to false."
    with pytest.raises(ContractLogicError) as est:
        counter.functions.failWithReason().estimate_gas({"from": A0})
    assert est.value.message == "execution reverted: Counter: boom"
    # web3 estimates before sending: transact() of a revert fails before anything is sent
    before = block_number(rpc, chain_id)
    with pytest.raises(ContractLogicError):
        counter.functions.failWithReason().transact({"from": A0})
    assert block_number(rpc, chain_id) == before


def test_reverting_send_transaction_with_gas_is_mined_with_status_0(rpc, chain_id):
    address = deploy_counter(rpc, chain_id, 4)
    start_nonce = int(rpc.ok(chain_id, "eth_getTransactionCount", [A0, "latest"]), 16)
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": address, "gas": hex(100_000),
                                                         "data": selector("failWithReason()")}])
    assert isinstance(tx_hash, str) and len(tx_hash) == 66
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x0"
    assert receipt["logs"] == []
    assert 21_000 < int(receipt["gasUsed"], 16) < 100_000
    assert int(rpc.ok(chain_id, "eth_getTransactionCount", [A0, "latest"]), 16) == start_nonce + 1
    assert rpc.ok(chain_id, "eth_call", [{"to": address, "data": selector("number()")}]) == word(4)
    # without gas, eth_sendTransaction estimates, and the estimate reports the revert
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": A0, "to": address,
                                                      "data": selector("failWithReason()")}])
    assert error == {"code": 3, "message": "execution reverted: Counter: boom", "data": BOOM_DATA}
    # a reverting contract creation is mined too, with no contract address
    receipt = send_tx(rpc, chain_id, {"from": A0, "gas": hex(200_000),
                                      "data": "0x" + "60006000fd"})  # PUSH 0 PUSH 0 REVERT
    assert receipt["status"] == "0x0" and receipt["to"] is None and receipt["contractAddress"] is None
