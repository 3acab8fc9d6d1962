"""Forced inclusion: deposits are the rollups' escape hatch, and the sequencing window is its law.

Before each L1 block is built, ``enforce`` makes the rollups' sequencer include every deposit
whose deadline (its L1 block + ``--sequencing-window``) is that block, if it still waits
(``Sequencer.enforce_window``; shared_sequencer/window.py): in superblocks of deposits alone,
whether the sequencer is down, censors or halts the chain. The batcher posts them in the same
L1 block, so the rollups' safe head moves on from the L1 and replay from the L1 rebuilds them.

``forced_inclusion`` answers ``xr_getForcedInclusion``: for an L1 transaction, each deposit it
made, when it came, its deadline, where and how it was included, and the *hand-off*: what the
rollup's other transactions did, between the deposit's L1 block and its inclusion, to the
accounts and storage slots the deposit touches (what a sequencer that front-runs an escape does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chains.deposits import TRANSACTION_DEPOSITED, Deposit, deposit_from_log
from chains.errors import InvalidInput
from chains.rollup import MinedBlock, RollupChain
from chains.tracing import TraceOptions
from chains.tracing.tracer import Tracer
from settlement.contracts import portal_address
from settlement.l1 import L1Sequencer
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.window import Included, Submitted

MAX_BLOCKS = 256  # rollup blocks the hand-off looks through
MAX_HANDOFF = 100  # transactions it lists
PRESTATE = TraceOptions(tracer="prestateTracer", disable_code=True)
DIFF = TraceOptions(tracer="prestateTracer", diff_mode=True, disable_code=True)


def enforce(seq: Sequencer, l1: L1Sequencer) -> None:
    """L1 block ``l1.head.number + 1`` is about to be built: include what is overdue."""
    seq.enforce_window(l1.head.number + 1)


@dataclass(frozen=True)
class L1Deposit:
    chain_id: int
    deposit: Deposit
    l1_block: int


def deposits_of(l1: RollupChain, rollups: Mapping[int, RollupChain], tx_hash: bytes) -> list[L1Deposit] | None:
    """The deposits L1 transaction ``tx_hash`` made through the rollups' portals, in log order;
    None when the L1 has no such transaction."""
    mined = l1.tx_by_hash.get(tx_hash)
    if mined is None:
        return None
    portals = {portal_address(cid): cid for cid in rollups}
    out = []
    for log in mined.logs:
        cid = portals.get(log.address)
        if cid is None or not log.topics or log.topics[0] != TRANSACTION_DEPOSITED:
            continue
        try:
            deposit = deposit_from_log(log.topics, log.data, mined.block_hash, log.log_index)
        except InvalidInput:
            continue
        out.append(L1Deposit(cid, deposit, mined.block_number))
    return out


def _touched(trace: Any) -> dict[bytes, set[int]]:
    """Accounts and storage slots of a (non-diff) prestate trace."""
    return {bytes.fromhex(a[2:]): {int(s, 16) for s in acct.get("storage", {})} for a, acct in trace.items()}


def _restrict(diff: dict[str, Any], accounts: Mapping[bytes, set[int]]) -> dict[str, Any]:
    """A diff-mode prestate trace cut down to ``accounts`` (and, of their storage, the slots named)."""
    out: dict[str, Any] = {}
    for side in ("pre", "post"):
        part: dict[str, Any] = {}
        for address, acct in diff.get(side, {}).items():
            slots = accounts.get(bytes.fromhex(address[2:]))
            if slots is None:
                continue
            kept = {k: v for k, v in acct.items() if k != "storage"}
            storage = {s: v for s, v in acct.get("storage", {}).items() if int(s, 16) in slots}
            if storage:
                kept["storage"] = storage
            if kept:
                part[address] = kept
        out[side] = part
    return out


def _addr(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def handoff(tracer: Tracer, chain: RollupChain, first: int, last: int, skip: bytes,
            watch: Mapping[bytes, set[int]], stop_at: bytes | None) -> tuple[list[dict[str, Any]], bool]:
    """The transactions of ``chain``'s blocks ``first``..``last`` (up to ``stop_at``, not
    included) other than ``skip`` that touched an account of ``watch`` (any of its slots named
    there, or the account's balance, nonce or code): hash, block, from, to, what they touched of
    ``watch`` and their effects on it (prestateTracer diff). Returns them and whether the list
    was cut (``MAX_BLOCKS``, ``MAX_HANDOFF``)."""
    out: list[dict[str, Any]] = []
    cut = last - first + 1 > MAX_BLOCKS
    for number in range(first, min(last, first + MAX_BLOCKS - 1) + 1):
        block: MinedBlock = chain.blocks[number]
        if not block.txs:
            continue
        plain = tracer.trace_block(chain.chain_id, number, PRESTATE)
        diffs = tracer.trace_block(chain.chain_id, number, DIFF)
        for tx, touched, diff in zip(block.txs, plain, diffs, strict=True):
            if tx.hash == stop_at:
                return out, cut
            if tx.hash == skip:
                continue
            common: dict[bytes, set[int]] = {}
            for address, slots in _touched(touched["result"]).items():
                if address in watch:
                    common[address] = slots & watch[address] if watch[address] else set()
            if not common:
                continue
            if len(out) == MAX_HANDOFF:
                return out, True
            pending = tx.outcome.pending
            out.append({
                "hash": "0x" + tx.hash.hex(), "block": number, "from": _addr(pending.sender),
                "to": _addr(bytes(pending.tx.to) if pending.tx.to else None),
                "touched": {_addr(a): sorted(hex(s) for s in slots) for a, slots in common.items()},
                "effects": _restrict(diff["result"], {a: watch[a] or set() for a in common}),
            })
    return out, cut


def report(tracer: Tracer, seq: Sequencer, item: L1Deposit) -> dict[str, Any]:
    """One deposit's entry of xr_getForcedInclusion (the README documents the shape)."""
    deposit, cid = item.deposit, item.chain_id
    chain = seq.chains[cid]
    submitted: Submitted | None = seq.windows.submitted.get(deposit.hash)
    included: Included | None = seq.windows.included.get(deposit.hash)
    mined = chain.tx_by_hash.get(deposit.hash)
    deadline = submitted.deadline if submitted is not None else item.l1_block + seq.windows.window
    if mined is not None:
        status = "included"
        how = None if included is None else ("force" if included.forced else "sequencer")
    else:
        status = "waiting" if submitted is not None else "unknown"
        how = None
    watch: dict[bytes, set[int]] = {deposit.sender: set()}
    if deposit.to is not None:
        watch[deposit.to] = set()
    if mined is not None:
        traced = tracer.trace_transaction(cid, deposit.hash, PRESTATE)
        watch = {a: s or set() for a, s in _touched(traced).items()}
        watch.setdefault(deposit.sender, set())
        coinbase = bytes(chain.blocks[mined.block_number].header.coinbase)
        if coinbase not in (deposit.sender, deposit.to):  # every transaction pays it: no hand-off
            watch.pop(coinbase, None)
    first = submitted.rollup_head + 1 if submitted is not None else (mined.block_number if mined else chain.height + 1)
    last = mined.block_number if mined is not None else chain.height
    between, cut = handoff(tracer, chain, first, last, deposit.hash, watch, deposit.hash if mined else None)
    return {
        "chainId": cid,
        "depositHash": "0x" + deposit.hash.hex(),
        "from": _addr(deposit.sender),
        "to": _addr(deposit.to),
        "l1Block": item.l1_block,
        "deadline": deadline,
        "window": seq.windows.window,
        "status": status,
        "includedBy": how,
        "rollupBlock": None if mined is None else mined.block_number,
        "superblock": None if mined is None else seq.superblock_of(cid, mined.block_number).number,
        "l1HeadAtInclusion": None if included is None else included.l1_head,
        "touched": {_addr(a): sorted(hex(s) for s in slots) for a, slots in watch.items()},
        "handoff": between,
        "handoffTruncated": cut,
    }
