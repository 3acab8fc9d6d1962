"""The batcher follows the devnet through what a developer does to it: a reset or reverted
rollup, a reset or reverted L1, a restart from --state-dir. After each, the L1 alone still
rebuilds the rollups as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import BATCHER, rollup_contracts
from tests.settlement.conftest import A0, A1
from tests.support import Rpc, served
from xrollup.cli import main


def transfers(w3s: dict[int, Web3], value: int) -> None:
    for w3 in w3s.values():
        w3.eth.send_transaction({"from": A0, "to": A1, "value": value})


def replay_matches(l1_url: str, w3s: dict[int, Web3], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["replay", "--from-l1", l1_url]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for cid, w3 in w3s.items():
        block = w3.eth.get_block("latest")
        assert f"chain {cid}: block {block.number} hash {block.hash.to_0x_hex()}" in out


def test_resets_and_reverts_on_both_sides(capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1_url = dt.devnet.l1.url
        l1 = Rpc(l1_url)
        rollup = Rpc(dt.urls[901])
        w3s = {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()}
        transfers(w3s, 1)
        l1.call("evm_mine")
        replay_matches(l1_url, w3s, capsys)

        rollup.call("anvil_reset")  # new rollups: posted again from their genesis
        assert w3s[901].eth.get_block("safe").number == 0
        transfers(w3s, 2)
        l1.call("evm_mine")
        assert w3s[901].eth.get_block("safe").number == w3s[901].eth.block_number
        replay_matches(l1_url, w3s, capsys)

        snap = l1.call("evm_snapshot")  # an L1 revert drops a batch: it is posted again
        transfers(w3s, 3)
        l1.call("evm_mine")
        l1.call("evm_revert", snap)
        l1.call("evm_mine")
        replay_matches(l1_url, w3s, capsys)

        l1.call("anvil_reset")  # a new L1: everything is posted again
        l1.call("evm_mine")
        replay_matches(l1_url, w3s, capsys)
        transfers(w3s, 4)
        l1.call("evm_mine")
        replay_matches(l1_url, w3s, capsys)
        l1.close()
        rollup.close()


def test_a_restart_from_the_state_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600, state_dir=str(tmp_path)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        w3s = {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()}
        transfers(w3s, 5)
        w3_l1 = Web3(Web3.HTTPProvider(dt.devnet.l1.url))
        portal = w3_l1.eth.contract(address=to_checksum_address(rollup_contracts(902).portal),
                                    abi=load_artifact("OptimismPortal")["abi"])
        portal.functions.depositTransaction(A1, 5, 50_000, False, b"").transact({"from": A0, "value": 5})
        Rpc(dt.devnet.l1.url).call("evm_mine")
        l1_height = int(Rpc(dt.devnet.l1.url).call("eth_blockNumber"), 16)
    with served((901, 902), l1=True, l1_block_time=3600, state_dir=str(tmp_path)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1 = Rpc(dt.devnet.l1.url)
        assert int(l1.call("eth_blockNumber"), 16) == l1_height  # the L1 came back too
        w3s = {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()}
        l1.call("evm_mine")  # what the L1 carries already is not posted again, and is safe at once
        block = l1.call("eth_getBlockByNumber", "latest", True)
        assert not [tx for tx in block["transactions"] if tx["from"] == "0x" + BATCHER.hex()]
        for w3 in w3s.values():
            assert w3.eth.get_block("safe").number == w3.eth.block_number
        transfers(w3s, 6)
        l1.call("evm_mine")
        assert w3s[902].eth.get_block("safe").number == w3s[902].eth.block_number
        replay_matches(dt.devnet.l1.url, w3s, capsys)
        expected = [(cid, w3.eth.get_block("latest").hash.to_0x_hex()) for cid, w3 in w3s.items()]
        l1.close()
    assert main(["replay", "--from-l1", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "deposits: 1 on the L1" in out and "1 included" in out
    for cid, block_hash in expected:
        assert f"chain {cid}: block" in out and block_hash in out


def test_a_reorg_of_unsafe_superblocks_reaches_the_l1_and_safe_ones_are_kept(
        capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1_url = dt.devnet.l1.url
        l1 = Rpc(l1_url)
        rollup = Rpc(dt.urls[901])
        w3s = {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()}
        transfers(w3s, 1)
        l1.call("evm_mine")  # safe
        transfers(w3s, 2)
        l1.call("evm_mine")  # posted: safe too
        transfers(w3s, 3)  # unsafe
        safe = int(rollup.call("xr_getSuperblockByNumber", "safe", False)["number"], 16)
        assert safe == int(rollup.call("xr_blockNumber"), 16) - 2
        error = rollup.error("xr_reorg", 3)
        assert error.code == -32602 and f"superblocks up to {safe} are safe" in error.message
        rollup.call("xr_reorg", 2)  # the unsafe superblocks, sequenced again
        l1.call("evm_mine")
        replay_matches(l1_url, w3s, capsys)
        l1.close()
        rollup.close()
