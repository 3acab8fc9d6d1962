"""Reorgs against a real settlement layer: the L1's safe head bounds them, and the rollups
rebuilt from the L1 alone (``xrollup replay --from-l1``) are the reorged ones."""

from __future__ import annotations

import pytest
from web3 import Web3

from tests.settlement.conftest import A0, A1
from tests.support import Rpc, served
from xrollup.cli import main


def test_reorg_stops_at_the_l1_safe_head_and_replays_from_the_l1(capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1, a = Rpc(dt.devnet.l1.url), Rpc(dt.urls[901])
        w3 = Web3(Web3.HTTPProvider(dt.urls[901]))
        try:
            for value in (1, 2):
                w3.eth.send_transaction({"from": A0, "to": A1, "value": value})
            l1.call("evm_mine")  # their batch lands: safe
            safe = int(a.call("xr_getSuperblockByNumber", "safe", False)["number"], 16)
            assert safe == int(a.call("xr_blockNumber"), 16) and safe >= 2
            tx = w3.eth.send_transaction({"from": A0, "to": A1, "value": 3})
            err = a.error("xr_reorg", 2)  # would drop the safe head
            assert err.code == -32602 and "safe" in err.message
            result = a.call("xr_reorg", 1)  # the unsafe superblock only
            assert result["fork"] == safe
            assert w3.eth.get_transaction_receipt(tx)["status"] == 1  # sequenced again
            assert a.call("xr_faults")["safeSuperblock"] == safe
            l1.call("evm_mine")  # the reorged tail is posted
            head = w3.eth.get_block("latest")
            capsys.readouterr()
            assert main(["replay", "--from-l1", dt.devnet.l1.url]) == 0
            out = capsys.readouterr().out
            assert "replay --from-l1 OK" in out
            assert f"chain 901: block {head.number} hash {head.hash.to_0x_hex()}" in out
        finally:
            l1.close()
            a.close()
