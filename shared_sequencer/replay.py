"""Rebuild chains from the superblock log alone, checking every block hash and state root.

Replay drives the same ``BlockBuilder`` and the same commit path as live sequencing, so a
mismatch means the log or the execution is not what it claims to be. What execution cannot
check (a bundle's legs, a cross-rollup error) must name transactions of the superblock it
comes with; the log's hash chain (``records.py``) covers the rest, edits included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chains.block import BlockEnv, PendingTx, SealedBlock
from chains.builder import build
from chains.deposits import DEPOSIT_TX_TYPE, L1Origin, as_pending, decode_deposit
from chains.errors import XCallFailure, XRollupError
from chains.mailbox import hash_mismatch
from chains.txbuild import BUILDER
from shared_sequencer.log import LogError, _unhex, decode_edit
from shared_sequencer.sequencer import Sequencer


class ReplayMismatch(XRollupError):
    def __init__(self, chain_id: int, number: int, what: str, expected: str, got: str) -> None:
        super().__init__(f"chain {chain_id} block {number}: {what} mismatch: log has {expected}, replay got {got}")
        self.chain_id, self.number = chain_id, number


def replay_superblock(seq: Sequencer, entry: dict[str, Any]) -> None:
    """Build, check and commit one logged superblock. Raises ReplayMismatch."""
    parent, ts = seq.head, int(entry["timestamp"])
    if int(entry["number"]) != parent.number + 1:
        raise ReplayMismatch(0, int(entry["number"]), "superblock number", str(entry["number"]), str(parent.number + 1))
    sealed: dict[int, SealedBlock] = {}
    envs: dict[int, BlockEnv] = {}
    for blk in entry["blocks"]:
        cid = int(blk["chainId"])
        chain = seq.chain(cid)
        origin = L1Origin.from_json(blk["l1Origin"]) if blk.get("l1Origin") is not None else None
        randao = blk.get("prevRandao")
        env = BlockEnv(ts, int(blk["gasLimit"]), _unhex(blk["coinbase"]), blk["baseFee"], origin,
                       prev_randao=_unhex(randao) if randao is not None else None)
        txs = []
        for raw_hex, sender_hex in blk["txs"]:
            raw = _unhex(raw_hex)
            if raw[:1] == bytes((DEPOSIT_TX_TYPE,)):
                deposit = decode_deposit(raw)
                txs.append(as_pending(deposit))
                continue
            tx = BUILDER.decode(raw)
            if sender_hex:
                txs.append(PendingTx(tx, _unhex(sender_hex), impersonated=True))
            else:
                txs.append(PendingTx(tx, bytes(tx.sender)))
        block = build(chain.evm, chain.head.header, chain.head_state_root, env, txs)
        for what, got, want in (("state root", bytes(block.header.state_root), _unhex(blk["stateRoot"])),
                                ("block hash", block.hash, _unhex(blk["hash"]))):
            if got != want:
                raise ReplayMismatch(cid, int(blk["number"]), what, "0x" + want.hex(), "0x" + got.hex())
        sealed[cid], envs[cid] = block, env
    bundles = tuple(_unhex(b) for b in entry.get("bundles", []))
    logged = {_unhex(h): [(int(c), _unhex(t)) for c, t in legs] for h, legs in entry.get("bundleLegs", {}).items()}
    errors = {_unhex(tx_hash): XCallFailure(cid, reason)  # the log keeps what receipts report
              for tx_hash, (cid, reason) in entry.get("xrollupErrors", {}).items()}
    _check_claims(int(entry["number"]), sealed, bundles, logged, errors)
    windows = entry.get("deposits", [])  # absent in logs from before the window records
    _check_windows(int(entry["number"]), sealed, windows)
    seq.xcall_errors.update(errors)
    seq.restore_windows(windows, parent.number + 1, {cid: int(b.header.block_number) for cid, b in sealed.items()})
    superblock = seq.commit(parent.number + 1, ts, parent, sealed, envs, bundles, logged)
    if "0x" + superblock.hash.hex() != entry["hash"]:
        raise ReplayMismatch(0, superblock.number, "superblock hash", entry["hash"], "0x" + superblock.hash.hex())
    if any(block.outcomes for block in sealed.values()):
        # Only the chains in the superblock changed: a pair with an idle chain cannot have
        # moved (a request to it, or a response from it, would have advanced it too).
        mismatch = hash_mismatch({cid: seq.chain(cid).state_at("latest") for cid in sealed})
        if mismatch is not None:
            raise ReplayMismatch(0, superblock.number, "cross-rollup", "outbox == inbox", mismatch)


def _check_claims(number: int, sealed: dict[int, Any], bundles: tuple[bytes, ...],
                  legs: dict[bytes, list[tuple[int, bytes]]], errors: dict[bytes, Any]) -> None:
    """Every bundle leg and cross-rollup error of a logged superblock names a transaction in
    its block. Raises ReplayMismatch."""
    included = {cid: {bytes(o.pending.hash) for o in block.outcomes} for cid, block in sealed.items()}
    for bundle_hash, bundle_legs in legs.items():
        if bundle_hash not in bundles:
            raise ReplayMismatch(0, number, "bundle", "legs of 0x" + bundle_hash.hex(), "no such bundle in it")
        for cid, tx_hash in bundle_legs:
            if tx_hash not in included.get(cid, ()):
                raise ReplayMismatch(cid, number, "bundle leg", "0x" + tx_hash.hex(), "no such transaction in it")
    every = set().union(*included.values())
    for tx_hash in errors:
        if tx_hash not in every:
            raise ReplayMismatch(0, number, "cross-rollup error", "one of 0x" + tx_hash.hex(), "no such transaction")


def _check_windows(number: int, sealed: dict[int, Any], windows: list[dict[str, Any]]) -> None:
    """Every deposit window record of a logged superblock names a deposit transaction in its
    chain's block. Raises ReplayMismatch."""
    for item in windows:
        cid, tx_hash = int(item["chainId"]), _unhex(item["hash"])
        block = sealed.get(cid)
        if block is None or not any(o.pending.hash == tx_hash and getattr(o.pending.tx, "type_id", None) == DEPOSIT_TX_TYPE
                                    for o in block.outcomes):
            raise ReplayMismatch(cid, number, "deposit window", "deposit 0x" + tx_hash.hex(), "no such deposit in it")


def replay(seq: Sequencer, entries: Iterable[dict[str, Any]], progress: Callable[[int], None] | None = None) -> int:
    """Apply logged entries (after the genesis one) to ``seq``. Returns superblocks replayed.
    Raises ReplayMismatch, LogError (an entry of unknown type)."""
    count = 0
    for entry in entries:
        kind = entry.get("t")
        if kind == "superblock":
            replay_superblock(seq, entry)
            count += 1
            if progress is not None:
                progress(count)
        elif kind == "edit":
            seq.edit_state(int(entry["chainId"]), decode_edit(entry))
        elif kind == "reorg":  # its truncation was applied when the log was read
            seq.note_reorg(entry)
        elif kind != "genesis":
            raise LogError(f"unknown log entry type {kind!r}")
    return count
