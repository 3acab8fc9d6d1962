"""Superblocks and the records of the superblock log.

A superblock has a number, a timestamp, a parent hash and, for each chain that advanced in it,
that chain's block (a chain with no work in it does not advance: its head stays in an earlier
superblock). Its hash commits to all of them. A ``SuperblockRecord`` adds what replay needs:
each of those blocks' body (raw transactions, impersonated senders) and the header inputs the
sequencer chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chains.deposits import L1Origin
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

    def to_json(self, full: bool = False, heads: list[ChainBlockRef] | None = None) -> dict[str, Any]:
        """The xr_getSuperblockBy* view: ``blocks`` lists the chains that advanced in it;
        ``heads`` (when given: ``Sequencer.heads_at``) every chain's head as of it."""
        out = {
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
        if heads is not None:
            out["heads"] = [{"chainId": hex(h.chain_id), "number": hex(h.number), "hash": "0x" + h.hash.hex()}
                            for h in heads]
        return out


@dataclass(frozen=True)
class BlockBody:
    """What replay feeds the builder for one chain's block."""

    chain_id: int
    txs: tuple[tuple[bytes, bytes | None], ...]  # (raw tx, impersonated sender or None)
    gas_limit: int
    coinbase: bytes
    base_fee: int | None = None
    l1_origin: L1Origin | None = None  # written into L1Block before the block's transactions
    prev_randao: bytes | None = None  # a forced mixHash (anvil_setNextBlockPrevRandao)


@dataclass(frozen=True)
class SuperblockRecord:
    superblock: SuperBlock
    bodies: tuple[BlockBody, ...] = field(default_factory=tuple)
    bundle_legs: dict[bytes, list[tuple[int, bytes]]] = field(default_factory=dict)  # (chain id, tx hash)
    xcall_errors: dict[bytes, XCallFailure] = field(default_factory=dict)  # by tx hash
    deposits: tuple[dict[str, Any], ...] = ()  # the window records of its deposits (shared_sequencer/window.py)
