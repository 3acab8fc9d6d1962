"""A delay fault holds deposits from the L1 too, over a real server, deposits sent through the
portals: by chain for its superblocks (xr_faults lists the deposit as held, delayed), by sender
(the deposit's ``from``) for its seconds (the mining service wakes when they end), and never past
the sequencing window: a delay longer than the window ends at the deadline, where the deposit
is forced in and xr_getForcedInclusion says so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import portal_address
from tests.support import Rpc, served

USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
PAYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # dev account 0
OTHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # dev account 1
SINK = to_checksum_address("0x00000000000000000000000000000000000f0e1d")
PORTAL = load_artifact("OptimismPortal")["abi"]


class Net:
    def __init__(self, l1_url: str, urls: dict[int, str]) -> None:
        self.w3 = Web3(Web3.HTTPProvider(l1_url))
        self.l1 = Rpc(l1_url)
        self.rpc = {cid: Rpc(url) for cid, url in urls.items()}

    def deposit(self, chain_id: int, sender: str, value: int) -> tuple[str, int]:
        """``sender`` sends ``value`` wei to SINK on ``chain_id`` through its portal (the L1 mines
        it at once). Returns the L1 transaction hash and its L1 block."""
        portal = self.w3.eth.contract(address=to_checksum_address(portal_address(chain_id)), abi=PORTAL)
        tx_hash = portal.functions.depositTransaction(SINK, value, 100_000, False, b"").transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return tx_hash.to_0x_hex(), receipt["blockNumber"]

    def report(self, l1_tx: str) -> dict[str, Any]:
        (deposit,) = self.rpc[902].call("xr_getForcedInclusion", l1_tx)["deposits"]
        return deposit

    def held(self) -> list[dict[str, Any]]:
        return self.rpc[902].call("xr_faults")["held"]

    def close(self) -> None:
        self.l1.close()
        for rpc in self.rpc.values():
            rpc.close()


def _net(window: int) -> Iterator[Net]:
    # the L1 makes blocks only when told (evm_mine on its endpoint)
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=window) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        net = Net(dt.devnet.l1.url, dt.urls)
        try:
            yield net
        finally:
            net.close()


@pytest.fixture()
def wide() -> Iterator[Net]:
    yield from _net(10)


@pytest.fixture()
def narrow() -> Iterator[Net]:
    yield from _net(2)


def test_chain_delay_holds_a_deposit_for_its_superblocks(wide: Net) -> None:
    net, n = wide, 3
    fault = net.rpc[902].call("xr_setFault", {"kind": "delay", "chains": [902], "superblocks": n})
    free_tx, _ = net.deposit(901, PAYER, 12)  # another chain's deposit is not held
    assert net.rpc[901].call("xr_getForcedInclusion", free_tx)["deposits"][0]["includedBy"] == "sequencer"
    head = net.rpc[902].call("xr_faults")["head"]
    l1_tx, l1_block = net.deposit(902, PAYER, 11)
    waiting = net.report(l1_tx)
    assert waiting["status"] == "waiting" and waiting["deadline"] == l1_block + 10
    assert {"chainId": 902, "hash": waiting["depositHash"], "reason": "delayed", "deposit": True,
            "deadline": l1_block + 10} in net.held()
    for step in range(1, n + 1):  # superblocks head + 1 .. head + n: still held
        net.rpc[901].call("eth_sendTransaction", {"from": OTHER, "to": SINK, "value": hex(step)})
        assert net.report(l1_tx)["status"] == "waiting", f"included {step} superblocks later"
    assert net.rpc[902].call("xr_faults")["head"] == head + n
    net.rpc[901].call("eth_sendTransaction", {"from": OTHER, "to": SINK, "value": "0x9"})
    landed = net.report(l1_tx)
    assert (landed["status"], landed["includedBy"]) == ("included", "sequencer")
    assert landed["superblock"] == head + n + 1
    assert int(net.l1.call("eth_blockNumber"), 16) < landed["deadline"]  # well within its window
    receipt = net.rpc[902].call("eth_getTransactionReceipt", landed["depositHash"])
    assert receipt is not None and receipt["status"] == "0x1"
    assert not [h for h in net.held() if h.get("deposit")]
    net.rpc[902].call("xr_clearFault", fault["id"])


def test_delay_longer_than_the_window_ends_at_the_deadline_by_force(narrow: Net) -> None:
    net = narrow
    net.rpc[902].call("xr_setFault", {"kind": "delay", "chains": [902], "superblocks": 1000})
    l1_tx, l1_block = net.deposit(902, USER, 13)
    deposit_hash = net.report(l1_tx)["depositHash"]
    # the L1 block before the deadline, and superblocks meanwhile: still held
    net.rpc[901].call("eth_sendTransaction", {"from": OTHER, "to": SINK, "value": "0x1"})
    net.l1.call("evm_mine")
    net.rpc[901].call("eth_sendTransaction", {"from": OTHER, "to": SINK, "value": "0x2"})
    assert net.report(l1_tx)["status"] == "waiting"
    assert [h["reason"] for h in net.held() if h["hash"] == deposit_hash] == ["delayed"]
    net.l1.call("evm_mine")  # the deadline: the window forces it in
    assert int(net.l1.call("eth_blockNumber"), 16) == l1_block + 2
    forced = net.report(l1_tx)
    assert (forced["status"], forced["includedBy"]) == ("included", "force")
    assert forced["l1HeadAtInclusion"] == l1_block + 1  # before the deadline block was built
    block = net.rpc[902].call("eth_getBlockByNumber", hex(forced["rollupBlock"]), False)
    assert block["transactions"] == [deposit_hash]  # derivation's block: the deposit alone
    assert {"superblock": forced["superblock"], "chainId": 902, "hash": deposit_hash,
            "block": forced["rollupBlock"]} in net.rpc[902].call("xr_faults")["forced"]
    assert not [h for h in net.held() if h.get("deposit")]
    assert net.rpc[902].call("eth_getBlockByNumber", "safe", False)["hash"] == block["hash"]
    net.rpc[902].call("xr_clearFault", "delay")


def test_sender_delay_in_seconds_holds_only_that_senders_deposits(wide: Net) -> None:
    net = wide
    net.rpc[902].call("xr_setFault", {"kind": "delay", "senders": [USER], "seconds": 4})  # long enough for a loaded machine
    other_tx, _ = net.deposit(902, PAYER, 14)  # another sender: at once
    assert net.report(other_tx)["includedBy"] == "sequencer"
    l1_tx, _ = net.deposit(902, USER, 15)
    held = net.report(l1_tx)
    assert held["status"] == "waiting"
    assert [h["reason"] for h in net.held() if h["hash"] == held["depositHash"]] == ["delayed"]
    # the mining service wakes when the delay ends (bounded wait, no timing assertion)
    deadline = time.monotonic() + 30
    while net.report(l1_tx)["status"] != "included":
        assert time.monotonic() < deadline, "the delayed deposit was never included"
        time.sleep(0.1)
    assert net.report(l1_tx)["includedBy"] == "sequencer"
    net.rpc[902].call("xr_clearFault", "delay")
