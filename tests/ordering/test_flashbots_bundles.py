"""Flashbots-compatible eth_sendBundle / eth_callBundle, over raw JSON-RPC against the server."""

from __future__ import annotations

from tests.sequencer.seq_helpers import ADDRS, GWEI, DevnetServer, transfer

COINBASE = ADDRS[8]


def test_call_bundle_reports_gas_fees_and_what_reached_the_coinbase() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        rpc.call("anvil_setCoinbase", COINBASE)
        raw0, h0 = transfer(901, 0, 0, value=7, tip=2 * GWEI)
        raw1, h1 = transfer(901, 1, 0, to_index=8, value=10**15, tip=GWEI)  # a direct payment
        head = rpc.height()
        got = rpc.call("eth_callBundle", {"txs": [raw0, raw1], "blockNumber": hex(head + 1),
                                          "stateBlockNumber": "latest"})
        first, second = got["results"]
        assert (first["txHash"], second["txHash"]) == (h0, h1)
        assert first["gasUsed"] == second["gasUsed"] == 21_000 and got["totalGasUsed"] == 42_000
        assert first["gasFees"] == str(21_000 * 2 * GWEI) and second["gasFees"] == str(21_000 * GWEI)
        assert first["coinbaseDiff"] == first["gasFees"] and first["ethSentToCoinbase"] == "0"
        assert second["ethSentToCoinbase"] == str(10**15)
        assert second["coinbaseDiff"] == str(10**15 + 21_000 * GWEI)
        assert first["fromAddress"] == ADDRS[0].lower() and first["toAddress"] == ADDRS[9].lower()
        assert first["value"] == "0x" and first["gasPrice"] == str(2 * GWEI)
        assert got["gasFees"] == str(21_000 * 3 * GWEI)
        assert got["coinbaseDiff"] == str(10**15 + 21_000 * 3 * GWEI)
        assert got["ethSentToCoinbase"] == str(10**15)
        assert got["bundleGasPrice"] == str((10**15 + 21_000 * 3 * GWEI) // 42_000)
        assert got["stateBlockNumber"] == head
        assert got["bundleHash"].startswith("0x") and len(got["bundleHash"]) == 66
        # nothing was committed
        assert rpc.height() == head and rpc.nonce(ADDRS[0]) == 0
        assert rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_send_bundle_lands_in_exactly_its_block() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(902)
        head = rpc.height()
        raw, tx_hash = transfer(902, 2, 0, value=3)
        raw_x, hash_x = transfer(901, 2, 0, value=4)  # a leg on the other chain: atomic with it
        sent = rpc.call("eth_sendBundle", {"txs": [raw, raw_x], "blockNumber": hex(head + 2)})
        assert set(sent) == {"bundleHash"}
        rpc.call("evm_mine")
        assert rpc.receipt(tx_hash) is None  # block head+1 is not its block
        rpc.call("evm_mine")
        receipt = rpc.receipt(tx_hash)
        assert receipt is not None and int(receipt["blockNumber"], 16) == head + 2
        assert server.rpc(901).receipt(hash_x) is not None
        assert rpc.call("xr_getBundleStatus", sent["bundleHash"])["status"] == "included"


def test_send_bundle_under_automine_for_the_next_block_is_mined_at_once() -> None:
    with DevnetServer() as server:
        rpc = server.rpc(901)
        raw, tx_hash = transfer(901, 3, 0)
        rpc.call("eth_sendBundle", {"txs": [raw], "blockNumber": hex(rpc.height() + 1)})
        assert rpc.receipt(tx_hash) is not None


def test_send_bundle_outside_its_timestamps_does_not_land() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        head = rpc.height()
        now = int(rpc.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
        raw, tx_hash = transfer(901, 4, 0)
        sent = rpc.call("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head + 1), "maxTimestamp": now})
        rpc.call("evm_mine")
        assert rpc.receipt(tx_hash) is None
        status = rpc.call("xr_getBundleStatus", sent["bundleHash"])
        assert status["status"] == "failed" and status["error"] == "bundle expired"
        raw, tx_hash = transfer(901, 5, 0)
        rpc.call("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head + 2), "minTimestamp": now + 10**6})
        rpc.call("evm_mine")
        assert rpc.receipt(tx_hash) is None


def test_bundle_bad_input_is_invalid_params() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        raw, _ = transfer(901, 0, 0)
        head = rpc.height()
        for method, params in [
            ("eth_sendBundle", {"txs": [raw]}),
            ("eth_sendBundle", {"txs": [], "blockNumber": hex(head + 1)}),
            ("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head)}),  # already built
            ("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head + 1), "minTimestamp": 5, "maxTimestamp": 4}),
            ("eth_sendBundle", {"txs": ["0x12"], "blockNumber": hex(head + 1)}),
            ("eth_callBundle", {"txs": [raw], "blockNumber": hex(head + 1), "stateBlockNumber": "0x999"}),
            ("eth_callBundle", "nope"),
        ]:
            err = rpc.error(method, params)
            assert err.code in (-32602, -32000, -32003), (method, params, err)


def test_block_number_is_the_chains_own_when_other_chains_advance_alone() -> None:
    """Superblocks that hold only chain 902 do not bring chain 901's target block nearer: the
    bundle lands in 901's block ``head + 2``, whatever superblock builds it."""
    with DevnetServer() as server:  # automine: a superblock holds only the chains with work
        a, b = server.rpc(901), server.rpc(902)
        head = a.height()
        raw, tx_hash = transfer(901, 6, 0, value=5)
        sent = a.call("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head + 2)})
        for nonce in range(3):  # three superblocks in which 901 does not advance
            other, other_hash = transfer(902, 7, nonce)
            b.call("eth_sendRawTransaction", other)
            assert b.receipt(other_hash) is not None
        assert a.height() == head and a.receipt(tx_hash) is None
        assert a.call("xr_getBundleStatus", sent["bundleHash"])["status"] == "pending"
        first, h1 = transfer(901, 7, 0)
        a.call("eth_sendRawTransaction", first)  # 901's block head+1: not the bundle's
        assert int(a.receipt(h1)["blockNumber"], 16) == head + 1 and a.receipt(tx_hash) is None
        second, _ = transfer(902, 7, 3)
        b.call("eth_sendRawTransaction", second)  # the next superblock: 901's next block is head+2
        receipt = a.receipt(tx_hash)
        assert receipt is not None and int(receipt["blockNumber"], 16) == head + 2
        status = a.call("xr_getBundleStatus", sent["bundleHash"])
        assert status["status"] == "included"
        assert [(leg["chainId"], leg["blockNumber"]) for leg in status["legs"]] == [(901, head + 2)]


def test_a_bundle_is_dropped_once_its_chain_has_passed_the_block() -> None:
    with DevnetServer(no_mining=True) as server:
        a, b = server.rpc(901), server.rpc(902)
        head = a.height()
        now = int(a.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
        raw, tx_hash = transfer(901, 6, 0)
        # too early for block head+1, and block head+1 is its only block
        sent = a.call("eth_sendBundle", {"txs": [raw], "blockNumber": hex(head + 1), "minTimestamp": now + 10**6})
        a.call("evm_mine")
        assert a.height() == head + 1 and a.receipt(tx_hash) is None
        assert a.call("xr_getBundleStatus", sent["bundleHash"])["status"] == "pending"
        b.call("evm_mine")  # the next superblock: 901 has passed its block
        status = a.call("xr_getBundleStatus", sent["bundleHash"])
        assert status["status"] == "failed" and status["error"] == "bundle expired"
        assert a.receipt(tx_hash) is None and a.nonce(ADDRS[6]) == 0
