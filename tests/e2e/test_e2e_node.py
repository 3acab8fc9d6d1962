"""Node basics, transport-level behaviour and the xr_* devnet view, over the real devnet."""

from __future__ import annotations

import json

from eth_account import Account
from web3 import Web3

from tests.e2e.e2e_helpers import A0, A1, ANVIL_ACCOUNTS, ANVIL_KEYS, GWEI, INITIAL_BALANCE, ZERO_HASH, block_number

# -- 1. node basics ----------------------------------------------------------------------


def test_chain_id_and_versions(rpc, chain_id):
    assert rpc.ok(chain_id, "eth_chainId") == hex(chain_id)
    assert rpc.ok(chain_id, "net_version") == str(chain_id)
    assert rpc.ok(chain_id, "web3_clientVersion") == "xrollup/0.1.0/python"
    assert rpc.ok(chain_id, "eth_syncing") is False
    assert rpc.ok(chain_id, "net_listening") is True
    assert rpc.ok(chain_id, "net_peerCount") == "0x0"
    assert rpc.ok(chain_id, "web3_sha3", ["0x68656c6c6f"]) == (
        "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8"  # keccak256("hello")
    )


def test_web3_sees_chain_id(w3, chain_id):
    assert w3.eth.chain_id == chain_id
    assert w3.net.version == str(chain_id)
    assert w3.is_connected()


def test_accounts_are_anvils_with_10000_eth(rpc, chain_id):
    accounts = rpc.ok(chain_id, "eth_accounts")
    assert [a.lower() for a in accounts] == [a.lower() for a in ANVIL_ACCOUNTS]
    assert accounts[0].lower() == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    for key, address in zip(ANVIL_KEYS, ANVIL_ACCOUNTS, strict=False):
        assert Account.from_key(key).address == address
    for address in accounts:
        assert rpc.ok(chain_id, "eth_getBalance", [address, "latest"]) == hex(INITIAL_BALANCE)
        assert rpc.ok(chain_id, "eth_getTransactionCount", [address, "latest"]) == "0x0"


def test_block_number_moves_with_mining(rpc, chain_id):
    start = block_number(rpc, chain_id)
    rpc.ok(chain_id, "evm_mine")
    assert rpc.ok(chain_id, "eth_blockNumber") == hex(start + 1)


def test_gas_price_and_priority_fee(rpc, chain_id):
    rpc.ok(chain_id, "evm_mine")  # an empty block: the next base fee is 7/8 of its own (EIP-1559)
    latest = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    assert latest["gasUsed"] == "0x0"
    base = int(latest["baseFeePerGas"], 16)
    tip = int(rpc.ok(chain_id, "eth_maxPriorityFeePerGas"), 16)
    assert tip == 1 * GWEI
    assert int(rpc.ok(chain_id, "eth_gasPrice"), 16) == base - base // 8 + tip


def test_fee_history_shape(rpc, chain_id):
    # three blocks: one with a transaction, two empty
    rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    rpc.ok(chain_id, "anvil_mine", ["0x2"])
    head = block_number(rpc, chain_id)
    history = rpc.ok(chain_id, "eth_feeHistory", ["0x3", "latest", [25, 75]])
    assert history["oldestBlock"] == hex(head - 2)
    assert len(history["baseFeePerGas"]) == 4
    assert len(history["gasUsedRatio"]) == 3
    for ratio in history["gasUsedRatio"]:
        assert type(ratio) is float  # JSON numbers, not strings (cast cannot parse strings)
    blocks = [rpc.ok(chain_id, "eth_getBlockByNumber", [hex(n), False]) for n in range(head - 2, head + 1)]
    assert history["baseFeePerGas"][:3] == [b["baseFeePerGas"] for b in blocks]
    assert history["gasUsedRatio"] == [int(b["gasUsed"], 16) / int(b["gasLimit"], 16) for b in blocks]
    assert history["gasUsedRatio"][0] == 21000 / 30_000_000
    assert history["gasUsedRatio"][1:] == [0.0, 0.0]
    # the extra entry is the next block's base fee (7/8 of an empty block's)
    last = int(blocks[-1]["baseFeePerGas"], 16)
    assert int(history["baseFeePerGas"][3], 16) == last - last // 8
    assert history["reward"][1:] == [["0x0", "0x0"], ["0x0", "0x0"]]
    assert history["reward"][0] == [hex(1 * GWEI), hex(1 * GWEI)]  # the default tip
    # a count beyond the chain's length is clipped to what exists
    clipped = rpc.ok(chain_id, "eth_feeHistory", [hex(head + 50), "latest", []])
    assert clipped["oldestBlock"] == "0x0"
    assert len(clipped["baseFeePerGas"]) == head + 2
    assert len(clipped["gasUsedRatio"]) == head + 1


def test_fee_history_via_web3(w3, rpc, chain_id):
    rpc.ok(chain_id, "anvil_mine", ["0x2"])
    history = w3.eth.fee_history(2, "latest", [50])
    assert len(history["baseFeePerGas"]) == 3
    assert all(isinstance(r, float) for r in history["gasUsedRatio"])


# -- 7. transport over the real devnet -------------------------------------------------


def test_unknown_method(rpc, chain_id):
    error = rpc.err(chain_id, "eth_doesNotExist", [])
    assert error == {"code": -32601, "message": "the method eth_doesNotExist does not exist/is not available"}


def test_malformed_json(rpc, chain_id):
    status, raw = rpc.post(chain_id, b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"')
    assert status == 200
    reply = json.loads(raw)
    assert reply == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    # and the server keeps serving
    assert rpc.ok(chain_id, "eth_chainId") == hex(chain_id)


def test_bad_params_name_the_parameter(rpc, chain_id):
    error = rpc.err(chain_id, "eth_getBalance", ["0x" + "11" * 19, "latest"])
    assert error["code"] == -32602
    assert error["message"] == "invalid params: address: expected a 20-byte address, got 19 bytes"
    error = rpc.err(chain_id, "eth_getBalance", [A0, "notatag"])
    assert error["code"] == -32602
    assert error["message"].startswith("invalid params: block: ")
    error = rpc.err(chain_id, "eth_getBalance", [])
    assert error == {"code": -32602, "message": "missing value for required argument 0 (address)"}
    error = rpc.err(chain_id, "eth_chainId", [1, 2])
    assert error["code"] == -32602
    error = rpc.err(chain_id, "eth_getTransactionByHash", ["0x1234"])
    assert error["code"] == -32602 and "hash" in error["message"]


def test_batch_of_mixed_calls(rpc, chain_id):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": "two", "method": "eth_nope", "params": []},
        {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # a notification
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": [A0, "latest"]},
        {"jsonrpc": "2.0", "id": 4, "method": "eth_getBalance", "params": ["0x12"]},
        42,
    ]
    status, raw = rpc.post(chain_id, json.dumps(batch))
    assert status == 200
    replies = json.loads(raw)
    assert isinstance(replies, list) and len(replies) == 5
    by_id = {r["id"]: r for r in replies if r["id"] is not None}
    assert by_id[1]["result"] == hex(chain_id)
    assert by_id["two"]["error"]["code"] == -32601
    assert by_id[3]["result"] == hex(INITIAL_BALANCE)
    assert by_id[4]["error"]["code"] == -32602
    invalid = [r for r in replies if r["id"] is None]
    assert len(invalid) == 1 and invalid[0]["error"]["code"] == -32600


def test_notifications_get_no_reply(rpc, chain_id):
    status, raw = rpc.post(chain_id, json.dumps({"jsonrpc": "2.0", "method": "eth_chainId", "params": []}))
    assert (status, raw) == (200, b"")
    batch = [{"jsonrpc": "2.0", "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "eth_blockNumber"}]
    status, raw = rpc.post(chain_id, json.dumps(batch))
    assert (status, raw) == (200, b"")
    # a notification still acts: evm_mine as a notification mines a block
    before = block_number(rpc, chain_id)
    status, raw = rpc.post(chain_id, json.dumps({"jsonrpc": "2.0", "method": "evm_mine", "params": []}))
    assert (status, raw) == (200, b"")
    assert block_number(rpc, chain_id) == before + 1


def test_empty_batch(rpc, chain_id):
    status, raw = rpc.post(chain_id, b"[]")
    assert json.loads(raw)["error"]["code"] == -32600


# -- 13. xr_* methods ------------------------------------------------------------------------


def test_xr_chains(rpc, urls, chain_id):
    chains = rpc.ok(chain_id, "xr_chains")
    assert [c["chainId"] for c in chains] == [901, 902]
    for entry in chains:
        cid = entry["chainId"]
        assert entry["rpcUrl"] == urls[cid]
        assert entry["wsUrl"] == urls[cid].replace("http://", "ws://")
        assert entry["blockNumber"] == rpc.ok(cid, "eth_blockNumber")
    assert rpc.ok(chain_id, "xr_contracts") == chains  # the alias


def test_xr_block_number_follows_superblocks(rpc, chain_id, other_chain):
    start = int(rpc.ok(chain_id, "xr_blockNumber"), 16)
    idle = block_number(rpc, chain_id)
    rpc.ok(other_chain, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x5"}])
    assert rpc.ok(chain_id, "xr_blockNumber") == hex(start + 1)
    assert rpc.ok(other_chain, "xr_blockNumber") == hex(start + 1)
    assert block_number(rpc, chain_id) == idle  # automine: the idle chain did not advance


def test_xr_superblocks_match_chain_blocks(rpc, chain_id):
    rpc.ok(901, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}])
    rpc.ok(902, "evm_setAutomine", [False])
    rpc.ok(902, "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x2"}])
    rpc.ok(902, "eth_sendTransaction", [{"from": A1, "to": A0, "value": "0x3"}])
    rpc.ok(902, "evm_mine")
    head = int(rpc.ok(chain_id, "xr_blockNumber"), 16)
    assert head >= 2
    previous = None
    for number in range(head + 1):
        sb = rpc.ok(chain_id, "xr_getSuperblockByNumber", [hex(number), False])
        assert sb["number"] == hex(number)
        if number == 0:
            assert sb["parentHash"] == ZERO_HASH
        else:
            assert sb["parentHash"] == previous["hash"]
            assert int(sb["timestamp"], 16) > int(previous["timestamp"], 16)
        assert [b["chainId"] for b in sb["blocks"]] in ([hex(901), hex(902)], [hex(901)], [hex(902)])
        assert [h["chainId"] for h in sb["heads"]] == [hex(901), hex(902)]
        for entry in sb["blocks"]:
            cid = int(entry["chainId"], 16)
            block = rpc.ok(cid, "eth_getBlockByNumber", [entry["number"], False])
            assert rpc.ok(cid, "xr_getSuperblockOfBlock", [entry["number"], False]) == sb
            assert entry["hash"] == block["hash"]
            assert entry["stateRoot"] == block["stateRoot"]
            assert entry["transactionCount"] == hex(len(block["transactions"]))
            assert "transactions" not in entry
            assert int(block["timestamp"], 16) == int(sb["timestamp"], 16)
        assert rpc.ok(chain_id, "xr_getSuperblockByHash", [sb["hash"], False]) == sb
        previous = sb
    full = rpc.ok(chain_id, "xr_getSuperblockByNumber", ["latest", True])
    assert full["number"] == hex(head)
    counts = {int(b["chainId"], 16): b for b in full["blocks"]}
    assert counts[901]["transactionCount"] == "0x0"
    assert counts[902]["transactionCount"] == "0x2"
    chain_block = rpc.ok(902, "eth_getBlockByNumber", [counts[902]["number"], False])
    assert counts[902]["transactions"] == chain_block["transactions"]
    assert rpc.ok(chain_id, "xr_getSuperblockByNumber", ["earliest", False])["number"] == "0x0"
    assert rpc.ok(chain_id, "xr_getSuperblockByNumber", [hex(head + 1), False]) is None
    assert rpc.ok(chain_id, "xr_getSuperblockByHash", ["0x" + "ab" * 32, False]) is None


def test_web3_raw_request_xr(w3s):
    w3 = w3s[901]
    assert isinstance(w3, Web3)
    reply = w3.provider.make_request("xr_blockNumber", [])
    assert reply["result"] == w3s[902].provider.make_request("xr_blockNumber", [])["result"]
