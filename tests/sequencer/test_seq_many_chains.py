"""Many chains: a superblock holds only the chains that advanced.

Against real servers (tests/support): a bundle over 3 of 10 chains advances exactly those 3;
an idle chain's head stays put in automine but moves with --block-time, per-chain intervals
too; the views list the chains in a superblock and every chain's head; xr_newSuperblocks
reaches a chain that did not advance; replay and dump/load of a log where chains advanced
unevenly rebuild every block.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sequencer.seq_helpers import sign, transfer
from tests.support import ChainRpc, WsRpc, served
from xrollup.cli import _block_times, replay_command
from xrollup.testing import DevnetThread

TEN = tuple(range(901, 911))


def heads(rpc: ChainRpc) -> dict[int, int]:
    return {cid: int(rpc.ok(cid, "eth_blockNumber"), 16) for cid in TEN}


def chains_of(sb: dict[str, Any]) -> list[int]:
    return [int(b["chainId"], 16) for b in sb["blocks"]]


@pytest.fixture(scope="module")
def ten() -> Iterator[DevnetThread]:
    with served(TEN) as server:
        yield server


@pytest.fixture()
def rpc(ten: DevnetThread) -> Iterator[ChainRpc]:
    with ten.isolated():
        client = ChainRpc(ten.urls)
        yield client
        client.close()


def test_a_bundle_over_3_of_10_chains_advances_exactly_those_3(rpc: ChainRpc) -> None:
    before = heads(rpc)
    legs = (903, 905, 909)
    txs = [transfer(cid, 1, 0)[0] for cid in legs]
    status = rpc.ok(901, "xr_sendBundle", [{"txs": txs}])
    assert status["status"] == "included"
    after = heads(rpc)
    assert {cid for cid in TEN if after[cid] != before[cid]} == set(legs)
    assert all(after[cid] == before[cid] + 1 for cid in legs)
    sb = rpc.ok(901, "xr_getSuperblockByNumber", ["latest", True])
    assert chains_of(sb) == list(legs)
    assert [int(h["chainId"], 16) for h in sb["heads"]] == list(TEN)  # every chain's head, in --chains order
    assert {int(h["chainId"], 16): int(h["number"], 16) for h in sb["heads"]} == after
    for leg in status["legs"]:
        assert int(leg["blockNumber"]) == after[int(leg["chainId"])]
    by_hash = rpc.ok(907, "xr_getSuperblockByHash", [sb["hash"], False])
    assert chains_of(by_hash) == list(legs) and by_hash["heads"] == sb["heads"]


def test_an_idle_chain_does_not_move_in_automine(rpc: ChainRpc) -> None:
    before, height = heads(rpc), int(rpc.ok(901, "xr_blockNumber"), 16)
    for nonce in range(3):
        rpc.ok(904, "eth_sendRawTransaction", [transfer(904, 2, nonce)[0]])
    after = heads(rpc)
    assert after[904] == before[904] + 3
    assert {cid: n for cid, n in after.items() if cid != 904} == {cid: n for cid, n in before.items() if cid != 904}
    assert int(rpc.ok(901, "xr_blockNumber"), 16) == height + 3
    # A chain block's timestamp is its superblock's, whichever chains advanced with it.
    sb = rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False])
    block = rpc.ok(904, "eth_getBlockByNumber", ["latest", False])
    assert chains_of(sb) == [904] and block["timestamp"] == sb["timestamp"]
    # evm_mine still mines every chain.
    rpc.ok(902, "evm_mine")
    assert heads(rpc) == {cid: n + 1 for cid, n in after.items()}
    assert chains_of(rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False])) == list(TEN)


def test_xr_new_superblocks_reaches_a_chain_that_did_not_advance(ten: DevnetThread, rpc: ChainRpc) -> None:
    with WsRpc(ten.urls[910].replace("http://", "ws://")) as ws:
        sub = ws.subscribe("xr_newSuperblocks")
        rpc.ok(902, "eth_sendRawTransaction", [transfer(902, 3, 0)[0]])
        pushed = ws.next(sub, timeout=10)
    assert chains_of(pushed) == [902]
    assert len(pushed["heads"]) == len(TEN)


def test_an_idle_chain_moves_on_block_time() -> None:
    with served((901, 902, 903), block_time=0.2) as server:
        rpc = ChainRpc(server.urls)
        try:
            deadline = time.monotonic() + 30
            while int(rpc.ok(903, "eth_blockNumber"), 16) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert int(rpc.ok(903, "eth_blockNumber"), 16) >= 3  # no transaction was ever sent to it
            sb = rpc.ok(901, "xr_getSuperblockByNumber", ["0x1", False])
            assert chains_of(sb) == [901, 902, 903]
        finally:
            rpc.close()


def test_per_chain_block_times() -> None:
    assert _block_times("901=1,902=2") == (None, ((901, 1.0), (902, 2.0)))
    assert _block_times("2,901=0.5") == (2.0, ((901, 0.5),))
    with served((901, 902), block_times=((901, 0.1), (902, 0.6))) as server:
        rpc = ChainRpc(server.urls)
        try:
            deadline = time.monotonic() + 30
            while int(rpc.ok(902, "eth_blockNumber"), 16) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            fast, slow = (int(rpc.ok(cid, "eth_blockNumber"), 16) for cid in (901, 902))
            assert slow >= 2 and fast > slow  # 901 ticks six times as often as 902
            height = int(rpc.ok(901, "xr_blockNumber"), 16)
            listed = [chains_of(rpc.ok(901, "xr_getSuperblockByNumber", [hex(n), False])) for n in range(1, height + 1)]
            assert [901] in listed  # superblocks of 901 alone: 902 was not due
            assert sum(901 in c for c in listed) == int(rpc.ok(901, "eth_blockNumber"), 16)
            assert sum(902 in c for c in listed) == int(rpc.ok(902, "eth_blockNumber"), 16)
        finally:
            rpc.close()


def test_replay_and_dump_load_of_a_log_where_chains_advanced_unevenly(tmp_path: Path) -> None:
    chains = (901, 902, 903)
    with served(chains, state_dir=str(tmp_path)) as server:
        rpc = ChainRpc(server.urls)
        try:
            nonces = dict.fromkeys(chains, 0)
            for cid in (901, 901, 902, 901, 901, 902):  # 903 never advances
                rpc.ok(cid, "eth_sendRawTransaction", [transfer(cid, 0, nonces[cid])[0]])
                nonces[cid] += 1
            rpc.ok(902, "xr_sendBundle", [{"txs": [sign(901, 1, 0, to="0x" + "11" * 20, value=5)[0],
                                                    sign(903, 1, 0, to="0x" + "11" * 20, value=5)[0]]}])
            live = {cid: rpc.ok(cid, "eth_getBlockByNumber", ["latest", False]) for cid in chains}
            assert {cid: int(b["number"], 16) for cid, b in live.items()} == {901: 5, 902: 2, 903: 1}
            dump = rpc.ok(901, "anvil_dumpState")
            rpc.ok(901, "anvil_reset")
            assert int(rpc.ok(901, "eth_blockNumber"), 16) == 0
            rpc.ok(902, "anvil_loadState", [dump])
            for cid in chains:
                loaded = rpc.ok(cid, "eth_getBlockByNumber", ["latest", False])
                assert (loaded["hash"], loaded["stateRoot"]) == (live[cid]["hash"], live[cid]["stateRoot"])
        finally:
            rpc.close()
    assert replay_command(str(tmp_path)) == 0  # every block hash and state root rebuilt from the log


def test_a_port_in_use_fails_start_up_naming_the_port_and_the_chain() -> None:
    from scripts._bench_common import find_free_ports
    from xrollup.config import DevnetConfig

    base = find_free_ports(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 2))
        taken.listen()
        server = DevnetThread(DevnetConfig(chain_ids=(901, 902, 903), port=base, silent=True))
        with pytest.raises(RuntimeError) as failed:
            server.start()
    assert f"port {base + 2} of chain 903 is in use" in str(failed.value.__cause__)
    with pytest.raises(ValueError, match="past 65535"):
        DevnetConfig(chain_ids=tuple(range(1, 101)), port=65500)
