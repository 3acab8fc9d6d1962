"""Per-chain values of one superblock (or one simulation), made only for the chains it touches.

A superblock holds a block for each chain that has work in it, so a transaction on one chain
must not pay for a builder (a VM, a state, a header) or an environment on every other chain.
``PerChain`` is the mapping the bundle executor and the cross-rollup planner work on: a chain's
value is made the first time it is read, and ``in`` answers for every chain of the devnet, made
or not (the planner asks it whether a destination exists).

``Build`` and ``Built`` are a superblock before and after it is built (``Sequencer.prepare``,
``build``, ``commit_built``): the mining service builds a long one in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from chains.block import BlockEnv, SealedBlock
from chains.builder import BlockBuilder
from shared_sequencer.budget import Budget
from shared_sequencer.mempool import Mempool
from shared_sequencer.superblock import SuperBlock

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


@dataclass
class Build:
    """What one superblock is built from (``Sequencer.prepare``): its number, timestamp and
    parent, each chain's environment, the pools it takes from, every chain's head (hash,
    state root), the forced next timestamp, base fee and prevRandao, and the active fault
    modes when it was prepared, the budget it runs under (None: no limit), the transactions
    it leaves out (deferred), the chains halted (they never advance), and, for a build off
    the event loop, the builders made beforehand and the transactions it found invalid."""

    number: int
    timestamp: int
    parent: SuperBlock
    envs: Envs
    chains: Collection[int] | None
    pools: dict[int, Mempool]
    heads: dict[int, tuple[bytes, bytes]] | None  # None: built and committed in one go, on the loop
    overrides: tuple[int | None, int | None, bytes | None]
    budget: Budget | None = None
    deferred: set[bytes] = field(default_factory=set)
    builders: Builders | None = None
    halted: frozenset[int] = frozenset()
    faults: frozenset[int] = frozenset()  # the active fault modes' ids
    # Found invalid by a build off the loop that then had nothing to commit: the loop
    # removes them from the pools (``Sequencer.drop_invalid``).
    invalid: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass
class Built:
    """A built superblock, not committed yet: one sealed block per advancing chain, the
    builders (their warm databases go to the chains), the bundles included and the
    transactions found invalid at inclusion."""

    build: Build
    sealed: dict[int, SealedBlock]
    builders: Builders
    bundles: tuple[bytes, ...]
    dropped: list[tuple[int, bytes]]
