"""Faults under interval mining, a reorg of a relayed message, and a reorg carried through
anvil_dumpState / anvil_loadState: each on its own served devnet, over raw JSON-RPC."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.sequencer.seq_helpers import DevnetServer, transfer, wait_for
from tests.xrollup_calls.xcall_helpers import KEYS, MESSENGER, A, B, Net


@pytest.fixture
def interval() -> Iterator[DevnetServer]:
    srv = DevnetServer(block_time=0.2).start()
    try:
        yield srv
    finally:
        srv.stop()


def test_interval_mining_stops_while_down_and_skips_a_halted_chain(interval: DevnetServer) -> None:
    a, b = interval.rpc(901), interval.rpc(902)
    wait_for(lambda: a.superblock_height() >= 2, what="interval superblocks")
    a.call("xr_setFault", {"kind": "down"})
    stopped = a.superblock_height()
    tx = a.call("eth_sendRawTransaction", transfer(901, 0, 0)[0])
    time.sleep(1.0)  # five intervals: none may build a superblock
    assert a.superblock_height() == stopped and a.receipt(tx) is None
    a.call("xr_clearFault", "down")
    wait_for(lambda: a.receipt(tx), what="the held transaction after the fault cleared")
    a.call("xr_setFault", {"kind": "halt", "chainId": 902})
    height_b, sb = b.height(), a.superblock_height()
    wait_for(lambda: a.superblock_height() >= sb + 3, what="superblocks without 902")
    assert b.height() == height_b and a.height() > 0
    a.call("xr_clearFault", "halt")
    wait_for(lambda: b.height() > height_b, what="902 advancing again")


@pytest.fixture
def net() -> Iterator[tuple[DevnetServer, Net]]:
    srv = DevnetServer(chain_ids=(A, B)).start()
    try:
        yield srv, Net(srv.urls)
    finally:
        srv.stop()


def test_a_reorg_of_the_relay_relays_again_and_of_the_send_sends_again(net: tuple[DevnetServer, Net]) -> None:
    _srv, n = net
    counter = n.deploy(B, KEYS[8], "Counter", 0)
    inc = n.calldata("Counter", "increment")
    sent = n.tx(A, KEYS[7], "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, counter, inc)
    wait_for(lambda: n.number(B, counter) == 1, what="the auto-relay")
    sent_sb = int(n.rpc(A, "xr_getSuperblockOfBlock", [sent["blockNumber"], False])["number"], 16)
    head = int(n.rpc(A, "xr_blockNumber"), 16)
    assert head == sent_sb + 1  # the relay's superblock
    # drop the relay only: the message is still sent, so it is relayed again
    n.rpc(A, "xr_reorg", [1])
    assert n.number(B, counter) == 1
    # drop the send and the relay: the send is sequenced again, and relayed again
    result = n.rpc(A, "xr_reorg", [2])
    assert sent["transactionHash"] in {r["hash"] for r in result["requeued"]}
    assert n.number(B, counter) == 1
    assert n.rpc(A, "eth_getTransactionReceipt", [sent["transactionHash"]])["status"] == "0x1"


def test_a_reorg_survives_dump_and_load(net: tuple[DevnetServer, Net]) -> None:
    srv, n = net
    a = srv.rpc(A)
    for nonce in range(3):
        a.call("eth_sendRawTransaction", transfer(A, 0, nonce)[0])
    a.call("xr_reorg", 2)
    heads = [a.call("xr_getSuperblockByNumber", hex(k), False)["hash"] for k in range(a.superblock_height() + 1)]
    dump = a.call("anvil_dumpState")
    a.call("anvil_reset")
    assert a.call("anvil_loadState", dump) is True
    assert [a.call("xr_getSuperblockByNumber", hex(k), False)["hash"] for k in range(len(heads))] == heads
    assert [r["depth"] for r in a.call("xr_faults")["reorgs"]] == [2]
