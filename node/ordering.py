"""xr_* handlers for ordering: xr_getOrdering, xr_setOrdering, xr_setExpressLane.

Answered the same on every chain's endpoint (the chain is named in the parameters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from backend import Backend
from node.params import address, uint64
from node.views import d, q
from shared_sequencer.ordering import POLICY_NAMES, PolicySettings


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
    """A policy name, or {policy, seed?, round?, delay?} (round and delay in seconds).
    Raises ValueError."""
    if isinstance(value, str):
        value = {"policy": value}
    if not isinstance(value, dict):
        raise ValueError("expected a policy name or {policy, seed?, round?, delay?}")
    name = value.get("policy")
    if name not in POLICY_NAMES:
        raise ValueError(f"policy: expected one of {', '.join(POLICY_NAMES)}")
    defaults = PolicySettings()
    seed = value.get("seed", defaults.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**255:
        raise ValueError("seed: expected a non-negative integer below 2^255")
    round_seconds = _seconds(value.get("round", defaults.round_seconds), "round", positive=True)
    delay = _seconds(value.get("delay", defaults.delay), "delay", positive=False)
    return OrderingRequest(name, PolicySettings(seed, round_seconds, delay))


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


class OrderingApi:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def xr_getOrdering(self) -> dict[str, Any]:
        return self.backend.ordering()

    def xr_setOrdering(self, request: OrderingRequest, chain_id: int | None) -> dict[str, Any]:
        return self.backend.set_ordering(request.name, request.settings, chain_id)

    def xr_setExpressLane(self, who: bytes | None, options: LaneRequest) -> dict[str, Any]:
        grants = self.backend.set_express_lane(who, options.round, options.chain_id)
        return {"controller": d(who) if who is not None else None,
                "rounds": [{"chainId": q(g.chain_id), "round": q(g.round), "start": g.start, "end": g.end}
                           for g in grants]}
