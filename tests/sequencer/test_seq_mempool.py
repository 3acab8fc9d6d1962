"""Mempool and ordering of the shared sequencer, over real HTTP against a real devnet.

Future nonces wait for the gap, replacements need a 10% bump on fee cap and tip, the fees and
fifo policies order one superblock, txpool_* report pending vs queued, anvil_drop* empty it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sequencer.seq_helpers import ADDRS, GWEI, DevnetServer, Rpc, hex_int, transfer

A0, A1 = ADDRS[0].lower(), ADDRS[1].lower()


@pytest.fixture
def manual() -> Iterator[DevnetServer]:
    with DevnetServer(no_mining=True) as server:
        yield server


@pytest.fixture
def rpc(manual: DevnetServer) -> Rpc:
    return manual.rpc(901)


def block_tx_hashes(rpc: Rpc, number: int) -> list[str]:
    return rpc.call("eth_getBlockByNumber", hex(number), False)["transactions"]


# -- future nonces ------------------------------------------------------------------------------


def test_future_nonce_waits_until_gap_fills_then_both_mined_in_nonce_order(rpc: Rpc) -> None:
    raw1, h1 = transfer(901, 0, 1)
    raw0, h0 = transfer(901, 0, 0)
    assert rpc.call("eth_sendRawTransaction", raw1) == h1
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}

    rpc.call("evm_mine")  # the gap is still open: nonce 1 must not go in
    assert rpc.receipt(h1) is None
    assert rpc.height() == 1 and block_tx_hashes(rpc, 1) == []
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}

    assert rpc.call("eth_sendRawTransaction", raw0) == h0
    assert rpc.call("txpool_status") == {"pending": "0x2", "queued": "0x0"}
    assert rpc.nonce(ADDRS[0], "pending") == 2
    rpc.call("evm_mine")
    r0, r1 = rpc.receipt(h0), rpc.receipt(h1)
    assert r0 is not None and r1 is not None
    assert r0["blockNumber"] == r1["blockNumber"] == "0x2"
    assert block_tx_hashes(rpc, 2) == [h0, h1]
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert rpc.nonce(ADDRS[0]) == 2


def test_future_nonce_in_automine_is_held_until_gap_fills() -> None:
    with DevnetServer() as server:
        rpc = server.rpc(901)
        raw1, h1 = transfer(901, 0, 1)
        raw0, h0 = transfer(901, 0, 0)
        rpc.call("eth_sendRawTransaction", raw1)
        assert rpc.receipt(h1) is None
        assert rpc.call("txpool_status")["queued"] == "0x1"
        rpc.call("eth_sendRawTransaction", raw0)
        r0, r1 = rpc.receipt(h0), rpc.receipt(h1)
        assert r0 is not None and r1 is not None, "filling the gap must release the queued transaction"
        assert r0["blockNumber"] == r1["blockNumber"]
        assert hex_int(r0["transactionIndex"]) < hex_int(r1["transactionIndex"])


# -- replacement --------------------------------------------------------------------------------


def _pct(value: int, percent: int) -> int:
    return value * (100 + percent) // 100


@pytest.mark.parametrize(
    ("cap_bump", "tip_bump"),
    [(9, 9), (10, 0), (0, 10), (10, 9), (9, 10), (50, 5)],
    ids=["both-9pct", "cap-only", "tip-only", "tip-short", "cap-short", "cap-50-tip-5"],
)
def test_replacement_without_10pct_bump_on_both_is_underpriced(rpc: Rpc, cap_bump: int, tip_bump: int) -> None:
    tip, cap = 2 * GWEI, 20 * GWEI
    raw, h = transfer(901, 0, 0, value=1, tip=tip, fee_cap=cap)
    rpc.call("eth_sendRawTransaction", raw)
    raw2, h2 = transfer(901, 0, 0, value=2, tip=_pct(tip, tip_bump), fee_cap=_pct(cap, cap_bump))
    err = rpc.error("eth_sendRawTransaction", raw2)
    assert err.code == -32003
    assert "replacement transaction underpriced" in err.message
    content = rpc.call("txpool_content")
    assert list(content["pending"][A0].values())[0]["hash"] == h
    rpc.call("evm_mine")
    assert rpc.receipt(h) is not None and rpc.receipt(h2) is None


def test_replacement_with_10pct_bump_on_both_replaces(rpc: Rpc) -> None:
    tip, cap = 2 * GWEI, 20 * GWEI
    raw, h = transfer(901, 0, 0, value=1, tip=tip, fee_cap=cap)
    rpc.call("eth_sendRawTransaction", raw)
    raw2, h2 = transfer(901, 0, 0, value=2, tip=_pct(tip, 10), fee_cap=_pct(cap, 10))
    assert rpc.call("eth_sendRawTransaction", raw2) == h2
    assert rpc.call("txpool_status") == {"pending": "0x1", "queued": "0x0"}
    assert rpc.call("eth_getTransactionByHash", h) is None, "the replaced transaction must leave the pool"
    assert rpc.call("eth_getTransactionByHash", h2)["hash"] == h2
    rpc.call("evm_mine")
    assert rpc.receipt(h) is None
    assert rpc.receipt(h2)["status"] == "0x1"
    assert block_tx_hashes(rpc, 1) == [h2]
    # resubmitting the replaced one is now a nonce-too-low rejection, not a silent re-pool
    err = rpc.error("eth_sendRawTransaction", raw)
    assert err.code == -32003 and "nonce too low" in err.message


def test_resubmitting_same_tx_is_refused(rpc: Rpc) -> None:
    raw, _ = transfer(901, 0, 0)
    rpc.call("eth_sendRawTransaction", raw)
    err = rpc.error("eth_sendRawTransaction", raw)
    assert err.code == -32003 and "already" in err.message
    assert rpc.call("txpool_status") == {"pending": "0x1", "queued": "0x0"}


# -- ordering -----------------------------------------------------------------------------------

# (sender, nonce, tip in gwei), in arrival order
ARRIVALS = [(1, 0, 1), (2, 0, 3), (3, 0, 2), (4, 0, 5), (1, 1, 9), (5, 0, 4)]


def _send_arrivals(rpc: Rpc) -> dict[tuple[int, int], str]:
    hashes = {}
    for sender, nonce, tip in ARRIVALS:
        raw, h = transfer(901, sender, nonce, tip=tip * GWEI, fee_cap=30 * GWEI)
        rpc.call("eth_sendRawTransaction", raw)
        hashes[sender, nonce] = h
    return hashes


@pytest.mark.parametrize("order", ["fees", "fifo"])
def test_ordering_policy_within_one_superblock(order: str) -> None:
    with DevnetServer(no_mining=True, order=order) as server:
        rpc = server.rpc(901)
        assert rpc.call("anvil_nodeInfo")["transactionOrder"] == order
        hashes = _send_arrivals(rpc)
        rpc.call("evm_mine")
        mined = block_tx_hashes(rpc, 1)
        if order == "fees":
            # highest tip first among the heads of the senders' queues; a sender's later nonce
            # (1,1: tip 9) can only follow its nonce 0 (tip 1)
            expected = [(4, 0), (5, 0), (2, 0), (3, 0), (1, 0), (1, 1)]
        else:
            expected = [(s, n) for s, n, _ in ARRIVALS]
        assert mined == [hashes[k] for k in expected]
        tips = [hex_int(rpc.call("eth_getTransactionByHash", h)["maxPriorityFeePerGas"]) for h in mined]
        if order == "fees":
            heads = [t for h, t in zip(mined, tips, strict=True) if h != hashes[1, 1]]
            assert heads == sorted(heads, reverse=True)


def test_fees_order_breaks_ties_by_arrival() -> None:
    with DevnetServer(no_mining=True, order="fees") as server:
        rpc = server.rpc(902)
        sent = []
        for sender in (6, 3, 8, 1):
            raw, h = transfer(902, sender, 0, tip=GWEI)
            rpc.call("eth_sendRawTransaction", raw)
            sent.append(h)
        rpc.call("evm_mine")
        assert block_tx_hashes(rpc, 1) == sent


def test_fees_order_uses_the_effective_tip_under_the_base_fee() -> None:
    """A tip the fee cap cannot pay above the base fee does not count: block 1's base fee is
    0.875 gwei, so (tip 2, cap 2) pays an effective tip of 1.125 gwei only."""
    with DevnetServer(no_mining=True, order="fees") as server:
        rpc = server.rpc(901)
        base = hex_int(rpc.call("eth_feeHistory", "0x1", "latest", [])["baseFeePerGas"][-1])
        assert base == 875_000_000
        sent = {}
        for name, sender, tip, cap in (("A", 1, 2 * GWEI, 2 * GWEI), ("B", 2, 1_500_000_000, 20 * GWEI),
                                       ("C", 3, 1_200_000_000, 20 * GWEI), ("D", 4, GWEI, 20 * GWEI)):
            raw, h = transfer(901, sender, 0, tip=tip, fee_cap=cap)
            rpc.call("eth_sendRawTransaction", raw)
            sent[name] = h
        rpc.call("evm_mine")
        assert block_tx_hashes(rpc, 1) == [sent[k] for k in "BCAD"]
        prices = [hex_int(rpc.receipt(sent[k])["effectiveGasPrice"]) for k in "BCAD"]
        assert prices == sorted(prices, reverse=True)


# -- txpool_* shapes ----------------------------------------------------------------------------


def test_txpool_status_content_inspect_shapes(manual: DevnetServer, rpc: Rpc) -> None:
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert rpc.call("txpool_content") == {"pending": {}, "queued": {}}
    assert rpc.call("txpool_inspect") == {"pending": {}, "queued": {}}
    sent = {}
    for key, (sender, nonce) in {"p00": (0, 0), "p01": (0, 1), "q13": (1, 3), "q03": (0, 3)}.items():
        raw, h = transfer(901, sender, nonce, value=1000 + nonce, to_index=7, tip=GWEI, fee_cap=5 * GWEI)
        rpc.call("eth_sendRawTransaction", raw)
        sent[key] = h
    assert rpc.call("txpool_status") == {"pending": "0x2", "queued": "0x2"}

    content = rpc.call("txpool_content")
    assert set(content) == {"pending", "queued"}
    pending = {k.lower(): v for k, v in content["pending"].items()}
    queued = {k.lower(): v for k, v in content["queued"].items()}
    assert set(pending) == {A0} and set(pending[A0]) == {"0", "1"}
    assert set(queued) == {A0, A1}
    assert set(queued[A0]) == {"3"} and set(queued[A1]) == {"3"}
    tx = pending[A0]["0"]
    assert tx["hash"] == sent["p00"] and tx["nonce"] == "0x0" and tx["from"].lower() == A0
    assert tx["to"].lower() == ADDRS[7].lower() and tx["value"] == hex(1000)
    assert tx["blockNumber"] is None and tx["blockHash"] is None
    assert pending[A0]["1"]["hash"] == sent["p01"]
    assert queued[A0]["3"]["hash"] == sent["q03"] and queued[A1]["3"]["hash"] == sent["q13"]

    inspect = rpc.call("txpool_inspect")
    line = {k.lower(): v for k, v in inspect["pending"].items()}[A0]["1"]
    assert isinstance(line, str)
    assert line.lower().startswith(ADDRS[7].lower() + ": 1001 wei + 21000 gas")
    assert line.endswith(f"{5 * GWEI} wei")
    assert set({k.lower() for k in inspect["queued"]}) == {A0, A1}

    # the other chain's pool is separate
    assert manual.rpc(902).call("txpool_status") == {"pending": "0x0", "queued": "0x0"}

    rpc.call("evm_mine")
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x2"}


# -- dropping -----------------------------------------------------------------------------------


def test_anvil_drop_transaction(rpc: Rpc) -> None:
    raw0, h0 = transfer(901, 0, 0)
    raw1, h1 = transfer(901, 0, 1)
    raw_b, hb = transfer(901, 1, 0)
    for raw in (raw0, raw1, raw_b):
        rpc.call("eth_sendRawTransaction", raw)
    assert rpc.call("txpool_status") == {"pending": "0x3", "queued": "0x0"}

    assert rpc.call("anvil_dropTransaction", hb) == hb
    assert rpc.call("eth_getTransactionByHash", hb) is None
    assert rpc.call("anvil_dropTransaction", hb) is None, "dropping an unknown hash answers null"
    # dropping nonce 0 leaves nonce 1 behind a gap: it becomes queued
    assert rpc.call("anvil_dropTransaction", h0) == h0
    assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    rpc.call("evm_mine")
    assert rpc.receipt(h0) is None and rpc.receipt(hb) is None and rpc.receipt(h1) is None
    assert rpc.nonce(ADDRS[0]) == 0 and rpc.nonce(ADDRS[1]) == 0


def test_anvil_drop_all_transactions(manual: DevnetServer) -> None:
    r901, r902 = manual.rpc(901), manual.rpc(902)
    hashes = []
    for sender, nonce in ((0, 0), (0, 1), (2, 0), (3, 5)):
        raw, h = transfer(901, sender, nonce)
        r901.call("eth_sendRawTransaction", raw)
        hashes.append(h)
    raw902, h902 = transfer(902, 0, 0)
    r902.call("eth_sendRawTransaction", raw902)
    assert r901.call("txpool_status") == {"pending": "0x3", "queued": "0x1"}

    assert r901.call("anvil_dropAllTransactions") is None
    assert r901.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert r901.call("txpool_content") == {"pending": {}, "queued": {}}
    assert all(r901.call("eth_getTransactionByHash", h) is None for h in hashes)
    # pools are per chain: chain 902's transaction is still there
    assert r902.call("txpool_status") == {"pending": "0x1", "queued": "0x0"}
    r901.call("evm_mine")
    assert all(r901.receipt(h) is None for h in hashes)
    assert r902.receipt(h902) is not None
    # the sender can start again from nonce 0
    raw, h = transfer(901, 0, 0, value=5)
    r901.call("eth_sendRawTransaction", raw)
    r901.call("evm_mine")
    assert r901.receipt(h)["status"] == "0x1"
