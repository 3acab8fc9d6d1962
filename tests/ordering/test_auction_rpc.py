"""The express lane's sealed-bid auction over real JSON-RPC: signed bids for the next round,
nothing of them shown before the close, then the winner's controller sequenced first in the
round it won, and the second price moved from the winner's balance to the coinbase."""

from __future__ import annotations

import json
import time

from eth_account import Account
from eth_account.messages import encode_typed_data

from shared_sequencer.auction import typed_bid
from tests.sequencer.seq_helpers import ADDRS, KEYS, DevnetServer, Rpc, transfer, wait_for

ROUND = 6.0
CLOSING = 2.0
MILLI = 10**15


def bid(chain_id: int, key: int, round_number: int, controller: str, amount: int) -> dict[str, object]:
    signed = Account.sign_message(encode_typed_data(full_message=typed_bid(chain_id, round_number, controller, amount)),
                                  KEYS[key])
    return {"round": hex(round_number), "expressLaneController": controller, "amount": hex(amount),
            "signature": "0x" + signed.signature.hex()}


def open_window(rpc: Rpc, margin: float = 2.5) -> int:
    """Wait until the next round's auction stays open ``margin`` seconds more; its round."""
    def ready() -> int | None:
        state = rpc.call("xr_getExpressLaneAuction")
        window = state["openRound"]
        if window is not None and window["closesAt"] - time.time() >= margin:
            return int(window["round"], 16)
        return None
    return int(wait_for(ready, timeout=3 * ROUND, interval=0.05, what="an open auction"))


def test_sealed_bids_second_price_and_the_winners_lane() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        assert rpc.error("xr_getExpressLaneAuction").code == -32602  # fees orders it: no auction
        rpc.call("xr_setOrdering", {"policy": "express-lane", "round": ROUND, "delay": 0, "closing": CLOSING,
                                    "reservePrice": hex(MILLI)})
        coinbase = rpc.call("eth_coinbase")
        controller = ADDRS[3]  # the winner buys the lane for another address
        round_number = open_window(rpc)
        balances = {k: rpc.balance(ADDRS[k]) for k in (0, 1, 2)}
        coinbase_before = rpc.balance(coinbase)
        amounts = {0: 50 * MILLI, 1: 30 * MILLI, 2: 20 * MILLI}
        for key, amount in amounts.items():
            got = rpc.call("xr_submitExpressLaneBid", bid(901, key, round_number, controller if key == 0 else ADDRS[key],
                                                          amount))
            assert got["bidder"] == ADDRS[key].lower() and int(got["round"], 16) == round_number
        # refused: another round, under the reserve, a bidder who cannot pay, a signature over junk
        assert rpc.error("xr_submitExpressLaneBid", bid(901, 1, round_number + 1, ADDRS[1], 40 * MILLI)).code == -32602
        assert rpc.error("xr_submitExpressLaneBid", bid(901, 1, round_number, ADDRS[1], MILLI - 1)).code == -32602
        broke = Account.create()
        signed = Account.sign_message(encode_typed_data(full_message=typed_bid(901, round_number, broke.address,
                                                                               MILLI)), broke.key)
        err = rpc.error("xr_submitExpressLaneBid", {"round": hex(round_number), "expressLaneController": broke.address,
                                                    "amount": hex(MILLI), "signature": "0x" + signed.signature.hex()})
        assert err.code == -32003 and "insufficient funds" in err.message
        assert rpc.error("xr_submitExpressLaneBid", {"round": hex(round_number), "expressLaneController": ADDRS[1],
                                                     "amount": "0x1", "signature": "0x1234"}).code == -32602
        # before the close nothing of a bid shows
        state = rpc.call("xr_getExpressLaneAuction")
        assert state["rounds"] == [] and int(state["openRound"]["round"], 16) == round_number
        text = json.dumps(state).lower()
        assert not any(str(a) in text or hex(a) in text for a in amounts.values())
        assert not any(ADDRS[k].lower() in text for k in (0, 1, 2))
        # the close: revealed, resolved, charged
        closed = wait_for(lambda: rpc.call("xr_getExpressLaneAuction", "0x385")["rounds"], timeout=3 * ROUND,
                          what="the auction's close")
        (result,) = closed
        assert int(result["round"], 16) == round_number
        assert result["winner"] == ADDRS[0].lower() and result["expressLaneController"] == controller.lower()
        assert result["winningBid"] == str(amounts[0]) and result["price"] == str(amounts[1])
        assert sorted((b["bidder"], b["amount"], b["void"]) for b in result["bids"]) == sorted(
            (ADDRS[k].lower(), str(a), False) for k, a in amounts.items())
        assert balances[0] - rpc.balance(ADDRS[0]) == amounts[1]  # the second price, not its own bid
        assert rpc.balance(ADDRS[1]) == balances[1] and rpc.balance(ADDRS[2]) == balances[2]
        assert rpc.balance(coinbase) - coinbase_before == amounts[1]
        # in the round it won, the controller's transaction goes first though it came last
        wait_for(lambda: int(rpc.call("xr_getExpressLaneAuction")["round"], 16) == round_number, timeout=3 * ROUND,
                 what="the won round")
        assert rpc.call("xr_getExpressLaneAuction")["controller"] == controller.lower()
        other = rpc.call("eth_sendRawTransaction", transfer(901, 4, 0)[0])
        express = rpc.call("eth_sendRawTransaction", transfer(901, 3, 0)[0])
        rpc.call("evm_mine")
        head = rpc.call("eth_getBlockByNumber", "latest", False)
        assert head["transactions"] == [express, other]
