"""eth_simulateV1 against the real served devnet, in geth's parameter and answer shapes: several
blocks, state and block overrides per block, traceTransfers, validation, full transactions,
and geth's error codes. A simulation changes nothing."""

from __future__ import annotations

from eth_abi import decode

from tests.e2e.e2e_helpers import A0, A1, RECEIVED, block_number, calldata, deploy_counter, nonce, word

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ERC7528 = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
EMPTY = "0x" + "c1" * 20
RANDAO = "0x" + "ab" * 32


def _simulate(rpc, chain_id, blocks, block="latest", **flags):
    return rpc.ok(chain_id, "eth_simulateV1", [{"blockStateCalls": blocks, **flags}, block])


def _err(rpc, chain_id, blocks, **flags):
    return rpc.err(chain_id, "eth_simulateV1", [{"blockStateCalls": blocks, **flags}, "latest"])


def test_blocks_chain_on_each_other_and_nothing_changes(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 3)
    head = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    out = _simulate(rpc, chain_id, [
        {"calls": [{"from": A0, "to": counter, "data": calldata("setNumber(uint256)", ["uint256"], [5])}]},
        {"calls": [{"from": A0, "to": counter, "data": calldata("number()")}]},
    ])
    assert [int(b["number"], 16) for b in out] == [int(head["number"], 16) + 1, int(head["number"], 16) + 2]
    assert out[0]["parentHash"] == head["hash"] and out[1]["parentHash"] == out[0]["hash"]
    assert int(out[1]["timestamp"], 16) == int(out[0]["timestamp"], 16) + 12
    first, second = out[0]["calls"][0], out[1]["calls"][0]
    assert first["status"] == "0x1" and first["returnData"] == "0x" and first["logs"][0]["blockHash"] == out[0]["hash"]
    assert int(second["returnData"], 16) == 5 and second["logs"] == []
    assert out[0]["transactions"] and out[0]["gasUsed"] == first["gasUsed"] and out[0]["stateRoot"] != head["stateRoot"]
    # nothing happened
    assert int(rpc.ok(chain_id, "eth_call", [{"to": counter, "data": calldata("number()")}, "latest"]), 16) == 3
    assert block_number(rpc, chain_id) == int(head["number"], 16)


def test_block_overrides_and_gaps(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    height = block_number(rpc, chain_id)
    coinbase = "0x" + "cb" * 20
    out = _simulate(rpc, chain_id, [{
        "blockOverrides": {"number": hex(height + 3), "time": hex(2_000_000_000), "feeRecipient": coinbase,
                           "baseFeePerGas": "0x7", "prevRandao": RANDAO, "gasLimit": hex(20_000_000)},
        "calls": [{"from": A0, "to": counter, "data": calldata("blockInfo()"), "maxFeePerGas": "0x7"}],
    }])
    assert [int(b["number"], 16) for b in out] == [height + 1, height + 2, height + 3]
    assert out[0]["calls"] == [] and out[1]["calls"] == []
    last = out[2]
    assert last["miner"] == coinbase and last["mixHash"] == RANDAO and last["baseFeePerGas"] == "0x7"
    assert last["gasLimit"] == hex(20_000_000) and last["timestamp"] == hex(2_000_000_000)
    number, timestamp, chain, basefee, miner = decode(["uint256"] * 4 + ["address"],
                                                      bytes.fromhex(last["calls"][0]["returnData"][2:]))
    assert (number, timestamp, chain, basefee, miner.lower()) == (height + 3, 2_000_000_000, chain_id, 7, coinbase)
    # a call must pay an overridden base fee, validation or not (geth lets one that pays nothing through)
    error = _err(rpc, chain_id, [{"blockOverrides": {"baseFeePerGas": "0x7"}, "calls": [{"from": A0, "to": counter}]}])
    assert error["code"] == -38012


def test_state_overrides_hold_from_their_block_on(rpc, chain_id):
    error = _err(rpc, chain_id, [{"calls": [{"from": EMPTY, "to": A1, "value": "0x1"}]}])
    assert error["code"] == -38014
    out = _simulate(rpc, chain_id, [
        {"stateOverrides": {EMPTY: {"balance": hex(10**18)}}, "calls": [{"from": EMPTY, "to": A1, "value": "0x5"}]},
        {"calls": [{"from": EMPTY, "to": A1, "value": "0x5"}]},  # still funded in the next block
    ])
    assert out[0]["calls"][0]["status"] == "0x1" and out[1]["calls"][0]["status"] == "0x1"


def test_trace_transfers_logs_value_moves_in_order(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    out = _simulate(rpc, chain_id, [{"calls": [{"from": A0, "to": counter, "value": hex(1234)}]}], traceTransfers=True)
    logs = out[0]["calls"][0]["logs"]
    assert [log["address"] for log in logs] == [ERC7528, counter.lower()]
    assert logs[0]["topics"] == [TRANSFER, word(A0), word(counter)] and int(logs[0]["data"], 16) == 1234
    assert logs[1]["topics"][0] == RECEIVED and [log["logIndex"] for log in logs] == ["0x0", "0x1"]
    untraced = _simulate(rpc, chain_id, [{"calls": [{"from": A0, "to": counter, "value": hex(1234)}]}])
    assert [log["address"] for log in untraced[0]["calls"][0]["logs"]] == [counter.lower()]


def test_a_reverting_call_reports_and_the_next_runs(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    out = _simulate(rpc, chain_id, [{"calls": [
        {"from": A0, "to": counter, "data": calldata("failWithReason()")},
        {"from": A0, "to": counter, "data": calldata("number()")},
    ]}])
    failed, ok = out[0]["calls"]
    assert failed["status"] == "0x0" and failed["error"]["code"] == 3
    assert failed["error"]["message"].startswith("execution reverted") and failed["error"]["data"].startswith("0x08c379a0")
    assert ok["status"] == "0x1"


def test_validation_checks_nonce_fees_and_funds(rpc, chain_id):
    current = nonce(rpc, chain_id, A0)
    call = {"from": A0, "to": A1, "value": "0x1", "maxFeePerGas": hex(10**11), "maxPriorityFeePerGas": "0x0"}
    assert _err(rpc, chain_id, [{"calls": [{**call, "nonce": hex(current + 5)}]}], validation=True)["code"] == -38011
    if current:
        assert _err(rpc, chain_id, [{"calls": [{**call, "nonce": hex(current - 1)}]}], validation=True)["code"] == -38010
    low = {**call, "maxFeePerGas": "0x1"}
    assert _err(rpc, chain_id, [{"calls": [low]}], validation=True)["code"] == -38012
    # without validation the nonce and the base fee are not checked
    out = _simulate(rpc, chain_id, [{"calls": [{**low, "nonce": hex(current + 5)}]}])
    assert out[0]["calls"][0]["status"] == "0x1" and out[0]["baseFeePerGas"] == "0x0"
    out = _simulate(rpc, chain_id, [{"calls": [call]}], validation=True)
    assert int(out[0]["baseFeePerGas"], 16) > 0 and out[0]["calls"][0]["gasUsed"] == hex(21_000)


def test_full_transactions_name_their_senders(rpc, chain_id):
    out = _simulate(rpc, chain_id, [{"stateOverrides": {EMPTY: {"balance": hex(10**18)}},
                                     "calls": [{"from": EMPTY, "to": A1, "value": "0x2"}]}],
                    returnFullTransactions=True)
    tx = out[0]["transactions"][0]
    assert tx["from"] == EMPTY and tx["to"].lower() == A1.lower() and tx["blockHash"] == out[0]["hash"]


def test_geth_error_codes_for_bad_chains_of_blocks(rpc, chain_id):
    height = block_number(rpc, chain_id)
    assert _err(rpc, chain_id, [{"blockOverrides": {"number": hex(height)}}])["code"] == -38020
    assert _err(rpc, chain_id, [{"blockOverrides": {"time": "0x1"}}])["code"] == -38021
    assert _err(rpc, chain_id, [{"blockOverrides": {"number": hex(height + 300)}}])["code"] == -38026
    assert _err(rpc, chain_id, [{}] * 257)["code"] == -38026
    assert _err(rpc, chain_id, [{"calls": [{"from": A0, "to": A1, "gas": hex(10**9)}]}])["code"] == -38015
    assert _err(rpc, chain_id, [])["code"] == -32602
    assert _err(rpc, chain_id, [{"calls": [{"from": A0, "to": A1, "gas": "0x10"}]}])["code"] == -38013
    assert _err(rpc, chain_id, [{"blockOverrides": {"beaconRoot": RANDAO}}])["code"] == -32602
