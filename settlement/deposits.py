"""Deposits: an L1 block's TransactionDeposited logs from the rollups' portals, as OP deposit
transactions (type 0x7E, chains/deposits.py) for the rollups, and the L1 origin each rollup's
next block records.

After each L1 block the settlement layer hands the sequencer every deposit of that block at
once, with the block as L1 origin (``Sequencer.submit_deposits``): each lands on its rollup in the
first superblock after the L1 block that holds it, deposits to several rollups in one superblock.
A log the portal did not emit, or one op-node would refuse, is no deposit; nor is one asking
for more gas than its rollup's block holds (it could never be included).

The queue of deposits waiting for their rollup lives in memory only. When the settlement layer
attaches to an L1 that already has blocks (a restart from --state-dir, anvil_loadState), or to
rollups loaded from a dump, ``waiting_deposits`` reads the L1's portal logs for those no rollup
block includes yet and the sequencer queues them again (``Sequencer.restore_deposits``), each
with its own L1 block: its deadline is the one it had, and one whose deadline the L1 passed
goes in at once, by force.

Derivation checks the rebuilt rollups against the same logs (``check_deposits``): every deposit
transaction in them stands for a portal log of the L1, on that rollup, in the L1's order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from chains.deposits import DEPOSIT_TX_TYPE, TRANSACTION_DEPOSITED, Deposit, L1Origin, deposit_from_log
from chains.errors import InvalidInput, XRollupError
from chains.rollup import MinedBlock, RollupChain
from settlement.contracts import portal_address
from shared_sequencer.seq_settlement import WaitingDeposit, origin_number_at
from shared_sequencer.sequencer import Sequencer

log = logging.getLogger("xrollup.settlement")


@dataclass(frozen=True)
class PortalLog:
    """A log of an L1 block, as derivation reads it from any source."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    log_index: int  # among all the logs of its block


def portals(rollup_ids: Iterable[int]) -> dict[bytes, int]:
    """Each rollup's portal address -> the rollup's chain id."""
    return {portal_address(cid): cid for cid in rollup_ids}


def deposits_in(logs: Iterable[PortalLog], by_portal: dict[bytes, int]) -> dict[int, list[Deposit]]:
    """The deposits ``logs`` stand for, per rollup, in log order; logs of other contracts or
    events, and deposit logs op-node would refuse, are skipped."""
    out: dict[int, list[Deposit]] = {}
    for entry in logs:
        cid = by_portal.get(entry.address)
        if cid is None or not entry.topics or entry.topics[0] != TRANSACTION_DEPOSITED:
            continue
        try:
            deposit = deposit_from_log(entry.topics, entry.data, entry.block_hash, entry.log_index)
        except InvalidInput as exc:
            log.warning("L1 block %d log %d: not a deposit: %s", entry.block_number, entry.log_index, exc)
            continue
        out.setdefault(cid, []).append(deposit)
    return out


def block_logs(block: MinedBlock) -> list[PortalLog]:
    return [PortalLog(r.address, r.topics, r.data, block.number, block.hash, r.log_index) for r in block.logs]


def origin_of(block: MinedBlock) -> L1Origin:
    """The L1 origin a rollup block after ``block`` records in L1Block."""
    header = block.header
    return L1Origin(block.number, int(header.timestamp), int(header.base_fee_per_gas or 0), block.hash)


def submit_block_deposits(seq: Sequencer, block: MinedBlock) -> None:
    """Hand ``seq`` the deposits of L1 block ``block`` and the block as every rollup's next L1
    origin."""
    found = deposits_in(block_logs(block), portals(seq.chains))
    queued: dict[int, list[Deposit]] = {}
    for cid, chain in seq.chains.items():
        fitting = []
        for deposit in found.get(cid, []):
            if deposit.gas > chain.config.gas_limit:
                log.warning("L1 block %d: deposit 0x%s to chain %d asks for %d gas, more than its blocks hold",
                            block.number, deposit.hash.hex(), cid, deposit.gas)
            else:
                fitting.append(deposit)
        queued[cid] = fitting
    try:
        seq.submit_deposits(queued, origin_of(block))
    except XRollupError as exc:  # nothing was queued
        log.warning("L1 block %d: its deposits could not be queued: %s", block.number, exc)
        return
    for cid, deposits in queued.items():  # supersim's line, in the rollup's log
        for deposit in deposits:
            logging.getLogger(f"xrollup.chain.{cid}").info(
                "OptimismPortal#depositTransaction chain.id=%d l2TxHash=0x%s", cid, deposit.hash.hex())


def rollup_head_at(chain: RollupChain, l1_block: int) -> int:
    """``chain``'s head when L1 block ``l1_block`` came: its last block whose L1 origin is an
    earlier L1 block (the first block after an L1 block takes it as origin; the origins of a
    chain's blocks never go down while it follows one L1)."""
    low, high = 0, chain.height  # block ``low`` is before it (genesis holds no origin)
    if origin_number_at(chain, high) < l1_block:
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if origin_number_at(chain, middle) < l1_block:
            low = middle
        else:
            high = middle
    return low


def waiting_deposits(seq: Sequencer, l1: RollupChain) -> dict[int, list[WaitingDeposit]]:
    """The deposits of ``l1``'s blocks that no rollup of ``seq`` includes or queues, per
    rollup, in L1 order, each with its L1 block as origin and the rollup's head when it came.
    A deposit asking for more gas than its rollup's blocks hold is left out (it never waited:
    ``submit_block_deposits``)."""
    by_portal = portals(seq.chains)
    out: dict[int, list[WaitingDeposit]] = {}
    heads: dict[tuple[int, int], int] = {}
    for block in l1.blocks:
        found = deposits_in(block_logs(block), by_portal)
        for cid, deposits in found.items():
            chain = seq.chains[cid]
            queued = {p.hash for p in seq.deposits.get(cid, [])}
            for deposit in deposits:
                if deposit.hash in chain.tx_by_hash or deposit.hash in queued or deposit.gas > chain.config.gas_limit:
                    continue
                if (cid, block.number) not in heads:
                    heads[cid, block.number] = rollup_head_at(chain, block.number)
                out.setdefault(cid, []).append(WaitingDeposit(deposit, origin_of(block), heads[cid, block.number]))
    return out


def requeue_waiting(seq: Sequencer, l1: RollupChain) -> None:
    """Hand ``seq`` again the deposits of ``l1`` no rollup includes yet (``waiting_deposits``),
    with ``l1``'s head as the last L1 block built."""
    waiting = waiting_deposits(seq, l1)
    if not waiting:
        return
    try:
        queued = seq.restore_deposits(waiting, l1.height)
    except XRollupError as exc:  # nothing was queued
        log.warning("the deposits waiting on the L1 could not be queued again: %s", exc)
        return
    for cid, hashes in queued.items():
        log.info("chain %d: %d deposit(s) from the L1 queued again: %s", cid, len(hashes),
                 ", ".join("0x" + h.hex() for h in hashes))


@dataclass
class DepositCheck:
    """What ``check_deposits`` found: deposits on the L1, those the rollups include, and what
    is wrong (a deposit with no portal log behind it, deposits out of the L1's order)."""

    on_l1: int = 0
    included: int = 0
    problems: list[str] = field(default_factory=list)


def check_deposits(chains: dict[int, RollupChain], expected: dict[int, list[Deposit]]) -> DepositCheck:
    """Every deposit transaction in ``chains`` is one of ``expected`` (each rollup's deposits
    from the L1's portal logs, in L1 order) for that chain, and each chain includes them in
    that order (a deposit may still wait: after the last batch, or refused for its gas)."""
    out = DepositCheck(on_l1=sum(len(v) for v in expected.values()))
    for cid, chain in chains.items():
        position = {d.hash: index for index, d in enumerate(expected.get(cid, []))}
        last = -1
        for block in chain.blocks:
            for tx in block.txs:
                if getattr(tx.outcome.pending.tx, "type_id", None) != DEPOSIT_TX_TYPE:
                    continue
                index = position.get(tx.hash)
                if index is None:
                    out.problems.append(f"chain {cid} block {block.number}: deposit 0x{tx.hash.hex()} stands for no "
                                        "TransactionDeposited log of its portal on the L1")
                    continue
                if index <= last:
                    out.problems.append(f"chain {cid} block {block.number}: deposit 0x{tx.hash.hex()} is out of "
                                        "the L1's order")
                last = max(last, index)
                out.included += 1
    return out
