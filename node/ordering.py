"""xr_* handlers for ordering: xr_getOrdering, xr_setOrdering, xr_setExpressLane, and the
express lane's sealed-bid auction: xr_submitExpressLaneBid, xr_getExpressLaneAuction.

Answered the same on every chain's endpoint (the chain is named in the parameters; the
auction's methods default to the endpoint's chain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from backend import Backend
from node.params import address, data, quantity, uint64
from node.views import d, q
from shared_sequencer.auction import Bid, RoundResult
from shared_sequencer.ordering import POLICY_NAMES, ExpressLane, PolicySettings


@dataclass(frozen=True)
class OrderingRequest:
    name: str
    settings: PolicySettings


def _seconds(value: Any, what: str, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what}: expected a number of seconds")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{what}: must be {'positive' if positive else 'non-negative'}")
    return float(value)


def ordering_param(value: Any) -> OrderingRequest:
    """A policy name, or {policy, seed?, round?, delay?, closing?, reservePrice?} (round, delay
    and the auction's closing in seconds, the reserve price in wei). Raises ValueError."""
    field = "" if isinstance(value, str) else "policy: "  # the parameter itself, or its field
    if isinstance(value, str):
        value = {"policy": value}
    if not isinstance(value, dict):
        raise ValueError("expected a policy name or {policy, seed?, round?, delay?}")
    name = value.get("policy")
    if name not in POLICY_NAMES:
        raise ValueError(f"{field}expected one of {', '.join(POLICY_NAMES)}, got {name!r}")
    defaults = PolicySettings()
    seed = value.get("seed", defaults.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**255:
        raise ValueError("seed: expected a non-negative integer below 2^255")
    round_seconds = _seconds(value.get("round", defaults.round_seconds), "round", positive=True)
    delay = _seconds(value.get("delay", defaults.delay), "delay", positive=False)
    closing = None if value.get("closing") is None else _seconds(value["closing"], "closing", positive=False)
    if closing is not None and closing >= round_seconds:
        raise ValueError("closing: must be less than a round")
    try:
        reserve = quantity(value.get("reservePrice", 0))
    except ValueError as exc:
        raise ValueError(f"reservePrice: {exc}") from None
    return OrderingRequest(name, PolicySettings(seed, round_seconds, delay, closing, reserve))


@dataclass(frozen=True)
class LaneRequest:
    round: int | None
    chain_id: int | None


def lane_options(value: Any) -> LaneRequest:
    """{round?, chainId?}: which round (default: the current one) of which chain (default:
    every chain ordered by express-lane). Raises ValueError."""
    if value is None:
        return LaneRequest(None, None)
    if not isinstance(value, dict):
        raise ValueError("expected {round?, chainId?}")
    number = uint64(value["round"]) if value.get("round") is not None else None
    chain = uint64(value["chainId"]) if value.get("chainId") is not None else None
    return LaneRequest(number, chain)


def opt_chain(value: Any) -> int | None:
    """A chain id, or null for every chain. Raises ValueError."""
    return None if value is None else uint64(value)


def controller(value: Any) -> bytes | None:
    """An address, or null (or nothing) for nobody. Raises ValueError."""
    return None if value is None else bytes(address(value))


@dataclass(frozen=True)
class BidRequest:
    round: int
    controller: bytes
    amount: int
    signature: bytes
    chain_id: int | None


def _field(value: dict[str, Any], key: str, parse: Any) -> Any:
    if value.get(key) is None:
        raise ValueError(f"{key}: required")
    try:
        return parse(value[key])
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def bid_param(value: Any) -> BidRequest:
    """{round, expressLaneController, amount, signature, chainId?}: the EIP-712 signature of
    Bid(round, expressLaneController, amount) under the chain's domain. Raises ValueError."""
    if not isinstance(value, dict):
        raise ValueError("expected a bid {round, expressLaneController, amount, signature, chainId?}")
    return BidRequest(_field(value, "round", uint64), bytes(_field(value, "expressLaneController", address)),
                      _field(value, "amount", quantity), _field(value, "signature", data),
                      None if value.get("chainId") is None else _field(value, "chainId", uint64))


def bid_json(bid: Bid) -> dict[str, Any]:
    return {"chainId": q(bid.chain_id), "bidder": d(bid.bidder), "expressLaneController": d(bid.controller),
            "amount": str(bid.amount)}


def round_json(result: RoundResult, lane: ExpressLane) -> dict[str, Any]:
    winner = result.winner
    return {
        "round": q(result.round), "start": result.round * lane.round_seconds,
        "end": (result.round + 1) * lane.round_seconds, "closedAt": result.closed_at,
        "winner": d(winner.bidder) if winner is not None else None,
        "expressLaneController": d(winner.controller) if winner is not None else None,
        "winningBid": str(winner.amount) if winner is not None else None,
        "price": str(result.price),
        "bids": [{**bid_json(b), "void": b in result.void} for b in result.bids],
    }


class OrderingApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    def xr_getOrdering(self) -> dict[str, Any]:
        return self.backend.ordering()

    async def xr_setOrdering(self, request: OrderingRequest, chain_id: int | None) -> dict[str, Any]:
        return await self.backend.set_ordering(request.name, request.settings, chain_id)

    def xr_setExpressLane(self, who: bytes | None, options: LaneRequest) -> dict[str, Any]:
        grants = self.backend.set_express_lane(who, options.round, options.chain_id)
        return {"controller": d(who) if who is not None else None,
                "rounds": [{"chainId": q(g.chain_id), "round": q(g.round), "start": g.start, "end": g.end}
                           for g in grants]}

    async def xr_submitExpressLaneBid(self, bid: BidRequest) -> dict[str, Any]:
        chain_id = self.chain_id if bid.chain_id is None else bid.chain_id
        sealed = self.backend.submit_bid(chain_id, bid.round, bid.controller, bid.amount, bid.signature)
        lane = self.backend.express_lane_of(chain_id)
        return {"round": q(sealed.round), "bidder": d(sealed.bidder),
                "closesAt": lane.auction.rules.closes_at(sealed.round)}

    def xr_getExpressLaneAuction(self, chain_id: int | None) -> dict[str, Any]:
        cid = self.chain_id if chain_id is None else chain_id
        lane, now = self.backend.express_lane_auction(cid)
        rules = lane.auction.rules
        current = lane.round_of(now)
        open_round = rules.open_round(now)
        controller = lane.controller_at(now)
        return {
            "chainId": q(cid), "roundSeconds": lane.round_seconds, "closing": rules.closing,
            "reservePrice": str(rules.reserve), "now": now, "round": q(current),
            "controller": d(controller) if controller is not None else None,
            "openRound": None if open_round is None else {"round": q(open_round),
                                                          "closesAt": rules.closes_at(open_round)},
            "rounds": [round_json(r, lane) for _, r in sorted(lane.auction.closed.items())],
        }
