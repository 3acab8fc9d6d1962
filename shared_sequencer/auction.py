"""The express lane's sealed-bid auction (Arbitrum Timeboost's shape).

Time is cut into the express lane's rounds (round n covers [n * R, (n + 1) * R) of wall-clock
time). During round n the auction for round n + 1 is open; it closes ``closing`` seconds
before round n + 1 starts. A bid is signed (EIP-712, ``Bid(uint64 round,address
expressLaneController,uint256 amount)`` under the domain ``xrollup express lane``, version 1,
the chain id the bidder pays on) and stays sealed until its round's auction closes: nobody
reads it before. At the close, bids whose bidder cannot pay their amount are void; the highest
remaining amount wins (the earlier bid on a tie), its controller controls round n + 1, and the
bidder pays the second-highest amount (the reserve price when it bid alone).

Plain functions over small dataclasses; ``Auction`` keeps the sealed bids and the closed
rounds. Nothing here touches chain state: whoever closes a round charges the winner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak

DOMAIN_NAME = "xrollup express lane"
DOMAIN_VERSION = "1"
BID_TYPE = "Bid(uint64 round,address expressLaneController,uint256 amount)"
_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
MAX_AMOUNT = 2**256 - 1


class BidRefused(ValueError):
    """A bid the auction does not take: a round not open for bids, under the reserve price, a
    bad signature."""


@dataclass(frozen=True)
class AuctionRules:
    """``round_seconds``: the express lane's round; ``closing``: how long before a round starts
    its auction closes; ``reserve``: the least a bid may offer (wei)."""

    round_seconds: float
    closing: float
    reserve: int = 0

    def __post_init__(self) -> None:
        if self.round_seconds <= 0:
            raise ValueError("express-lane round must be a positive number of seconds")
        if not 0 <= self.closing < self.round_seconds:
            raise ValueError("auction closing must be at least 0 and less than a round")
        if not 0 <= self.reserve <= MAX_AMOUNT:
            raise ValueError("reserve price must be a uint256")

    def starts_at(self, round_number: int) -> float:
        return round_number * self.round_seconds

    def closes_at(self, round_number: int) -> float:
        """When the auction for ``round_number`` closes."""
        return self.starts_at(round_number) - self.closing

    def open_round(self, now: float) -> int | None:
        """The round whose auction takes bids at ``now`` (the next one), or None between the
        close and the start of the next round."""
        upcoming = math.floor(now / self.round_seconds) + 1
        return upcoming if now < self.closes_at(upcoming) else None


def default_closing(round_seconds: float) -> float:
    """Timeboost closes 15 s before a 60 s round: a quarter of the round."""
    return round_seconds / 4


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def bid_digest(chain_id: int, round_number: int, controller: bytes, amount: int) -> bytes:
    """The EIP-712 digest a bidder signs (eth_signTypedData_v4 of the typed data that
    ``typed_bid`` gives)."""
    domain = keccak(keccak(_DOMAIN_TYPE.encode()) + keccak(DOMAIN_NAME.encode()) + keccak(DOMAIN_VERSION.encode())
                    + _word(chain_id))
    struct = keccak(keccak(BID_TYPE.encode()) + _word(round_number) + b"\x00" * 12 + controller + _word(amount))
    return keccak(b"\x19\x01" + domain + struct)


def typed_bid(chain_id: int, round_number: int, controller: str, amount: int) -> dict[str, object]:
    """The bid as EIP-712 typed data (what a wallet signs with eth_signTypedData_v4)."""
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}],
            "Bid": [{"name": "round", "type": "uint64"}, {"name": "expressLaneController", "type": "address"},
                    {"name": "amount", "type": "uint256"}],
        },
        "primaryType": "Bid",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "message": {"round": round_number, "expressLaneController": controller, "amount": amount},
    }


def recover_bidder(chain_id: int, round_number: int, controller: bytes, amount: int, signature: bytes) -> bytes:
    """The address that signed the bid. Raises BidRefused for a malformed signature."""
    if len(signature) != 65:
        raise BidRefused("signature: expected 65 bytes (r, s, v)")
    v = signature[64]
    v = v - 27 if v >= 27 else v
    if v not in (0, 1):
        raise BidRefused("signature: v must be 27 or 28 (or 0 or 1)")
    try:
        sig = keys.Signature(signature[:64] + bytes([v]))
        public = sig.recover_public_key_from_msg_hash(bid_digest(chain_id, round_number, controller, amount))
    except (BadSignature, ValidationError) as exc:
        raise BidRefused(f"signature: {exc}") from None
    return bytes(public.to_canonical_address())


@dataclass(frozen=True)
class Bid:
    """A signed bid: ``bidder`` (who signed and pays, on ``chain_id``) offers ``amount`` wei for
    round ``round`` on behalf of ``controller``. ``arrival`` orders bids of equal amounts."""

    chain_id: int
    round: int
    controller: bytes
    bidder: bytes
    amount: int
    arrival: int


@dataclass(frozen=True)
class RoundResult:
    """A closed auction: the winning bid (None: no valid bid), the price it pays, and every
    bid, revealed now, with the void ones (their bidder could not pay)."""

    round: int
    closed_at: float
    winner: Bid | None
    price: int
    bids: tuple[Bid, ...]
    void: tuple[Bid, ...] = ()


def resolve(round_number: int, closed_at: float, bids: Iterable[Bid], reserve: int,
            funds: Callable[[Bid], int]) -> RoundResult:
    """The sealed-bid second-price rule. Bids under ``reserve`` or above what their bidder can
    pay (``funds``) are void; the highest valid amount wins, the earliest on a tie; it pays the
    second-highest valid amount, or ``reserve`` when it is the only valid bid."""
    every = tuple(sorted(bids, key=lambda b: b.arrival))
    valid = [b for b in every if reserve <= b.amount <= funds(b)]
    void = tuple(b for b in every if b not in valid)
    if not valid:
        return RoundResult(round_number, closed_at, None, 0, every, void)
    ranked = sorted(valid, key=lambda b: (-b.amount, b.arrival))
    price = ranked[1].amount if len(ranked) > 1 else reserve
    return RoundResult(round_number, closed_at, ranked[0], price, every, void)


@dataclass
class Auction:
    """The sealed bids of the open rounds and the results of the closed ones."""

    rules: AuctionRules
    sealed: dict[int, dict[bytes, Bid]] = field(default_factory=dict)  # round -> bidder -> its latest bid
    closed: dict[int, RoundResult] = field(default_factory=dict)
    _arrivals: int = 0

    def submit(self, chain_id: int, round_number: int, controller: bytes, bidder: bytes, amount: int,
               now: float) -> Bid:
        """Seal a bid for ``round_number`` (a bidder's later bid for a round replaces its
        earlier one). Raises BidRefused: the round's auction is not open at ``now``, or the
        amount is under the reserve price."""
        open_round = self.rules.open_round(now)
        if round_number != open_round:
            which = f"round {open_round}" if open_round is not None else "no round (the next one's auction has closed)"
            raise BidRefused(f"round {round_number} is not open for bids; {which} is")
        if amount < self.rules.reserve:
            raise BidRefused(f"amount {amount} is under the reserve price {self.rules.reserve}")
        self._arrivals += 1
        bid = Bid(chain_id, round_number, controller, bidder, amount, self._arrivals)
        self.sealed.setdefault(round_number, {})[bidder] = bid
        return bid

    def due(self, now: float) -> list[int]:
        """The rounds with sealed bids whose auction has closed by ``now``, oldest first."""
        return sorted(r for r in self.sealed if self.rules.closes_at(r) <= now)

    def close(self, round_number: int, funds: Callable[[Bid], int]) -> RoundResult:
        """Close ``round_number``'s auction (one of ``due``): reveal its bids and resolve them."""
        bids = self.sealed.pop(round_number, {}).values()
        result = resolve(round_number, self.rules.closes_at(round_number), bids, self.rules.reserve, funds)
        self.closed[round_number] = result
        return result

    def next_close(self) -> float | None:
        """When the earliest auction holding sealed bids closes (None: no sealed bid)."""
        return min((self.rules.closes_at(r) for r in self.sealed), default=None)
