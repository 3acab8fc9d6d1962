"""eth_getProof against the real server, through web3.py and raw JSON-RPC, every proof verified
with py-trie against the stateRoot of the block eth_getBlockByNumber reports."""

from __future__ import annotations

from typing import Any

import rlp
from eth_utils import keccak
from trie import HexaryTrie
from web3 import Web3

from tests.e2e.e2e_helpers import A0, ETH, deploy_counter, send_tx
from tests.support import ChainRpc

ABSENT = "0x" + "ee" * 20
ZERO_HASH = "0x" + "00" * 32


def prove(root: bytes, key: bytes, proof: list[Any]) -> bytes:
    """The value ``proof`` proves under ``key`` against ``root`` (py-trie; raises BadTrieProof)."""
    return bytes(HexaryTrie.get_from_proof(root, key, [rlp.decode(bytes(node)) for node in proof]))


def test_web3_get_proof_verifies_against_the_blocks_state_root(w3: Web3, rpc: ChainRpc, chain_id: int) -> None:
    counter = deploy_counter(rpc, chain_id, initial=0x2A)
    send_tx(rpc, chain_id, {"from": A0, "to": counter, "value": hex(ETH)})
    number = w3.eth.block_number
    root = bytes(w3.eth.get_block(number)["stateRoot"])
    proof = w3.eth.get_proof(counter, [0, 1], number)
    account = prove(root, keccak(bytes.fromhex(counter[2:])), proof["accountProof"])
    nonce, balance, storage_root, code_hash = rlp.decode(account)
    assert proof["balance"] == int.from_bytes(balance, "big") == ETH
    assert proof["nonce"] == int.from_bytes(nonce, "big") == 1
    assert bytes(proof["storageHash"]) == storage_root and bytes(proof["codeHash"]) == code_hash
    assert code_hash == keccak(w3.eth.get_code(counter))
    items = proof["storageProof"]
    values = [int.from_bytes(bytes(item["value"]), "big") for item in items]
    assert values == [0x2A, 0]
    for item, expected in zip(items, values, strict=True):
        key = int.from_bytes(bytes(item["key"]), "big").to_bytes(32, "big")
        value = prove(storage_root, keccak(key), item["proof"])
        assert (int.from_bytes(rlp.decode(value), "big") if value else 0) == expected


def test_raw_shape_absent_account_and_older_blocks(rpc: ChainRpc, chain_id: int) -> None:
    before = int(rpc.ok(chain_id, "eth_blockNumber"), 16)
    send_tx(rpc, chain_id, {"from": A0, "to": ABSENT, "value": "0x5"})
    old = rpc.ok(chain_id, "eth_getProof", [ABSENT, ["0x0", "0x" + "00" * 31 + "01"], hex(before)])
    assert set(old) == {"address", "accountProof", "balance", "codeHash", "nonce", "storageHash", "storageProof"}
    assert (old["address"], old["balance"], old["nonce"]) == (ABSENT, "0x0", "0x0")
    assert old["codeHash"] == old["storageHash"] == ZERO_HASH
    assert [s["key"] for s in old["storageProof"]] == ["0x0", "0x" + "00" * 31 + "01"]
    assert all(s["value"] == "0x0" and s["proof"] == [] for s in old["storageProof"])
    old_root = bytes.fromhex(rpc.ok(chain_id, "eth_getBlockByNumber", [hex(before), False])["stateRoot"][2:])
    nodes = [bytes.fromhex(n[2:]) for n in old["accountProof"]]
    assert prove(old_root, keccak(bytes.fromhex(ABSENT[2:])), nodes) == b""  # a proof of absence
    new = rpc.ok(chain_id, "eth_getProof", [ABSENT, [], "latest"])
    assert new["balance"] == "0x5" and new["storageProof"] == []
    head = rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])
    nodes = [bytes.fromhex(n[2:]) for n in new["accountProof"]]
    assert prove(bytes.fromhex(head["stateRoot"][2:]), keccak(bytes.fromhex(ABSENT[2:])), nodes)
    by_hash = rpc.ok(chain_id, "eth_getProof", [ABSENT, [], {"blockHash": head["hash"]}])
    assert by_hash == new


def test_bad_params(rpc: ChainRpc, chain_id: int) -> None:
    for params in ([ABSENT, ["0x" + "11" * 33], "latest"], [ABSENT, ["0xzz"], "latest"], [ABSENT, "0x1", "latest"],
                   ["0x12", [], "latest"]):
        assert rpc.err(chain_id, "eth_getProof", params)["code"] == -32602
    error = rpc.err(chain_id, "eth_getProof", [ABSENT, [], "0xffffff"])
    assert error["code"] != -32603
