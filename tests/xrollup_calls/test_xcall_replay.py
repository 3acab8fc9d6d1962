"""Replaying the superblock log reproduces every chain, cross-rollup traffic included.

A module fixture runs every kind of cross-rollup transaction on the session devnet (inside a
snapshot it reverts at the end), replays the superblock log into a fresh devnet exactly as
``xrollup replay`` does, serves the replayed devnet, and compares the two over JSON-RPC.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_utils import keccak

from shared_sequencer.replay import replay
from tests.xrollup_calls.xcall_helpers import (
    A0,
    A1,
    ATOMIC_BRIDGE,
    CHAIN_IDS,
    ETH,
    K0,
    MAILBOX,
    MESSENGER,
    TOKEN_BRIDGE,
    A,
    B,
    C,
    Net,
)
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread


@dataclass
class Replayed:
    original: Net
    copy: Net
    count: int
    head: int
    txs: dict[str, tuple[int, str]]  # label -> (chain id, tx hash)


def run_traffic(net: Net) -> dict[str, tuple[int, str]]:
    inc, fail = net.calldata("Counter", "increment"), net.calldata("Counter", "failWithReason")
    hop = net.calldata("XCallProbe", "hop", [C], [net.probe], net.counter, inc)
    token = net.create2((A, B), K0, "SuperchainERC20", "Replay", "RPL", A0, 1_000 * ETH, salt=keccak(b"replay"))
    sends = {
        "xcall": (A, lambda: net.send(A, K0, MAILBOX, net.xcall_data(B, net.counter, inc))),
        "xcall reverted": (A, lambda: net.send(A, K0, MAILBOX,
                                              net.xcall_data(B, net.counter, fail), gas=500_000)),
        "caught": (A, lambda: net.tx(A, K0, "XCallProbe", net.probe, "tryCall", B, net.counter, fail)),
        "nested": (A, lambda: net.tx(A, K0, "XCallProbe", net.probe, "call", B, net.probe, hop)),
        "back into A": (A, lambda: net.tx(A, K0, "XCallProbe", net.probe, "hop", [B, A], [net.probe] * 2,
                                          net.counter, inc)),
        "from 903": (C, lambda: net.send(C, K0, MAILBOX,
                                         net.xcall_data(A, net.counter, inc))),
        "eth": (A, lambda: net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeETH", A1, C, value=ETH)),
        "erc20": (A, lambda: net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeERC20", token, A1, 5 * ETH, B)),
        "message": (A, lambda: net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, net.probe,
                                      net.calldata("XCallProbe", "onMessage", 3))),
        "failing message": (B, lambda: net.tx(B, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", C,
                                              net.probe, net.calldata("XCallProbe", "failMessage"))),
        "sendERC20": (A, lambda: net.tx(A, K0, "SuperchainTokenBridge", TOKEN_BRIDGE, "sendERC20", token, A1, ETH, B)),
    }
    out = {}
    for label, (cid, send) in sends.items():
        receipt = send()
        assert receipt["status"] == ("0x0" if label == "xcall reverted" else "0x1"), (label, receipt)
        out[label] = (cid, receipt["transactionHash"])
    return out


@pytest.fixture(scope="module")
def replayed(net: Net, xrollup_server: DevnetThread) -> Iterator[Replayed]:
    with xrollup_server.isolated():
        txs = run_traffic(net)
        devnet = xrollup_server.devnet
        entries, head = xrollup_server.run(lambda: (copy.deepcopy(devnet.sequencer.log.entries), devnet.sequencer.head.number))
        assert entries[0]["t"] == "genesis"
        # As `xrollup replay` does: a fresh devnet from the log's genesis config, then every entry after it.
        saved = {k: (tuple(v) if k == "chain_ids" else v) for k, v in entries[0]["config"].items()}
        assert saved["chain_ids"] == CHAIN_IDS
        assert saved["genesis_timestamp"] == devnet.config.genesis_timestamp
        fresh = Devnet(DevnetConfig(port=0, silent=True, **saved))
        count = replay(fresh.sequencer, entries[1:])
        with DevnetThread(devnet=fresh):
            yield Replayed(net, Net(dict(fresh.urls)), count, head, txs)


def test_replay_reproduces_every_block(replayed: Replayed) -> None:
    orig, copy_ = replayed.original, replayed.copy
    assert replayed.count == replayed.head > len(replayed.txs)
    for number in range(replayed.head + 1):
        # Superblock hash, and per chain: block number, hash, state root and transactions.
        assert copy_.superblock(number) == orig.superblock(number), number
    for cid in CHAIN_IDS:
        latest_o, latest_c = orig.block(cid, "latest", full=False), copy_.block(cid, "latest", full=False)
        assert int(latest_o["number"], 16) <= replayed.head  # chains advance only with work
        assert (latest_c["hash"], latest_c["stateRoot"]) == (latest_o["hash"], latest_o["stateRoot"])


def test_replayed_mailboxes_agree_pairwise(replayed: Replayed) -> None:
    replayed.copy.assert_mailboxes_agree()
    for a in CHAIN_IDS:
        for b in CHAIN_IDS:
            if a != b:
                assert replayed.copy.mailbox_hashes(a, b) == replayed.original.mailbox_hashes(a, b)
    # The traffic really went through the mailboxes: 901 -> 902 hashes moved.
    assert replayed.copy.mailbox_hashes(A, B)["requestsOut"] != b"\x00" * 32


def test_replayed_receipts_match(replayed: Replayed) -> None:
    for label, (cid, tx_hash) in replayed.txs.items():
        if label == "xcall reverted":
            continue  # see test_replayed_receipt_keeps_xrollup_error
        assert replayed.copy.receipt(cid, tx_hash) == replayed.original.receipt(cid, tx_hash), label


def test_replayed_receipt_keeps_xrollup_error(replayed: Replayed) -> None:
    cid, tx_hash = replayed.txs["xcall reverted"]
    original = replayed.original.receipt(cid, tx_hash)
    assert original["xrollupError"] == {"chainId": hex(B), "reason": "Counter: boom"}
    assert replayed.copy.receipt(cid, tx_hash) == original
