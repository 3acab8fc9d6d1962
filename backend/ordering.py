"""Ordering services: the policy each chain's pool is ordered by, switched at run time
(xr_setOrdering), the express lane's controller (xr_setExpressLane) and its sealed-bid
auction (xr_submitExpressLaneBid, xr_getExpressLaneAuction).

The auction of a round closes on a timer on the server's event loop (and, to the same effect,
whenever the auction is read or bid on): the winner becomes the round's controller and pays
the second price, moved by the sequencer from its balance to the coinbase on the chain it bid
on (a logged state edit, as anvil_setBalance's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.base import SequencerHolder
from chains.errors import InvalidInput, TransactionRejected
from chains.rollup import StateEdit
from shared_sequencer.auction import Bid, BidRefused, RoundResult, recover_bidder
from shared_sequencer.ordering import ExpressLane, PolicySettings, policy

CLOSE_SLACK = 0.01  # the close timer fires this long after the close


@dataclass(frozen=True)
class LaneGrant:
    """Round ``round`` of chain ``chain_id``'s express lane, [start, end) in wall-clock seconds."""

    chain_id: int
    round: int
    start: float
    end: float


class OrderingServices(SequencerHolder):
    settled: Callable[[], Awaitable[None]]

    def ordering(self) -> dict[str, object]:
        """The devnet-wide policy and each chain's, as ``describe`` shows them."""
        seq = self.sequencer
        return {"default": seq.order.describe(),
                "chains": {str(cid): seq.order_of(cid).describe() for cid in seq.chains}}

    async def set_ordering(self, name: str, settings: PolicySettings, chain_id: int | None) -> dict[str, object]:
        """Order ``chain_id``'s pool (None: every chain's) by a fresh policy ``name``; answers
        once automine has mined what the old policy held back. Raises InvalidInput (unknown
        name, bad settings), UnknownChain."""
        try:
            made = policy(name, settings)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self.sequencer.set_ordering(made, chain_id)
        await self.settled()
        return self.ordering()

    def set_express_lane(self, controller: bytes | None, round_number: int | None,
                         chain_id: int | None) -> list[LaneGrant]:
        """Make ``controller`` the express-lane controller of a round (None: the current one).
        Raises InvalidInput when no chain concerned is ordered by express-lane, UnknownChain."""
        grants = []
        for cid, number in self.sequencer.set_express_lane(controller, round_number, chain_id):
            order = self.sequencer.order_of(cid)
            assert isinstance(order, ExpressLane)
            grants.append(LaneGrant(cid, number, number * order.round_seconds, (number + 1) * order.round_seconds))
        return grants

    # -- the express lane's auction (shared_sequencer/auction.py) ---------------------------

    def express_lane_of(self, chain_id: int) -> ExpressLane:
        """The express-lane policy ordering ``chain_id``. Raises InvalidInput when another
        policy orders it, UnknownChain."""
        order = self.sequencer.order_of(self.chain(chain_id).chain_id)
        if not isinstance(order, ExpressLane):
            raise InvalidInput(f"chain {chain_id} is not ordered by express-lane (set it with xr_setOrdering)")
        return order

    def _lanes(self) -> list[ExpressLane]:
        seen: dict[int, ExpressLane] = {}
        for cid in self.sequencer.chains:
            order = self.sequencer.order_of(cid)
            if isinstance(order, ExpressLane):
                seen.setdefault(id(order), order)
        return list(seen.values())

    def _funds(self, bid: Bid) -> int:
        return self.chain(bid.chain_id).head_account(bid.bidder)[1]

    def settle_auctions(self, now: float | None = None) -> list[RoundResult]:
        """Close every auction due by ``now`` (default: the wall clock): its winner controls
        the round and pays the second price to the coinbase. Returns the rounds closed."""
        when = time.time() if now is None else now
        done = []
        for lane in self._lanes():
            for number in lane.auction.due(when):
                result = lane.auction.close(number, self._funds)
                if result.winner is not None:
                    lane.set_controller(number, result.winner.controller)
                    self._charge(result.winner, result.price)
                done.append(result)
        return done

    def _charge(self, winner: Bid, price: int) -> None:
        """Move ``price`` wei from the winner's balance to the coinbase on its chain."""
        if price == 0:
            return
        seq = self.sequencer
        balance = self._funds(winner)
        seq.edit_state(winner.chain_id, StateEdit("balance", winner.bidder, balance - price))
        coinbase = seq.coinbase
        credit = self.chain(winner.chain_id).head_account(coinbase)[1]
        seq.edit_state(winner.chain_id, StateEdit("balance", coinbase, credit + price))

    def submit_bid(self, chain_id: int, round_number: int, controller: bytes, amount: int,
                   signature: bytes) -> Bid:
        """Seal a signed bid for ``round_number`` of ``chain_id``'s express lane, paid on
        ``chain_id``; it closes on a timer. Raises InvalidInput (not express-lane, a bad
        signature, a round not open for bids, under the reserve), TransactionRejected (the
        bidder cannot pay the amount), UnknownChain."""
        self.settle_auctions()
        lane = self.express_lane_of(chain_id)
        try:
            bidder = recover_bidder(chain_id, round_number, controller, amount, signature)
        except BidRefused as exc:
            raise InvalidInput(str(exc)) from None
        if self.chain(chain_id).head_account(bidder)[1] < amount:
            raise TransactionRejected("insufficient funds for bid")
        now = time.time()
        try:
            bid = lane.auction.submit(chain_id, round_number, controller, bidder, amount, now)
        except BidRefused as exc:
            raise InvalidInput(str(exc)) from None
        closes = lane.auction.rules.closes_at(round_number)
        asyncio.get_running_loop().call_later(max(closes - now, 0) + CLOSE_SLACK, self.settle_auctions)
        return bid

    def express_lane_auction(self, chain_id: int) -> tuple[ExpressLane, float]:
        """``chain_id``'s express-lane policy, its auctions closed up to now, and now. Raises
        InvalidInput when another policy orders it, UnknownChain."""
        self.settle_auctions()
        return self.express_lane_of(chain_id), time.time()
