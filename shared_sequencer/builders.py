"""Per-chain values of one superblock (or one simulation), made only for the chains it touches.

A superblock holds a block for each chain that has work in it, so a transaction on one chain
must not pay for a builder (a VM, a state, a header) or an environment on every other chain.
``PerChain`` is the mapping the bundle executor and the cross-rollup planner work on: a chain's
value is made the first time it is read, and ``in`` answers for every chain of the devnet, made
or not (the planner asks it whether a destination exists).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Generic, TypeVar

from chains.block import BlockEnv
from chains.builder import BlockBuilder

T = TypeVar("T")


class PerChain(dict[int, T], Generic[T]):
    """chain id -> value; a missing one is made by ``make`` on first read (KeyError for a
    chain the devnet does not run). Iterating, ``items()`` and ``len`` see only the values
    made so far; ``in`` answers for every chain of the devnet."""

    def __init__(self, chains: Container[int], make: Callable[[int], T], halted: frozenset[int] = frozenset()) -> None:
        """``halted``: chains the sequencer halted (a fault): they exist, but a cross-rollup
        request to one fails (shared_sequencer/xcall.py)."""
        super().__init__()
        self._chains = chains
        self._make = make
        self.halted = halted

    def __missing__(self, chain_id: int) -> T:
        if chain_id not in self._chains:
            raise KeyError(chain_id)
        value = self._make(chain_id)
        self[chain_id] = value
        return value

    def __contains__(self, chain_id: object) -> bool:
        return chain_id in self._chains

    def made(self, chain_id: int) -> bool:
        """Whether ``chain_id``'s value exists yet (``in`` answers for every chain)."""
        return dict.__contains__(self, chain_id)


def halted_of(builders: Mapping[int, object]) -> frozenset[int]:
    """The chains ``builders`` were made with as halted (none for a plain mapping)."""
    return builders.halted if isinstance(builders, PerChain) else frozenset()


Builders = PerChain[BlockBuilder]
Envs = PerChain[BlockEnv]
