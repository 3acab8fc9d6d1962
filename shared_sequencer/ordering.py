"""Ordering policies: which ready transaction goes next.

A policy only compares the heads of the senders' nonce queues; the mempool guarantees that a
sender's transactions stay in nonce order. New policies (sealed-bid batches, a seeded shuffle)
subclass ``OrderingPolicy`` and register in ``POLICIES``; the builder is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Orderable(Protocol):
    arrival: int

    @property
    def tip(self) -> int: ...


@dataclass(frozen=True)
class OrderingPolicy:
    name: str = "base"

    def key(self, tx: Orderable, base_fee: int) -> tuple[int, ...]:
        """Smaller keys go first."""
        raise NotImplementedError


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


POLICIES: dict[str, type[OrderingPolicy]] = {"fifo": Fifo, "fees": Fees}


def policy(name: str) -> OrderingPolicy:
    """Raises ValueError for an unknown policy name."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown ordering policy {name!r}; choose one of {', '.join(POLICIES)}") from None
