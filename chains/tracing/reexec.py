"""Blocks to re-execute, and the re-execution itself.

A committed transaction keeps only a frozen summary of its computation, so a trace runs the
transaction again: a fresh ``BlockBuilder`` on the state the block was built on, in the
block's own environment, applies the block's earlier transactions, then the traced one with a
recorder installed. The re-executed receipt is checked against the mined one (status and gas).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, ComputationAPI, StateAPI

from chains.block import BlockEnv, PendingTx, TxOutcome
from chains.builder import BlockBuilder
from chains.errors import XRollupError
from chains.mailbox import is_execute_log_of
from chains.rollup import MinedBlock, RollupChain
from chains.tracing.recorder import Recorder


class TraceDiverged(XRollupError):
    """Re-execution did not reproduce the mined receipt (a bug; never expected)."""


Log = tuple[bytes, tuple[bytes, ...], bytes]


@dataclass
class BlockView:
    """A block to re-execute: a mined one, or a simulated one (debug_traceCall with
    cross-rollup calls). ``expected`` holds each transaction's (success, gas used)."""

    chain: RollupChain
    number: int
    parent: BlockHeaderAPI
    base_state_root: bytes
    env: BlockEnv
    txs: list[PendingTx]
    logs: list[list[Log]]
    expected: list[tuple[bool, int]]
    simulated: bool = False

    @classmethod
    def mined(cls, chain: RollupChain, block: MinedBlock) -> BlockView:
        h = block.header
        env = BlockEnv(int(h.timestamp), int(h.gas_limit), bytes(h.coinbase), int(h.base_fee_per_gas or 0),
                       prev_randao=bytes(h.mix_hash))
        return cls(
            chain, block.number, chain.blocks[block.number - 1].header, block.sealed.base_state_root, env,
            [t.outcome.pending for t in block.txs],
            [[(lg.address, lg.topics, lg.data) for lg in t.logs] for t in block.txs],
            [(t.outcome.success, t.outcome.gas_used) for t in block.txs],
        )

    @classmethod
    def from_outcomes(cls, chain: RollupChain, env: BlockEnv, outcomes: Sequence[TxOutcome]) -> BlockView:
        """The block a builder on ``chain``'s head would seal from ``outcomes``."""
        logs = [[(bytes(e.address), tuple(int(t).to_bytes(32, "big") for t in e.topics), bytes(e.data))
                 for e in o.receipt.logs] for o in outcomes]
        return cls(chain, chain.height + 1, chain.head.header, chain.head_state_root, env,
                   [o.pending for o in outcomes], logs, [(o.success, o.gas_used) for o in outcomes], simulated=True)

    def find_execute(self, req_id: bytes) -> int | None:
        """The index of the transaction whose Mailbox.execute served request ``req_id``."""
        for index, logs in enumerate(self.logs):
            for address, topics, _data in logs:
                if is_execute_log_of(address, topics, req_id):
                    return index
        return None


@dataclass
class Run:
    """One re-executed transaction: its live outcome and what its recorder saw."""

    view: BlockView
    index: int
    outcome: TxOutcome
    recorder: Recorder
    pre: StateAPI | None  # the state before it (prestateTracer)
    post: StateAPI | None  # after it

    @property
    def computation(self) -> ComputationAPI:
        return self.outcome.computation


def replay(view: BlockView, indexes: Sequence[int], make_recorder: Callable[[int], Recorder]) -> list[Run]:
    """Re-execute ``view`` up to its last wanted transaction, tracing those in ``indexes``."""
    wanted = sorted(set(indexes))
    builder = BlockBuilder(view.chain.evm, view.parent, view.base_state_root, view.env)
    builder.fast_transfers = False  # the recorder watches py-evm's computation
    runs: list[Run] = []
    for index, pending in enumerate(view.txs[: wanted[-1] + 1] if wanted else []):
        if index not in wanted:
            builder.apply(pending)
            continue
        recorder = make_recorder(index)
        pre = builder.fork().vm.state if recorder.accesses else None
        state = builder.vm.state
        with recorder.installed(state):
            outcome = builder.apply(pending)
        success, gas = view.expected[index]
        if outcome.success != success or outcome.gas_used != gas:
            raise TraceDiverged(
                f"re-execution of tx {index} of block {view.number} on chain {view.chain.chain_id} diverged: "
                f"success {outcome.success} gas {outcome.gas_used}, mined success {success} gas {gas}")
        runs.append(Run(view, index, outcome, recorder, pre, state if recorder.accesses else None))
    return runs


ViewResolver = Callable[[int, int, int], BlockView | None]
"""(source chain, its block number, destination chain) -> the destination's block in the same
superblock, to look for a cross-rollup request's execution in; None if it has none there."""
