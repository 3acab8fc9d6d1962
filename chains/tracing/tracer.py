"""The entry points: debug_traceTransaction, debug_traceBlock*, debug_traceCall over a
devnet's chains, and the shaping of each tracer's result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eth.abc import ComputationAPI
from eth.exceptions import Revert

from chains.block import BlockEnv, PendingTx
from chains.builder import BlockBuilder
from chains.errors import XRollupError
from chains.rollup import BlockRef, CallMessage, ReadPoint, RollupChain
from chains.tracing.calltrace import CallFrames
from chains.tracing.options import TraceOptions
from chains.tracing.prestate import access_list_of, prestate_json, snapshot_accounts, touched_with
from chains.tracing.recorder import Recorder
from chains.tracing.reexec import BlockView, Run, ViewResolver, replay

Locate = Callable[[int, int, int], int | None]
"""(source chain, its block number, destination chain) -> the destination's block number in the
same superblock, or None."""


class TransactionNotFound(XRollupError):
    """debug_trace* of a hash that names no mined transaction of the chain."""


class Tracer:
    """Traces over a devnet's chains (a mapping chain id -> RollupChain)."""

    def __init__(self, chains: Mapping[int, RollupChain], locate: Locate | None = None) -> None:
        """``locate``: (source chain, its block number, destination chain) -> the destination's
        block number in the same superblock, or None if it has none there (by default, the
        same number)."""
        self.chains = chains
        self.locate = locate if locate is not None else (lambda _src, number, _dst: number)

    def _mined_view(self, src: int, src_number: int, chain_id: int) -> BlockView | None:
        chain = self.chains.get(chain_id)
        number = self.locate(src, src_number, chain_id)
        if chain is None or number is None or not 0 < number < len(chain.blocks):
            return None
        return BlockView.mined(chain, chain.blocks[number])

    # -- entry points -------------------------------------------------------------------------

    def trace_transaction(self, chain_id: int, tx_hash: bytes, options: TraceOptions) -> Any:
        chain = self.chains[chain_id]
        mined = chain.tx_by_hash.get(tx_hash)
        if mined is None:
            raise TransactionNotFound(f"transaction 0x{tx_hash.hex()} not found")
        view = BlockView.mined(chain, chain.blocks[mined.block_number])
        return self.trace_in_view(view, mined.index, options, self._mined_view)

    def trace_block(self, chain_id: int, ref: BlockRef, options: TraceOptions) -> list[dict[str, Any]]:
        """debug_traceBlockByNumber/Hash: [{txHash, result}] in one pass over the block."""
        chain = self.chains[chain_id]
        block = chain.block(ref)
        if block.number == 0 or not block.txs:
            return []
        view = BlockView.mined(chain, block)
        runs = replay(view, range(len(view.txs)), lambda _i: Recorder(chain_id, options))
        return [{"txHash": "0x" + view.txs[r.index].hash.hex(), "result": self.result(r, self._mined_view)}
                for r in runs]

    def trace_in_view(self, view: BlockView, index: int, options: TraceOptions, resolve: ViewResolver,
                      seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        (run,) = replay(view, [index], lambda _i: Recorder(view.chain.chain_id, options))
        return self.result(run, resolve, seen | {(view.chain.chain_id, view.number, index)})

    def trace_call(self, chain_id: int, msg: CallMessage, ref: BlockRef | ReadPoint, options: TraceOptions) -> Any:
        """debug_traceCall on the state after block ``ref``, in that block's context (as
        eth_call). Cross-rollup requests are NOT served here (see ``trace_call_with_xcalls``)."""
        chain = self.chains[chain_id]
        recorder = Recorder(chain_id, options)
        with chain.call_state(ref) as (state, header):
            gas = msg.gas if msg.gas is not None else int(header.gas_limit)
            tx = chain.checked_call_tx(state, msg, gas)
            if recorder.accesses:
                recorder.touch(msg.sender)
                recorder.touch(bytes(header.coinbase))
            with recorder.installed(state):
                computation = state.costless_execute_transaction(tx)
            used = _call_gas_used(gas, computation)
            if not recorder.accesses:
                return self._shape(recorder, computation, msg.sender, gas, used, self._no_view)
            created = _created_address(computation)
            touched = touched_with(recorder, msg.sender, msg.to or created, msg.access_list)
            post = snapshot_accounts(state, touched, options)
        with chain.call_state(ref) as (pre_state, _header):
            pre = snapshot_accounts(pre_state, touched, options)
        return prestate_json(pre, post, options)

    def trace_call_with_xcalls(self, chain_id: int, job: PendingTx, builders: dict[int, BlockBuilder],
                               envs: Mapping[int, BlockEnv], options: TraceOptions,
                               simulate: Callable[[dict[int, BlockBuilder], int, PendingTx], Any]) -> Any | None:
        """debug_traceCall of a call that makes cross-rollup calls, at the head: simulate it
        as the sequencer would (``simulate`` is shared_sequencer.xcall.simulate, on
        ``builders``), then trace the simulated blocks. None if the call reverts in the end
        (its requests never happen: the caller traces it plainly)."""
        result = simulate(builders, chain_id, job)
        if result.simulated is not None or not result.outcome.success:
            return None
        views = {cid: BlockView.from_outcomes(self.chains[cid], envs[cid], b.outcomes)
                 for cid, b in builders.items() if b.outcomes}
        view = views[chain_id]
        index = next(i for i, p in enumerate(view.txs) if p.hash == job.hash)

        def resolve(_src: int, _number: int, cid: int) -> BlockView | None:
            return views.get(cid)  # every view is of the one simulated superblock

        return self.trace_in_view(view, index, options, resolve)

    # -- shaping results ----------------------------------------------------------------------

    def _no_view(self, _src: int, _number: int, _dst: int) -> BlockView | None:
        return None

    def result(self, run: Run, resolve: ViewResolver, seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        pending = run.view.txs[run.index]
        if run.recorder.accesses:
            assert run.pre is not None and run.post is not None
            opts = run.recorder.options
            touched = touched_with(run.recorder, pending.sender, pending.tx.to or run.outcome.contract_address,
                                    access_list_of(pending))
            touched.setdefault(bytes(run.view.env.coinbase), set())
            return prestate_json(snapshot_accounts(run.pre, touched, opts),
                                  snapshot_accounts(run.post, touched, opts), opts)
        return self._shape(run.recorder, run.computation, pending.sender, int(pending.tx.gas),
                           run.outcome.gas_used, resolve, run.view, seen)

    def _shape(self, rec: Recorder, computation: ComputationAPI, sender: bytes, gas: int, used: int,
               resolve: ViewResolver, view: BlockView | None = None,
               seen: frozenset[tuple[int, int, int]] = frozenset()) -> Any:
        if rec.struct:
            failed = computation.is_error
            output = bytes(computation.output)
            keep = not failed or isinstance(computation.error, Revert)
            return {"gas": used, "failed": failed, "returnValue": "0x" + (output.hex() if keep else ""),
                    "structLogs": rec.struct_logs}
        number = view.number if view is not None else -1
        frame = CallFrames(self.trace_in_view, rec, resolve, number, seen).frame(computation, None)
        frame["from"] = "0x" + bytes(sender).hex()
        frame["gas"] = hex(gas)
        frame["gasUsed"] = hex(used)
        return frame


# -- helpers ------------------------------------------------------------------------------------


def _call_gas_used(gas: int, computation: ComputationAPI) -> int:
    """What a transaction with ``gas`` would be charged (refund and EIP-7623 floor applied)."""
    used = gas - computation.get_gas_remaining()
    refund = min(computation.get_gas_refund(), used // 5)
    return used - refund + int(getattr(computation, "data_floor_gas", 0) or 0)


def _created_address(computation: ComputationAPI) -> bytes | None:
    return bytes(computation.msg.storage_address) if computation.msg.is_create else None
