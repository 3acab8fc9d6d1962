"""Batches on the L1, the rollups' safe and finalized heads, subscriptions to them, output
proposals. The L1 here makes blocks only when a test mines one (its block time is an hour), so
each step is deterministic: evm_mine on the L1 is the moment a batch lands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.batches import Channels
from settlement.contracts import BATCH_INBOX, BATCHER, rollup_contracts
from tests.settlement.conftest import A0, A1
from tests.support import Rpc, WsRpc, served
from xrollup.testing import DevnetThread

MESSAGE_PASSER = "0x4200000000000000000000000000000000000016"
ORACLE_ABI = load_artifact("L2OutputOracle")["abi"]
DEPTH = 2


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served((901, 902), l1=True, l1_block_time=3600, l1_finality_depth=DEPTH) as dt:
        yield dt


def mine_l1(l1: Rpc, blocks: int = 1) -> None:
    for _ in range(blocks):
        l1.call("evm_mine")


def number(rpc: Rpc, tag: str) -> int:
    return int(rpc.call("eth_getBlockByNumber", tag, False)["number"], 16)


def send(w3: Web3, value: int = 1) -> int:
    tx = w3.eth.send_transaction({"from": A0, "to": A1, "value": value})
    return int(w3.eth.get_transaction_receipt(tx).blockNumber)


def test_safe_and_finalized_follow_the_batches_on_the_l1(rollups: dict[int, Rpc], l1: Rpc,
                                                         w3s: dict[int, Web3], w3_l1: Web3) -> None:
    r = rollups[901]
    mine_l1(l1, DEPTH + 1)  # whatever was pending is safe and final
    before = number(r, "latest")
    balance_before = w3s[901].eth.get_balance(A1, "latest")
    head = send(w3s[901], 7)
    assert number(r, "latest") == head > before
    assert number(r, "safe") == before and number(r, "finalized") == before  # sequenced, not yet on the L1
    assert w3s[901].eth.get_balance(A1, "safe") == balance_before  # every method reads the tag's block
    assert w3s[901].eth.get_balance(A1, "latest") == balance_before + 7
    superblock = r.call("xr_getSuperblockOfBlock", hex(head), False)
    assert superblock["status"] == "unsafe" and superblock["l1BlockNumber"] is None

    mine_l1(l1)  # the batch goes in just before this L1 block is built
    l1_block = w3_l1.eth.get_block("latest", full_transactions=True)
    assert any(tx["from"] == to_checksum_address(BATCHER) and tx["to"] == to_checksum_address(BATCH_INBOX)
               for tx in l1_block.transactions)
    assert number(r, "safe") == head and number(r, "finalized") == before
    assert w3s[901].eth.get_balance(A1, "safe") == balance_before + 7
    superblock = r.call("xr_getSuperblockOfBlock", hex(head), False)
    assert superblock["status"] == "safe" and int(superblock["l1BlockNumber"], 16) == l1_block.number
    assert r.call("xr_getSuperblockByNumber", "safe", False)["number"] == superblock["number"]

    mine_l1(l1, DEPTH)  # the carrying L1 block is DEPTH deep: final
    assert number(r, "finalized") == head
    assert r.call("xr_getSuperblockOfBlock", hex(head), False)["status"] == "finalized"
    assert r.call("xr_getSuperblockByNumber", "finalized", False)["number"] == superblock["number"]
    # the L1's own tags: safe is its head, finalized DEPTH under it
    assert number(l1, "finalized") == number(l1, "latest") - DEPTH


def test_the_idle_rollup_is_safe_at_its_head_as_of_the_safe_superblock(rollups: dict[int, Rpc], l1: Rpc,
                                                                       w3s: dict[int, Web3]) -> None:
    idle = number(rollups[902], "latest")
    send(w3s[901])
    mine_l1(l1)
    assert number(rollups[902], "safe") == idle  # 902 did not advance: its safe block is its head


def test_batches_decoded_from_l1_calldata_equal_the_log(server: DevnetThread, w3s: dict[int, Web3],
                                                        w3_l1: Web3, l1: Rpc) -> None:
    send(w3s[901], 3)
    send(w3s[902], 4)
    mine_l1(l1)
    channels = Channels()
    derived: list[dict] = []
    for n in range(w3_l1.eth.block_number + 1):
        for tx in w3_l1.eth.get_block(n, full_transactions=True).transactions:
            if tx["to"] == to_checksum_address(BATCH_INBOX) and tx["from"] == to_checksum_address(BATCHER):
                done = channels.add(bytes(tx["input"]))
                if done is not None:
                    first, entries = done
                    del derived[first:]
                    derived.extend(entries)
    log = server.run(lambda: list(server.devnet.sequencer.log.entries))
    assert derived == log
    assert derived[0]["t"] == "genesis" and derived[-1]["t"] == "superblock"


def test_ws_subscribers_follow_the_safe_and_finalized_heads(server: DevnetThread, w3s: dict[int, Web3],
                                                            l1: Rpc) -> None:
    mine_l1(l1, DEPTH + 1)
    with WsRpc(server.urls[901].replace("http://", "ws://")) as ws:
        safe_sub = ws.subscribe("xr_safeHeads")
        final_sub = ws.subscribe("xr_finalizedHeads")
        head = send(w3s[901])
        block_hash = w3s[901].eth.get_block(head).hash.to_0x_hex()
        mine_l1(l1)
        got = ws.next(safe_sub, timeout=30)
        assert (int(got["number"], 16), got["hash"]) == (head, block_hash)
        mine_l1(l1, DEPTH)
        got = ws.next(final_sub, timeout=30)
        assert (int(got["number"], 16), got["hash"]) == (head, block_hash)


def test_the_proposer_proposes_output_roots_that_eth_get_proof_confirms(w3s: dict[int, Web3], w3_l1: Web3,
                                                                        l1: Rpc, rollups: dict[int, Rpc]) -> None:
    head = send(w3s[902], 9)
    mine_l1(l1)  # the batch: block `head` is safe
    mine_l1(l1)  # the proposal of the safe block
    assert number(rollups[902], "safe") == head
    oracle = w3_l1.eth.contract(address=to_checksum_address(rollup_contracts(902).oracle), abi=ORACLE_ABI)
    assert oracle.functions.latestBlockNumber().call() == head
    index = oracle.functions.getL2OutputIndexAfter(head).call()
    output_root, _, l2_block_number = oracle.functions.getL2Output(index).call()
    assert l2_block_number == head
    block = w3s[902].eth.get_block(head)
    proof = w3s[902].eth.get_proof(MESSAGE_PASSER, [], head)
    expected = keccak(b"\x00" * 32 + bytes(block.stateRoot) + bytes(proof.storageHash) + bytes(block.hash))
    assert output_root == expected
    events = oracle.events.OutputProposed().get_logs(from_block=0)
    assert any(e.args.l2BlockNumber == head and e.args.outputRoot == expected for e in events)


def test_without_an_l1_safe_and_finalized_are_the_latest_block() -> None:
    with served((901,)) as dt:
        assert dt.devnet.l1 is None
        w3 = Web3(Web3.HTTPProvider(dt.urls[901]))
        head = send(w3)
        assert w3.eth.get_block("safe").number == w3.eth.get_block("finalized").number == head
        superblock = w3.provider.make_request("xr_getSuperblockByNumber", ["latest", False])["result"]
        assert "status" not in superblock and "l1BlockNumber" not in superblock
