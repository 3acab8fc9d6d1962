"""Ordering policies over real JSON-RPC: --order per chain, xr_setOrdering at run time, the
random policy's seed, and the express lane under automine (held, then mined by the service)."""

from __future__ import annotations

import time

from tests.sequencer.seq_helpers import ADDRS, DevnetServer, Rpc, transfer, wait_for


def block_hashes(rpc: Rpc, number: int) -> list[str]:
    return rpc.call("eth_getBlockByNumber", hex(number), False)["transactions"]


def send_from_many(rpc: Rpc, chain_id: int, senders: range) -> list[str]:
    return [rpc.call("eth_sendRawTransaction", transfer(chain_id, k, 0)[0]) for k in senders]


def test_order_flag_per_chain_and_xr_get_ordering() -> None:
    with DevnetServer(no_mining=True, order="901=fifo,902=random", order_seed=7) as server:
        got = server.rpc(901).call("xr_getOrdering")
        assert got["default"] == {"policy": "fees"}
        assert got["chains"] == {"901": {"policy": "fifo"}, "902": {"policy": "random", "seed": 7}}


def test_random_order_is_reproducible_with_the_seed_and_keeps_nonce_order() -> None:
    orders = []
    for _ in range(2):
        with DevnetServer(no_mining=True, order="random", order_seed=42) as server:
            rpc = server.rpc(901)
            sent = send_from_many(rpc, 901, range(6))
            follow = rpc.call("eth_sendRawTransaction", transfer(901, 0, 1)[0])
            rpc.call("evm_mine")
            mined = block_hashes(rpc, 1)
            assert sorted(mined) == sorted([*sent, follow])
            assert mined.index(sent[0]) < mined.index(follow)  # the sender's nonce order holds
            orders.append(mined)
    assert orders[0] == orders[1]


def test_xr_set_ordering_switches_at_run_time() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(902)  # any endpoint sets any chain's policy
        # under fees the higher tip goes first; under fifo the earlier arrival
        assert rpc.call("xr_setOrdering", "fifo", "0x385") == {
            "default": {"policy": "fees"}, "chains": {"901": {"policy": "fifo"}, "902": {"policy": "fees"}}}
        r901 = server.rpc(901)
        low = r901.call("eth_sendRawTransaction", transfer(901, 0, 0, tip=1)[0])
        high = r901.call("eth_sendRawTransaction", transfer(901, 1, 0, tip=10**9 * 5)[0])
        rpc.call("evm_mine")
        assert block_hashes(r901, 1) == [low, high]
        assert rpc.call("xr_setOrdering", "fees", None)["chains"]["901"] == {"policy": "fees"}
        low = r901.call("eth_sendRawTransaction", transfer(901, 2, 0, tip=1)[0])
        high = r901.call("eth_sendRawTransaction", transfer(901, 3, 0, tip=10**9 * 5)[0])
        rpc.call("evm_mine")
        assert block_hashes(r901, 2) == [high, low]


def test_xr_set_ordering_rejects_bad_input_with_invalid_params() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        for params in (["nonsense"], [{"policy": "random", "seed": -1}], [{"policy": "express-lane", "round": 0}],
                       [7], ["fifo", "0xzz"]):
            err = rpc.error("xr_setOrdering", *params)
            assert err.code == -32602, (params, err)
        err = rpc.error("xr_setOrdering", "fifo", "0x1")
        assert err.code != -32603
        err = rpc.error("xr_setExpressLane", ADDRS[0])  # nobody is ordered by express-lane
        assert err.code in (-32602, -32000) and "express-lane" in err.message


def test_express_lane_controller_at_once_others_after_the_delay_under_automine() -> None:
    delay = 3.0  # long enough that a loaded machine still asks for the receipts within it
    with DevnetServer(order="express-lane", express_lane_delay=delay, express_lane_round=3600.0) as server:
        rpc = server.rpc(901)
        granted = rpc.call("xr_setExpressLane", ADDRS[0])
        assert granted["controller"] == ADDRS[0].lower()
        assert [r["chainId"] for r in granted["rounds"]] == ["0x385", "0x386"]
        sent_at = time.monotonic()
        other = rpc.call("eth_sendRawTransaction", transfer(901, 1, 0)[0])
        express = rpc.call("eth_sendRawTransaction", transfer(901, 0, 0)[0])
        assert rpc.receipt(express) is not None  # sequenced at once
        assert rpc.receipt(other) is None  # held for the delay
        receipt = wait_for(lambda: rpc.receipt(other), timeout=15, what="the delayed transaction")
        assert time.monotonic() - sent_at >= delay - 0.05
        assert int(receipt["blockNumber"], 16) > int(rpc.receipt(express)["blockNumber"], 16)
        # the controller gives the lane up: its next transaction waits like everyone's
        rpc.call("xr_setExpressLane", None)
        later = rpc.call("eth_sendRawTransaction", transfer(901, 0, 1)[0])
        assert rpc.receipt(later) is None
        wait_for(lambda: rpc.receipt(later), timeout=15, what="the former controller's transaction")


def test_cli_order_flags_reach_the_configuration() -> None:
    import pytest

    from xrollup.cli import config_from_args, parser

    args = parser().parse_args(["--order", "901=express-lane,902=random", "--order-seed", "9",
                                "--express-lane.round", "30", "--express-lane.delay", "0.5"])
    cfg = config_from_args(args)
    assert (cfg.order, cfg.order_seed, cfg.express_lane_round, cfg.express_lane_delay) == (
        "901=express-lane,902=random", 9, 30.0, 0.5)
    for bad in (["--order", "sideways"], ["--order", "901=sideways"], ["--order", "x=fees"],
                ["--express-lane.round", "0"], ["--express-lane.delay", "-1"]):
        with pytest.raises(SystemExit):
            parser().parse_args(bad)
    with pytest.raises(ValueError, match="not one of this devnet's chains"):
        config_from_args(parser().parse_args(["--order", "999=fees"]))


def test_express_lane_mines_every_held_transaction_of_a_concurrent_burst() -> None:
    """Transactions held a moment apart become eligible a moment apart: the mining service
    must come back for each, not only for those eligible when it woke (a burst used to leave
    some pooled for good, with nothing left to wake the service)."""
    import threading

    with DevnetServer(order="express-lane", express_lane_delay=0.2, express_lane_round=3600.0) as server:
        clients = {k: server.rpc(901 + k % 2) for k in range(8)}
        for nonce in range(6):
            sent: dict[int, str] = {}

            def send(key: int, nonce: int = nonce, sent: dict[int, str] = sent) -> None:
                sent[key] = clients[key].call("eth_sendRawTransaction", transfer(901 + key % 2, key, nonce)[0])

            threads = [threading.Thread(target=send, args=(k,)) for k in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for key, tx_hash in sent.items():
                wait_for(lambda key=key, tx_hash=tx_hash: clients[key].receipt(tx_hash), timeout=15,
                         what=f"round {nonce}: sender {key}'s held transaction")
