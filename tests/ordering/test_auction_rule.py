"""The express lane's sealed-bid second-price rule (shared_sequencer/auction.py), as properties
over random sets of bids and random times, and the bid's EIP-712 signature against eth-account's
own typed-data encoding."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_sequencer.auction import (
    Auction,
    AuctionRules,
    Bid,
    BidRefused,
    bid_digest,
    recover_bidder,
    resolve,
    typed_bid,
)
from tests.sequencer.seq_helpers import ADDRS, KEYS

BIDDERS = [bytes([i + 1]) * 20 for i in range(6)]
ROUND = 7
CLOSED_AT = 100.0

# per bid: (bidder index, amount, what the bidder can pay)
bid_specs = st.lists(st.tuples(st.integers(0, len(BIDDERS) - 1), st.integers(0, 50), st.integers(0, 60)),
                     max_size=8)


def bids_of(specs: list[tuple[int, int, int]]) -> tuple[list[Bid], dict[Bid, int]]:
    bids, funds = [], {}
    for arrival, (who, amount, can_pay) in enumerate(specs, start=1):
        bid = Bid(901, ROUND, BIDDERS[who], BIDDERS[who], amount, arrival)
        bids.append(bid)
        funds[bid] = can_pay
    return bids, funds


@settings(max_examples=300, deadline=None)
@given(specs=bid_specs, reserve=st.integers(0, 20))
def test_highest_valid_bid_wins_and_pays_the_second_price(specs: list[tuple[int, int, int]], reserve: int) -> None:
    bids, funds = bids_of(specs)
    result = resolve(ROUND, CLOSED_AT, bids, reserve, funds.__getitem__)
    valid = [b for b in bids if reserve <= b.amount <= funds[b]]
    assert set(result.void) == set(bids) - set(valid)
    assert sorted(result.bids, key=lambda b: b.arrival) == bids  # every bid is revealed at the close
    if not valid:
        assert result.winner is None and result.price == 0
        return
    winner = result.winner
    assert winner is not None and winner in valid
    top = max(b.amount for b in valid)
    assert winner.amount == top
    assert winner.arrival == min(b.arrival for b in valid if b.amount == top)  # the earlier bid on a tie
    others = sorted((b.amount for b in valid if b is not winner), reverse=True)
    assert result.price == (others[0] if others else reserve)
    assert reserve <= result.price <= winner.amount <= funds[winner]  # never pays more than it bid or has


@settings(max_examples=200, deadline=None)
@given(specs=bid_specs.filter(lambda s: len(s) >= 1), raise_by=st.integers(1, 40))
def test_the_winners_own_amount_never_sets_its_price(specs: list[tuple[int, int, int]], raise_by: int) -> None:
    bids, funds = bids_of(specs)
    result = resolve(ROUND, CLOSED_AT, bids, 0, funds.__getitem__)
    if result.winner is None:
        return
    higher = Bid(901, ROUND, result.winner.controller, result.winner.bidder, result.winner.amount + raise_by,
                 result.winner.arrival)
    funds[higher] = higher.amount
    again = resolve(ROUND, CLOSED_AT, [higher if b is result.winner else b for b in bids], 0, funds.__getitem__)
    assert again.winner == higher and again.price == result.price


@settings(max_examples=300, deadline=None)
@given(round_seconds=st.sampled_from([1.0, 3.0, 60.0]), closing_share=st.floats(0, 0.9),
       now=st.floats(0, 10**6), offset=st.integers(-2, 3))
def test_only_the_next_round_takes_bids_until_its_close(round_seconds: float, closing_share: float, now: float,
                                                         offset: int) -> None:
    rules = AuctionRules(round_seconds, closing_share * round_seconds)
    auction = Auction(rules)
    current = int(now // round_seconds)
    open_round = rules.open_round(now)
    assert open_round in (None, current + 1)
    assert (open_round is None) == (now >= rules.closes_at(current + 1))
    target = current + 1 + offset
    if target == open_round:
        bid = auction.submit(901, target, BIDDERS[0], BIDDERS[0], 5, now)
        assert auction.sealed == {target: {BIDDERS[0]: bid}}
    else:
        with pytest.raises(BidRefused):
            auction.submit(901, target, BIDDERS[0], BIDDERS[0], 5, now)
        assert not auction.sealed


@settings(max_examples=200, deadline=None)
@given(specs=bid_specs.filter(bool), times=st.lists(st.floats(0, 0.74), min_size=1, max_size=8),
       look=st.floats(0, 3))
def test_bids_stay_sealed_until_the_close(specs: list[tuple[int, int, int]], times: list[float], look: float) -> None:
    rules = AuctionRules(1.0, 0.25)
    auction = Auction(rules)
    for (who, amount, _), t in zip(specs, times * len(specs), strict=False):
        auction.submit(901, 1, BIDDERS[who], BIDDERS[who], amount, t)
    bidders = {BIDDERS[who] for who, _, _ in specs}
    assert set(auction.sealed[1]) == bidders  # one bid per bidder: its latest
    due = auction.due(look)
    if look < rules.closes_at(1):
        assert due == [] and auction.closed == {}
    else:
        assert due == [1]
        result = auction.close(1, lambda b: 10**6)
        assert auction.closed == {1: result} and auction.sealed == {}
        latest = {BIDDERS[who]: amount for who, amount, _ in specs}
        assert {(b.bidder, b.amount) for b in result.bids} == set(latest.items())
        assert result.winner is not None and result.winner.amount == max(latest.values())


def test_the_signature_is_eip712_as_wallets_sign_it() -> None:
    controller = ADDRS[3]
    typed = typed_bid(902, 12, controller, 5 * 10**17)
    signable = encode_typed_data(full_message=typed)
    signed = Account.sign_message(signable, KEYS[1])
    digest = bid_digest(902, 12, bytes.fromhex(controller[2:]), 5 * 10**17)
    assert signed.message_hash == digest
    bidder = recover_bidder(902, 12, bytes.fromhex(controller[2:]), 5 * 10**17, signed.signature)
    assert bidder == bytes.fromhex(ADDRS[1][2:])
    # the same signature over another amount, round or chain names someone else
    assert recover_bidder(902, 12, bytes.fromhex(controller[2:]), 6 * 10**17, signed.signature) != bidder
    assert recover_bidder(901, 12, bytes.fromhex(controller[2:]), 5 * 10**17, signed.signature) != bidder
    with pytest.raises(BidRefused):
        recover_bidder(902, 12, bytes.fromhex(controller[2:]), 1, b"\x01" * 64)


def test_rules_refuse_a_closing_as_long_as_the_round() -> None:
    with pytest.raises(ValueError):
        AuctionRules(10.0, 10.0)
    with pytest.raises(ValueError):
        AuctionRules(10.0, -1.0)
