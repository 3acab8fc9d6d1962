"""Superblocks and the records of the superblock log.

A superblock has a number, a timestamp, a parent hash and, per chain, that chain's block.
Its hash commits to all of them. A ``SuperblockRecord`` adds what replay needs: every chain's
block body (raw transactions, impersonated senders) and the header inputs the sequencer chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chains.engine import rlpfast
from chains.engine.hashing import keccak
from chains.errors import XCallFailure


@dataclass(frozen=True)
class ChainBlockRef:
    chain_id: int
    number: int
    hash: bytes
    state_root: bytes
    tx_hashes: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class SuperBlock:
    number: int
    timestamp: int
    parent_hash: bytes
    blocks: tuple[ChainBlockRef, ...]
    bundles: tuple[bytes, ...] = ()

    @cached_property
    def hash(self) -> bytes:
        """Computed once: a superblock is immutable, and the hash is read on every commit,
        every parent link and every RPC view."""
        refs = [(b.chain_id, b.hash, b.state_root) for b in self.blocks]
        return keccak(rlpfast.encode([self.number, self.parent_hash, self.timestamp, refs, list(self.bundles)]))

    def block_of(self, chain_id: int) -> ChainBlockRef:
        for ref in self.blocks:
            if ref.chain_id == chain_id:
                return ref
        raise KeyError(chain_id)

    def to_json(self, full: bool = False) -> dict[str, Any]:
        return {
            "number": hex(self.number),
            "hash": "0x" + self.hash.hex(),
            "parentHash": "0x" + self.parent_hash.hex(),
            "timestamp": hex(self.timestamp),
            "bundles": ["0x" + b.hex() for b in self.bundles],
            "blocks": [
                {
                    "chainId": hex(b.chain_id),
                    "number": hex(b.number),
                    "hash": "0x" + b.hash.hex(),
                    "stateRoot": "0x" + b.state_root.hex(),
                    "transactionCount": hex(len(b.tx_hashes)),
                    **({"transactions": ["0x" + h.hex() for h in b.tx_hashes]} if full else {}),
                }
                for b in self.blocks
            ],
        }


@dataclass(frozen=True)
class BlockBody:
    """What replay feeds the builder for one chain's block."""

    chain_id: int
    txs: tuple[tuple[bytes, bytes | None], ...]  # (raw tx, impersonated sender or None)
    gas_limit: int
    coinbase: bytes
    base_fee: int | None = None


@dataclass(frozen=True)
class SuperblockRecord:
    superblock: SuperBlock
    bodies: tuple[BlockBody, ...] = field(default_factory=tuple)
    bundle_legs: dict[bytes, list[tuple[int, bytes]]] = field(default_factory=dict)  # (chain id, tx hash)
    xcall_errors: dict[bytes, XCallFailure] = field(default_factory=dict)  # by tx hash
