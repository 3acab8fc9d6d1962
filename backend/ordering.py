"""Ordering services: the policy each chain's pool is ordered by, switched at run time
(xr_setOrdering), and the express lane's controller (xr_setExpressLane)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.base import SequencerHolder
from chains.errors import InvalidInput
from shared_sequencer.ordering import ExpressLane, PolicySettings, policy


@dataclass(frozen=True)
class LaneGrant:
    """Round ``round`` of chain ``chain_id``'s express lane, [start, end) in wall-clock seconds."""

    chain_id: int
    round: int
    start: float
    end: float


class OrderingServices(SequencerHolder):
    def ordering(self) -> dict[str, object]:
        """The devnet-wide policy and each chain's, as ``describe`` shows them."""
        seq = self.sequencer
        return {"default": seq.order.describe(),
                "chains": {str(cid): seq.order_of(cid).describe() for cid in seq.chains}}

    def set_ordering(self, name: str, settings: PolicySettings, chain_id: int | None) -> dict[str, object]:
        """Order ``chain_id``'s pool (None: every chain's) by a fresh policy ``name``. Raises
        InvalidInput (unknown name, bad settings), UnknownChain."""
        try:
            made = policy(name, settings)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self.sequencer.set_ordering(made, chain_id)
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
