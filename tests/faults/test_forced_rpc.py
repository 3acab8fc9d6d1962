"""Forced inclusion of deposits sent through the L1 portal, over a real server:
xr_getForcedInclusion (submitted at, deadline, included at, by the sequencer or by force, and the
hand-off: the other transactions that touched the deposit's accounts in between, with their
effects), and a deposit forced past a down sequencer, rebuilt by ``xrollup replay --from-l1``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import portal_address
from tests.support import Rpc, RpcError, served
from xrollup.cli import main
from xrollup.testing import DevnetThread

WINDOW = 2
USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
PAYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # dev account 0
SINK = to_checksum_address("0x00000000000000000000000000000000000f0e1d")
PORTAL = load_artifact("OptimismPortal")["abi"]


@pytest.fixture()
def devnet() -> Iterator[DevnetThread]:
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        yield dt


def _deposit(w3_l1: Web3, sender: str, to: str, value: int) -> tuple[str, int]:
    """``sender`` sends ``value`` wei of its 902 balance to ``to`` through 902's portal; the L1
    mines it at once. Returns the L1 transaction hash and its block."""
    portal = w3_l1.eth.contract(address=to_checksum_address(portal_address(902)), abi=PORTAL)
    tx_hash = portal.functions.depositTransaction(to, value, 100_000, False, b"").transact({"from": sender})
    receipt = w3_l1.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return tx_hash.to_0x_hex(), receipt["blockNumber"]


def test_forced_and_sequenced_deposits_and_the_handoff(devnet: DevnetThread) -> None:
    assert devnet.devnet.l1 is not None and devnet.devnet.l1.url
    w3_l1 = Web3(Web3.HTTPProvider(devnet.devnet.l1.url))
    l1, rollup = Rpc(devnet.devnet.l1.url), Rpc(devnet.urls[902])
    try:
        # a deposit the sequencer takes at once
        plain, _ = _deposit(w3_l1, PAYER, SINK, 5)
        (sequenced,) = rollup.call("xr_getForcedInclusion", plain)["deposits"]
        assert sequenced["status"] == "included" and sequenced["includedBy"] == "sequencer"
        assert sequenced["handoff"] == []

        rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
        l1_tx, l1_block = _deposit(w3_l1, USER, SINK, 7)
        report = rollup.call("xr_getForcedInclusion", l1_tx)
        assert report["l1TxHash"] == l1_tx and report["l1Head"] == l1_block
        (waiting,) = report["deposits"]
        assert waiting["chainId"] == 902 and waiting["from"] == USER.lower() and waiting["to"] == SINK.lower()
        assert (waiting["l1Block"], waiting["deadline"], waiting["window"]) == (l1_block, l1_block + WINDOW, WINDOW)
        assert (waiting["status"], waiting["includedBy"], waiting["rollupBlock"]) == ("waiting", None, None)
        # meanwhile others touch the deposit's accounts: the user, and the sink it pays
        to_user = rollup.call("eth_sendTransaction", {"from": PAYER, "to": USER, "value": "0x3"})
        to_sink = rollup.call("eth_sendTransaction", {"from": PAYER, "to": SINK, "value": "0x4"})
        rollup.call("eth_sendTransaction", {"from": PAYER, "to": PAYER, "value": "0x1"})  # touches neither
        (waiting,) = rollup.call("xr_getForcedInclusion", l1_tx)["deposits"]
        assert [h["hash"] for h in waiting["handoff"]] == [to_user, to_sink]
        l1.call("evm_mine")
        assert rollup.call("xr_getForcedInclusion", l1_tx)["deposits"][0]["status"] == "waiting"
        l1.call("evm_mine")  # the deadline
        (forced,) = rollup.call("xr_getForcedInclusion", l1_tx)["deposits"]
        receipt = rollup.call("eth_getTransactionReceipt", forced["depositHash"])
        assert receipt is not None and receipt["status"] == "0x1"
        assert forced["status"] == "included" and forced["includedBy"] == "force"
        assert forced["rollupBlock"] == int(receipt["blockNumber"], 16)
        assert forced["l1HeadAtInclusion"] == l1_block + WINDOW - 1  # before the deadline block was built
        assert forced["superblock"] == int(rollup.call("xr_getSuperblockOfBlock", receipt["blockNumber"], False)["number"], 16)
        assert USER.lower() in forced["touched"] and SINK.lower() in forced["touched"]
        handoff = {h["hash"]: h for h in forced["handoff"]}
        assert list(handoff) == [to_user, to_sink] and not forced["handoffTruncated"]
        first = handoff[to_user]
        assert first["from"] == PAYER.lower() and first["to"] == USER.lower()
        assert list(first["touched"]) == [USER.lower()]
        before = int(first["effects"]["pre"][USER.lower()]["balance"], 16)
        assert int(first["effects"]["post"][USER.lower()]["balance"], 16) == before + 3
        assert list(handoff[to_sink]["touched"]) == [SINK.lower()]
        # an L1 transaction that made no deposit, and one the L1 does not have
        other = w3_l1.eth.send_transaction({"from": PAYER, "to": SINK, "value": 1}).to_0x_hex()
        assert rollup.call("xr_getForcedInclusion", other)["deposits"] == []
        assert rollup.call("xr_getForcedInclusion", "0x" + "ab" * 32) is None
        with pytest.raises(RpcError) as exc:
            rollup.call("xr_getForcedInclusion", "0x1234")
        assert exc.value.code == -32602
    finally:
        l1.close()
        rollup.close()


def test_without_an_l1_there_is_nothing_to_force() -> None:
    with served((901,), admin_port=0) as dt:
        rpc = Rpc(dt.urls[901])
        try:
            with pytest.raises(RpcError) as exc:
                rpc.call("xr_getForcedInclusion", "0x" + "ab" * 32)
            assert exc.value.code == -32602 and "no L1 settles" in exc.value.message
        finally:
            rpc.close()


def test_deposits_forced_past_a_down_sequencer_are_rebuilt_from_the_l1(
        devnet: DevnetThread, capsys: pytest.CaptureFixture[str]) -> None:
    assert devnet.devnet.l1 is not None and devnet.devnet.l1.url
    w3_l1 = Web3(Web3.HTTPProvider(devnet.devnet.l1.url))
    l1, rollup = Rpc(devnet.devnet.l1.url), Rpc(devnet.urls[902])
    try:
        rollup.call("eth_sendTransaction", {"from": PAYER, "to": SINK, "value": "0x2"})
        rollup.call("xr_setFault", {"kind": "down"})
        pooled = rollup.call("eth_sendTransaction", {"from": PAYER, "to": SINK, "value": "0x3"})
        l1_tx, l1_block = _deposit(w3_l1, USER, SINK, 9)
        for _ in range(WINDOW):
            assert rollup.call("xr_getForcedInclusion", l1_tx)["deposits"][0]["status"] == "waiting"
            l1.call("evm_mine")
        assert int(l1.call("eth_blockNumber"), 16) == l1_block + WINDOW
        (forced,) = rollup.call("xr_getForcedInclusion", l1_tx)["deposits"]
        assert forced["includedBy"] == "force"
        block = rollup.call("eth_getBlockByNumber", hex(forced["rollupBlock"]), False)
        assert block["transactions"] == [forced["depositHash"]]  # the deposit alone: the sequencer is down
        assert rollup.call("eth_getTransactionReceipt", pooled) is None
        assert rollup.call("eth_getBlockByNumber", "safe", False)["hash"] == block["hash"]  # carried by the deadline block
        capsys.readouterr()
        assert main(["replay", "--from-l1", devnet.devnet.l1.url]) == 0
        out = capsys.readouterr().out
        assert "replay --from-l1 OK" in out and f"block {forced['rollupBlock']} hash {block['hash']}" in out
        assert "deposits: 1 on the L1" in out
        rollup.call("xr_clearFault", "down")
        assert rollup.call("eth_getTransactionReceipt", pooled) is not None
    finally:
        l1.close()
        rollup.close()
