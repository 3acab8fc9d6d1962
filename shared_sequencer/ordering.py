"""Ordering policies: which ready transaction goes next.

A policy only compares the heads of the senders' nonce queues; the mempool guarantees that a
sender's transactions stay in nonce order. Before each block the builder binds the policy to
the superblock it builds (``bind``: its number and the wall-clock time), so that a policy may
depend on either. A policy may also hold a transaction back (``eligible``); ``release_at`` says
when a held one becomes eligible, so that the mining service can wake then.

- ``fifo``: arrival order.
- ``fees``: highest effective priority tip first, then arrival (anvil's default).
- ``random``: a seeded shuffle per superblock (the same seed gives the same order).
- ``encrypted``: a commit-reveal mempool: commitments only until ordered, arrival order.
- ``express-lane``: rounds of ``round_seconds``; the round's controller's transactions go
  first, at once; everyone else's only ``delay`` seconds after they arrived (Timeboost). The
  controller is set by hand or won in the policy's sealed-bid auction (auction.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from shared_sequencer.auction import Auction, AuctionRules, default_closing


class Orderable(Protocol):
    arrival: int
    received: float  # wall-clock seconds when the pool took it

    @property
    def tip(self) -> int: ...

    @property
    def tx_hash(self) -> bytes: ...

    @property
    def sender(self) -> bytes: ...


@dataclass(frozen=True)
class Round:
    """What the builder knows when it orders a block: the superblock it builds and the time."""

    superblock: int
    now: float


@dataclass(frozen=True)
class OrderingPolicy:
    name: str = "base"
    sealed = False  # True: pending transactions show only a commitment (hash, sender, chain)
    holds = False  # True: ``eligible`` may hold transactions back (``release_at`` says until when)

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        """Smaller keys go first."""
        raise NotImplementedError

    def bind(self, round_: Round) -> OrderingPolicy:
        """This policy for the block of ``round_`` (policies that ignore it return themselves)."""
        return self

    def eligible(self, tx: Orderable) -> bool:
        """Whether ``tx`` may be included now (a bound policy's time)."""
        return True

    def release_at(self, tx: Orderable) -> float | None:
        """When a held ``tx`` becomes eligible (wall-clock seconds); None: never held."""
        return None

    def describe(self) -> dict[str, object]:
        """The policy's name and settings, as xr_getOrdering shows them."""
        return {"policy": self.name}


@dataclass(frozen=True)
class Fifo(OrderingPolicy):
    name: str = "fifo"

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        return (tx.arrival,)


@dataclass(frozen=True)
class Fees(OrderingPolicy):
    """Highest effective priority tip first, then arrival (anvil's default)."""

    name: str = "fees"

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        return (-tx.tip, tx.arrival)


@dataclass(frozen=True)
class Encrypted(OrderingPolicy):
    """A commit-reveal mempool (as Shutter's threshold-encrypted one): until its superblock is
    ordered, a pending transaction shows only its commitment (hash, sender, chain) to every
    read method; the order is fixed on commitments, by arrival, before contents count."""

    name: str = "encrypted"
    sealed = True

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        return (tx.arrival,)


def shuffle_key(seed: int, superblock: int, tx_hash: bytes) -> int:
    """A transaction's place in superblock ``superblock``'s shuffle under ``seed``."""
    material = seed.to_bytes(32, "big", signed=True) + superblock.to_bytes(32, "big") + tx_hash
    return int.from_bytes(hashlib.blake2b(material, digest_size=16).digest(), "big")


@dataclass(frozen=True)
class RandomOrder(OrderingPolicy):
    """A shuffle per superblock, reproducible from ``seed``: the heads go in the order of a
    keyed hash of (seed, superblock number, transaction hash)."""

    name: str = "random"
    seed: int = 0
    superblock: int = 0

    def bind(self, round_: Round) -> OrderingPolicy:
        return dataclasses.replace(self, superblock=round_.superblock)

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        return (shuffle_key(self.seed, self.superblock, tx.tx_hash), tx.arrival)

    def describe(self) -> dict[str, object]:
        return {"policy": self.name, "seed": self.seed}


DEFAULT_ROUND_SECONDS = 60.0
DEFAULT_DELAY_SECONDS = 0.2  # Timeboost's non-express delay
MIN_ROUND_SECONDS = 0.001  # rounds are counted from the epoch: a shorter one overflows the count
MAX_ROUND_SECONDS = 1e9


@dataclass(frozen=True)
class ExpressLane(OrderingPolicy):
    """Timeboost's express lane. Time is cut into rounds of ``round_seconds`` (round n covers
    [n * round_seconds, (n + 1) * round_seconds) of wall-clock time). The controller of a round
    (``controllers``, set with ``set_controller``) has its transactions eligible at once and
    ordered first, by arrival; everyone else's become eligible ``delay`` seconds after they
    arrived and follow by arrival. The ``controllers`` map and the ``auction`` (whose closed
    rounds set controllers) are shared by the bound copies. ``closing``: how long before a
    round its auction closes (None: a quarter of the round, as Timeboost's 15 s of 60 s);
    ``reserve``: the auction's reserve price in wei."""

    holds = True
    name: str = "express-lane"
    round_seconds: float = DEFAULT_ROUND_SECONDS
    delay: float = DEFAULT_DELAY_SECONDS
    closing: float | None = None
    reserve: int = 0
    controllers: dict[int, bytes] = field(default_factory=dict, compare=False)
    auction: Auction = field(default=None, compare=False)  # type: ignore[assignment]  # made in __post_init__
    now: float = 0.0

    def __post_init__(self) -> None:
        if not MIN_ROUND_SECONDS <= self.round_seconds <= MAX_ROUND_SECONDS:
            raise ValueError(f"express-lane round must be from {MIN_ROUND_SECONDS} to {MAX_ROUND_SECONDS:.0f} seconds")
        if self.delay < 0:
            raise ValueError("express-lane delay must not be negative")
        if self.auction is None:
            closing = default_closing(self.round_seconds) if self.closing is None else self.closing
            object.__setattr__(self, "auction", Auction(AuctionRules(self.round_seconds, closing, self.reserve)))

    def round_of(self, when: float) -> int:
        return int(when // self.round_seconds)

    def controller_at(self, when: float) -> bytes | None:
        return self.controllers.get(self.round_of(when))

    def set_controller(self, round_number: int, controller: bytes | None) -> None:
        """Give round ``round_number`` to ``controller`` (None: nobody)."""
        if controller is None:
            self.controllers.pop(round_number, None)
        else:
            self.controllers[round_number] = controller

    def bind(self, round_: Round) -> OrderingPolicy:
        return dataclasses.replace(self, now=round_.now)

    def _express(self, tx: Orderable) -> bool:
        return self.controller_at(self.now) == tx.sender

    def eligible(self, tx: Orderable) -> bool:
        return self._express(tx) or tx.received + self.delay <= self.now

    def release_at(self, tx: Orderable) -> float | None:
        return tx.received + self.delay

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        return (0 if self._express(tx) else 1, tx.arrival)

    def describe(self) -> dict[str, object]:
        rules = self.auction.rules
        return {"policy": self.name, "round": self.round_seconds, "delay": self.delay,
                "auctionClosing": rules.closing, "reservePrice": str(rules.reserve)}


@dataclass(frozen=True)
class PolicySettings:
    """The knobs of the configurable policies (--order-seed, --express-lane.*; the auction's
    ``closing`` and ``reserve`` through xr_setOrdering)."""

    seed: int = 0
    round_seconds: float = DEFAULT_ROUND_SECONDS
    delay: float = DEFAULT_DELAY_SECONDS
    closing: float | None = None
    reserve: int = 0


POLICY_NAMES = ("fifo", "fees", "random", "express-lane", "encrypted")


def policy(name: str, settings: PolicySettings | None = None) -> OrderingPolicy:
    """A fresh policy. Raises ValueError for an unknown policy name or bad settings."""
    s = settings or PolicySettings()
    if name == "fifo":
        return Fifo()
    if name == "fees":
        return Fees()
    if name == "random":
        return RandomOrder(seed=s.seed)
    if name == "encrypted":
        return Encrypted()
    if name == "express-lane":
        return ExpressLane(round_seconds=s.round_seconds, delay=s.delay, closing=s.closing, reserve=s.reserve)
    raise ValueError(f"unknown ordering policy {name!r}; choose one of {', '.join(POLICY_NAMES)}")


@dataclass(frozen=True)
class OrderSpec:
    """``--order``: one policy for every chain, or ``901=fees,902=random`` (chains not named
    take ``default``)."""

    default: str = "fees"
    per_chain: tuple[tuple[int, str], ...] = ()


def parse_order(text: str) -> OrderSpec:
    """``fees`` or ``901=fees,902=random`` (a bare name among the pairs sets the default).
    Raises ValueError."""
    default = "fees"
    per_chain: dict[int, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            raise ValueError(f"empty entry in --order {text!r}")
        if "=" in part:
            cid_text, name = (s.strip() for s in part.split("=", 1))
            try:
                cid = int(cid_text, 0)
            except ValueError:
                raise ValueError(f"--order: {cid_text!r} is not a chain id") from None
            if name not in POLICY_NAMES:
                raise ValueError(f"--order: unknown policy {name!r}; choose one of {', '.join(POLICY_NAMES)}")
            per_chain[cid] = name
        else:
            if part not in POLICY_NAMES:
                raise ValueError(f"--order: unknown policy {part!r}; choose one of {', '.join(POLICY_NAMES)}")
            default = part
    return OrderSpec(default, tuple(sorted(per_chain.items())))


def build_orders(text: str, settings: PolicySettings,
                 chain_ids: tuple[int, ...]) -> tuple[OrderingPolicy, dict[int, OrderingPolicy]]:
    """The devnet-wide policy and the per-chain ones that ``--order`` text names. Chains that
    share a policy name share one policy object (one express-lane controller for them all).
    Raises ValueError (bad text, a chain this devnet does not run)."""
    spec = parse_order(text)
    made: dict[str, OrderingPolicy] = {spec.default: policy(spec.default, settings)}
    per_chain: dict[int, OrderingPolicy] = {}
    for cid, name in spec.per_chain:
        if cid not in chain_ids:
            raise ValueError(f"--order: chain {cid} is not one of this devnet's chains {list(chain_ids)}")
        if name not in made:
            made[name] = policy(name, settings)
        per_chain[cid] = made[name]
    return made[spec.default], per_chain
