"""The one way to set up a cross-rollup simulation: throwaway builders on the chains' heads.

eth_call, eth_estimateGas, debug_traceCall (calls that make cross-rollup calls) and
xr_simulateBundle all run on these; nothing they do reaches a chain. The builders are set up
on the event loop (``prepare_call``, ``next_superblock``) and run in a read's worker thread
under its deadline (``run_call``; backend/reads.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import Address

from chains.block import PendingTx
from chains.errors import ChainHalted
from chains.rollup import CallMessage
from chains.txbuild import TxRequest, impersonate
from shared_sequencer.builders import Builders, Envs, PerChain
from shared_sequencer.faults import halted_chains
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.xcall import XResult, simulate


@dataclass(frozen=True)
class Simulation:
    """Builders for the next superblock and the environments they build in, each made for a
    chain when the simulation first reads it (``shared_sequencer.builders.PerChain``)."""

    envs: Envs
    builders: Builders


def next_superblock(seq: Sequencer, base_fee: int | None) -> Simulation:
    """Scratch builders on the heads, at the next superblock's timestamp and coinbase.
    ``base_fee``: 0 for calls (they pay no gas price), None for the next real block's (bundles
    are simulated as they would be mined)."""
    envs = seq.block_envs(seq.next_timestamp(), base_fee)
    builders: Builders = PerChain(seq.chains, lambda cid: seq.chain(cid).scratch_builder(envs[cid]),
                                  halted_chains(seq.faults))
    return Simulation(envs, builders)


def call_job(seq: Sequencer, chain_id: int, msg: CallMessage) -> PendingTx:
    """``msg`` as an impersonated, gas-price-0 transaction at the sender's current nonce (the
    default gas: half a block, leaving room for the pre-fill system transactions)."""
    chain = seq.chain(chain_id)
    nonce = chain.state_at("latest").get_nonce(Address(msg.sender))
    gas = msg.gas if msg.gas is not None else chain.config.gas_limit // 2
    return impersonate(TxRequest(chain_id, msg.sender, nonce, gas, msg.to, msg.value, msg.data, gas_price=0,
                                 access_list=msg.access_list, authorization_list=msg.authorization_list))


@dataclass(frozen=True)
class CallSimulation:
    """A call made ready for a cross-rollup simulation: its scratch builders and its job."""

    sim: Simulation
    chain_id: int
    job: PendingTx


def prepare_call(seq: Sequencer, chain_id: int, msg: CallMessage) -> CallSimulation:
    """On the event loop: the builders on every head and ``msg``'s job (the heads, their
    state roots and the sender's nonce are read once, here)."""
    return CallSimulation(next_superblock(seq, base_fee=0), chain_id, call_job(seq, chain_id, msg))


def run_call(prepared: CallSimulation) -> XResult:
    """In a worker thread (under the read's deadline): run the job with its cross-rollup
    calls across every chain it touches, as the sequencer would at the next superblock, on
    the prepared builders only. Raises TransactionRejected (an invalid job),
    ExecutionTimeout, ChainHalted (a cross-rollup call met a halted chain and failed)."""
    result = simulate(prepared.sim.builders, prepared.chain_id, prepared.job)
    if result.failure is not None and result.failure.halted:
        raise ChainHalted(result.failure.chain_id)
    return result


def simulate_call(seq: Sequencer, chain_id: int, msg: CallMessage) -> XResult:
    """``run_call(prepare_call(...))`` in the calling thread. Raises as ``run_call``."""
    return run_call(prepare_call(seq, chain_id, msg))
