"""Forced inclusion over a real server, deposits queued through the sequencer's intake
(``submit_deposits``) with an L1 block as their origin: a deposit the sequencer censors, or
cannot sequence because it is down, lands at its deadline (its L1 block + --sequencing-window)
and not before, in a superblock of deposits alone when the sequencer is down, and the L1 carries
it at once (the safe head moves on); a reorg puts dropped deposits back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address

from chains.deposits import Deposit, L1Origin, user_deposit_source_hash
from chains.genesis import dev_accounts
from tests.support import Rpc, served
from xrollup.testing import DevnetThread

WINDOW = 3
USER = dev_accounts()[5].address
OTHER = dev_accounts()[6].address
SINK = bytes.fromhex("00000000000000000000000000000000000f0e1d")


@pytest.fixture()
def devnet() -> Iterator[DevnetThread]:
    # the L1 makes blocks only when told (evm_mine on its endpoint): each step below is one L1 block
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        yield dt


def _deposit(dt: DevnetThread, chain_id: int, sender: bytes, value: int, salt: int) -> tuple[Deposit, int]:
    """Queue one deposit from ``sender`` (minting ``value`` and sending it to SINK) as if the L1's
    head block held it; returns it and that L1 block's number."""
    assert dt.devnet.l1 is not None
    l1 = dt.devnet.l1.sequencer.l1
    head = l1.head
    origin = L1Origin(head.number, int(head.header.timestamp), int(head.header.base_fee_per_gas or 0), head.hash)
    deposit = Deposit(user_deposit_source_hash(head.hash, 1000 + salt), sender, SINK, value, value, 100_000, False, b"")
    dt.run(lambda: dt.devnet.sequencer.submit_deposits({chain_id: [deposit]}, origin))
    return deposit, head.number


def _receipt(rpc: Rpc, tx_hash: bytes) -> dict | None:  # type: ignore[type-arg]
    return rpc.call("eth_getTransactionReceipt", "0x" + tx_hash.hex())


def test_censored_deposit_lands_at_its_deadline_and_not_before(devnet: DevnetThread) -> None:
    assert devnet.devnet.l1 is not None and devnet.devnet.l1.url
    l1, rollup = Rpc(devnet.devnet.l1.url), Rpc(devnet.urls[902])
    try:
        rollup.call("xr_setFault", {"kind": "censor", "senders": [to_checksum_address(USER)]})
        censored, submitted_at = _deposit(devnet, 902, USER, 10**18, 1)
        free, _ = _deposit(devnet, 901, OTHER, 10**18, 2)  # another chain's deposit goes in at once
        assert _receipt(Rpc(devnet.urls[901]), free.hash) is not None
        for step in range(1, WINDOW):
            l1.call("evm_mine")
            assert int(l1.call("eth_blockNumber"), 16) == submitted_at + step
            assert _receipt(rollup, censored.hash) is None, f"included {step} L1 blocks in, before its deadline"
        # the sequencer keeps sequencing others' transactions on 902 meanwhile
        rollup.call("eth_sendTransaction", {"from": to_checksum_address(OTHER), "to": "0x" + SINK.hex(), "value": "0x1"})
        assert _receipt(rollup, censored.hash) is None
        l1.call("evm_mine")  # L1 block submitted_at + WINDOW: the deadline
        receipt = _receipt(rollup, censored.hash)
        assert receipt is not None and receipt["status"] == "0x1"
        block = rollup.call("eth_getBlockByNumber", receipt["blockNumber"], False)
        assert block["transactions"] == ["0x" + censored.hash.hex()]  # a block of the forced deposit alone
        assert int(rollup.call("eth_getBalance", "0x" + SINK.hex(), "latest"), 16) >= 10**18
        # the batcher posted it in that very L1 block: it is safe already
        assert int(rollup.call("eth_getBlockByNumber", "safe", False)["number"], 16) >= int(receipt["blockNumber"], 16)
        assert devnet.devnet.sequencer.windows.included[censored.hash].forced
        assert not devnet.devnet.sequencer.windows.included[free.hash].forced
        superblock = rollup.call("xr_getSuperblockOfBlock", receipt["blockNumber"], False)["number"]
        forced = rollup.call("xr_faults")["forced"]  # what the explorer marks
        assert forced == [{"superblock": int(superblock, 16), "chainId": 902, "hash": "0x" + censored.hash.hex(),
                           "block": int(receipt["blockNumber"], 16)}]
    finally:
        l1.close()
        rollup.close()


def test_down_sequencer_makes_deposit_only_blocks(devnet: DevnetThread) -> None:
    assert devnet.devnet.l1 is not None and devnet.devnet.l1.url
    l1, a, b = Rpc(devnet.devnet.l1.url), Rpc(devnet.urls[901]), Rpc(devnet.urls[902])
    try:
        b.call("eth_sendTransaction", {"from": to_checksum_address(OTHER), "to": "0x" + SINK.hex(), "value": "0x2"})
        a.call("xr_setFault", {"kind": "down"})
        pooled = b.call("eth_sendTransaction", {"from": to_checksum_address(OTHER), "to": "0x" + SINK.hex(),
                                                "value": "0x3"})
        into_a, _ = _deposit(devnet, 901, USER, 5 * 10**17, 3)
        into_b, submitted_at = _deposit(devnet, 902, USER, 10**17, 4)
        before = int(b.call("eth_blockNumber"), 16)
        for _ in range(WINDOW - 1):
            l1.call("evm_mine")
        assert _receipt(a, into_a.hash) is None and _receipt(b, into_b.hash) is None
        assert int(b.call("eth_blockNumber"), 16) == before
        l1.call("evm_mine")
        assert int(l1.call("eth_blockNumber"), 16) == submitted_at + WINDOW
        ra, rb = _receipt(a, into_a.hash), _receipt(b, into_b.hash)
        assert ra is not None and rb is not None
        # one superblock, each chain's block holds the deposit alone; the pooled transfer still waits
        assert b.call("eth_getBlockByNumber", rb["blockNumber"], False)["transactions"] == ["0x" + into_b.hash.hex()]
        assert a.call("eth_getBlockByNumber", ra["blockNumber"], False)["transactions"] == ["0x" + into_a.hash.hex()]
        assert b.call("eth_getTransactionReceipt", pooled) is None
        for rpc, receipt in ((a, ra), (b, rb)):
            assert rpc.call("eth_getBlockByNumber", "safe", False)["number"] == receipt["blockNumber"]
        a.call("xr_clearFault", "down")
        assert b.call("eth_getTransactionReceipt", pooled) is not None
    finally:
        for rpc in (l1, a, b):
            rpc.close()


def test_reorg_puts_dropped_deposits_back(devnet: DevnetThread) -> None:
    rollup = Rpc(devnet.urls[902])
    try:
        deposit, _ = _deposit(devnet, 902, USER, 10**18, 5)
        first = _receipt(rollup, deposit.hash)
        assert first is not None
        record = rollup.call("xr_reorg", 1)
        assert record["depth"] == 1
        # sequenced again at once, never lost (with its L1 origin: the same block again when
        # nothing else differs)
        again = _receipt(rollup, deposit.hash)
        assert again is not None and again["blockNumber"] == first["blockNumber"]
        assert again["transactionIndex"] == "0x0"
        assert not devnet.devnet.sequencer.deposits
        rollup.call("xr_setFault", {"kind": "down"})
        rollup.call("xr_reorg", 1)  # down: nothing is sequenced again, the deposit waits in its queue
        assert _receipt(rollup, deposit.hash) is None
        assert [p.hash for p in devnet.devnet.sequencer.deposits[902]] == [deposit.hash]
        rollup.call("xr_clearFault", "down")
        rollup.call("evm_mine")
        assert _receipt(rollup, deposit.hash) is not None
    finally:
        rollup.close()
