"""``xrollup replay --from-l1``: every rollup rebuilt from the L1 alone, from a running L1 or
from the L1 a devnet saved; writes to the inbox by others are ignored, a tampered batch is
caught."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.batches import encode_channel
from settlement.contracts import BATCH_INBOX, BATCHER
from settlement.operators import calldata_gas
from tests.settlement.conftest import A0, A1
from tests.support import Rpc, served
from xrollup.cli import main

COUNTER = load_artifact("Counter")


def activity(w3s: dict[int, Web3], rollups: dict[int, Rpc]) -> None:
    """Transfers, a deployment, a dev-method edit and an undone block on both rollups."""
    for cid, w3 in w3s.items():
        w3.eth.send_transaction({"from": A0, "to": A1, "value": cid})
        w3.eth.send_transaction({"from": A1, "data": COUNTER["bytecode"] + (7).to_bytes(32, "big").hex()})
    rollups[901].call("anvil_setBalance", A1, hex(12345 * 10**18))
    snap = rollups[902].call("evm_snapshot")
    w3s[902].eth.send_transaction({"from": A0, "to": A1, "value": 99})
    rollups[902].call("evm_revert", snap)
    w3s[902].eth.send_transaction({"from": A0, "to": A1, "value": 98})


def heads(w3s: dict[int, Web3]) -> list[str]:
    return [f"chain {cid}: block {b.number} hash {b.hash.to_0x_hex()}"
            for cid, w3 in w3s.items() for b in [w3.eth.get_block("latest")]]


def test_replay_from_a_saved_l1_and_a_running_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600, state_dir=str(tmp_path)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1 = Rpc(dt.devnet.l1.url)
        rollups = {cid: Rpc(url) for cid, url in dt.urls.items()}
        w3s = {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()}
        activity(w3s, rollups)
        l1.call("evm_mine")  # the batch of all of it
        expected = heads(w3s)
        capsys.readouterr()
        assert main(["replay", "--from-l1", dt.devnet.l1.url]) == 0
        out = capsys.readouterr().out
        assert "replay --from-l1 OK" in out and "0 inbox writes by others" in out
        for line in expected:
            assert line in out
        for rpc in (l1, *rollups.values()):
            rpc.close()
    assert (tmp_path / "l1").is_dir()
    assert main(["replay", "--from-l1", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "replay --from-l1 OK" in out and "saved in" in out
    for line in expected:
        assert line in out


def test_strangers_are_ignored_and_a_tampered_batch_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        url = dt.devnet.l1.url
        l1 = Rpc(url)
        rollups = {cid: Rpc(u) for cid, u in dt.urls.items()}
        w3s = {cid: Web3(Web3.HTTPProvider(u)) for cid, u in dt.urls.items()}
        activity(w3s, rollups)
        l1.call("evm_mine")
        entries = dt.run(lambda: copy.deepcopy(dt.devnet.sequencer.log.entries))
        inbox = to_checksum_address(BATCH_INBOX)
        # A stranger's channel that would rewrite the whole log: ignored.
        forged = copy.deepcopy(entries)
        forged[0]["config"]["chain_ids"] = [901]
        for frame in encode_channel(0, forged[:1]):
            l1.call("eth_sendTransaction", {"from": A0, "to": inbox, "data": "0x" + frame.hex(),
                                            "gas": hex(calldata_gas(frame))})
        capsys.readouterr()
        assert main(["replay", "--from-l1", url]) == 0
        assert "ignored 1 inbox writes by others" in capsys.readouterr().out
        # The batcher's own key posting a tampered tail: replay refuses it.
        tampered = copy.deepcopy(entries[1:])
        block = next(e for e in tampered if e["t"] == "superblock")["blocks"][0]
        block["stateRoot"] = "0x" + "11" * 32
        l1.call("anvil_impersonateAccount", to_checksum_address(BATCHER))
        for frame in encode_channel(1, tampered):
            l1.call("eth_sendTransaction", {"from": to_checksum_address(BATCHER), "to": inbox,
                                            "data": "0x" + frame.hex(), "gas": hex(calldata_gas(frame))})
        assert main(["replay", "--from-l1", url]) == 1
        err = capsys.readouterr().err
        assert "replay --from-l1 FAILED" in err and "state root mismatch" in err
        for rpc in (l1, *rollups.values()):
            rpc.close()


def test_a_channel_of_several_frames(capsys: pytest.CaptureFixture[str]) -> None:
    """Incompressible calldata bigger than a frame: the channel spans frames, each its own L1
    transaction with its own nonce, and derivation puts it back together."""
    with served((901,), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        w3 = Web3(Web3.HTTPProvider(dt.urls[901]))
        for _ in range(2):
            data = os.urandom(120_000)
            w3.eth.send_transaction({"from": A0, "to": A1, "data": "0x" + data.hex(), "gas": calldata_gas(data)})
        Rpc(dt.devnet.l1.url).call("evm_mine")
        assert w3.eth.get_block("safe").number == w3.eth.block_number
        capsys.readouterr()
        assert main(["replay", "--from-l1", dt.devnet.l1.url]) == 0
        out = capsys.readouterr().out
        found = re.search(r"(\d+) batch frames from the batcher in (\d+) channels", out)
        assert found is not None, out
        assert int(found.group(1)) >= 3 and int(found.group(2)) == 1, out  # 240 kB of random bytes: 3 frames


def test_replay_needs_a_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["replay", "--from-l1", str(tmp_path / "nothing")]) == 1
    assert "neither an L1's URL nor a state dir" in capsys.readouterr().err
    assert main(["replay"]) == 2
