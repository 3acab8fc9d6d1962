"""anvil_setNextBlockPrevRandao and hardhat_setPrevRandao: the next block's mixHash, and so
``block.prevrandao`` in its transactions, once; kept by the superblock log (dump and load
rebuild the block) and by re-execution (traces)."""

from __future__ import annotations

from tests.e2e.e2e_helpers import A0, send_tx

RANDAO = "0x" + "5a" * 32
STORE_PREVRANDAO = "0x445f5500"  # PREVRANDAO PUSH0 SSTORE STOP: slot 0 = block.prevrandao
PROBE = "0x" + "e4" * 20


def _latest(rpc, chain_id):
    return rpc.ok(chain_id, "eth_getBlockByNumber", ["latest", False])


def test_the_next_block_and_its_transactions_see_it_once(rpc, chain_id):
    rpc.ok(chain_id, "anvil_setCode", [PROBE, STORE_PREVRANDAO])
    assert rpc.ok(chain_id, "anvil_setNextBlockPrevRandao", [RANDAO]) is None
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": PROBE, "gas": "0x20000"})
    block = rpc.ok(chain_id, "eth_getBlockByHash", [receipt["blockHash"], False])
    assert block["mixHash"] == RANDAO
    assert rpc.ok(chain_id, "eth_getStorageAt", [PROBE, "0x0", "latest"]) == RANDAO
    trace = rpc.ok(chain_id, "debug_traceTransaction", [receipt["transactionHash"], {"tracer": "callTracer"}])
    assert trace["type"] == "CALL" and "error" not in trace  # re-execution sees the same prevrandao
    rpc.ok(chain_id, "evm_mine", [])
    assert _latest(rpc, chain_id)["mixHash"] != RANDAO  # once only


def test_hardhat_takes_a_padded_quantity_and_answers_true(rpc, chain_id):
    assert rpc.ok(chain_id, "hardhat_setPrevRandao", ["0x" + "00" * 30 + "3039"]) is True
    rpc.ok(chain_id, "evm_mine", [])
    assert int(_latest(rpc, chain_id)["mixHash"], 16) == 12345
    assert rpc.ok(chain_id, "hardhat_setPrevRandao", ["0x3039"]) is True  # unpadded: padded here
    rpc.ok(chain_id, "evm_mine", [])
    assert int(_latest(rpc, chain_id)["mixHash"], 16) == 12345


def test_a_bad_value_is_invalid_params(rpc, chain_id):
    assert rpc.err(chain_id, "anvil_setNextBlockPrevRandao", ["0xzz"])["code"] == -32602
    assert rpc.err(chain_id, "anvil_setNextBlockPrevRandao", ["0x1" + "0" * 64])["code"] == -32602


def test_dump_and_load_rebuild_the_block(rpc, chain_id):
    rpc.ok(chain_id, "anvil_setNextBlockPrevRandao", [RANDAO])
    rpc.ok(chain_id, "evm_mine", [])
    block = _latest(rpc, chain_id)
    dump = rpc.ok(chain_id, "anvil_dumpState", [])
    assert rpc.ok(chain_id, "anvil_loadState", [dump]) is True
    again = rpc.ok(chain_id, "eth_getBlockByNumber", [block["number"], False])
    assert again["hash"] == block["hash"] and again["mixHash"] == RANDAO
