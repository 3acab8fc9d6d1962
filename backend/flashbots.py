"""Flashbots-compatible bundles (eth_sendBundle, eth_callBundle) over the sequencer's bundles.

A Flashbots bundle targets one block of the endpoint's chain, as the relays read
``blockNumber``: here it becomes a sequencer bundle (shared_sequencer/bundles.py) tried in the
superblock built when that chain's next block is that number (a superblock holds only the
chains that advance, so superblock numbers say nothing of one chain's blocks), and only if
that superblock's timestamp lies in [minTimestamp, maxTimestamp]; it is dropped once the chain
has passed that block. Its legs may be for any chain of the devnet: a bundle is atomic across
chains. ``call_bundle`` simulates the legs one after another on the next
superblock's scratch builders and reports what Flashbots' relay reports: each transaction's
gas, fees and what reached the coinbase.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from eth_typing import Address

from backend.bundles import BundleServices, BundleSpec
from chains.block import PendingTx, base_fee_of
from chains.builder import BlockBuilder
from chains.errors import InvalidInput, TransactionRejected, decode_revert_reason
from shared_sequencer.bundles import Bundle
from shared_sequencer.xcall import apply_with_xcalls


@dataclass(frozen=True)
class FlashbotsTarget:
    """Where and when a Flashbots bundle may land: block ``block_number`` of the endpoint's
    chain, within the timestamp bounds."""

    block_number: int
    min_timestamp: int | None = None
    max_timestamp: int | None = None


@dataclass(frozen=True)
class CalledTx:
    """One transaction of eth_callBundle, as Flashbots reports it."""

    tx_hash: bytes
    chain_id: int
    sender: bytes
    to: bytes | None
    gas_used: int
    gas_fees: int  # gas used x effective priority fee: what the coinbase earns in fees
    coinbase_diff: int  # the coinbase's balance change over this transaction
    output: bytes
    error: str | None = None
    revert: str | None = None

    @property
    def eth_sent_to_coinbase(self) -> int:
        return self.coinbase_diff - self.gas_fees


@dataclass(frozen=True)
class CalledBundle:
    bundle_hash: bytes
    results: tuple[CalledTx, ...]
    state_block: int

    @property
    def total_gas_used(self) -> int:
        return sum(r.gas_used for r in self.results)

    @property
    def coinbase_diff(self) -> int:
        return sum(r.coinbase_diff for r in self.results)

    @property
    def gas_fees(self) -> int:
        return sum(r.gas_fees for r in self.results)

    @property
    def bundle_gas_price(self) -> int:
        return self.coinbase_diff // self.total_gas_used if self.total_gas_used else 0


def run_legs(builders: dict[int, BlockBuilder], legs: tuple[tuple[int, PendingTx], ...],
             coinbase: bytes) -> tuple[CalledTx, ...]:
    """Apply ``legs`` in order on ``builders`` (which they change), measuring the coinbase
    before and after each. Raises TransactionRejected for a leg that cannot be applied at all
    (Flashbots answers an error for the whole call then)."""
    out = []
    for index, (chain_id, pending) in enumerate(legs):
        before = int(builders[chain_id].vm.state.get_balance(Address(coinbase)))
        try:
            outcome = apply_with_xcalls(builders, chain_id, pending).outcome
        except TransactionRejected as exc:
            raise TransactionRejected(f"bundle transaction {index} (0x{pending.hash.hex()}): {exc}") from exc
        after = int(builders[chain_id].vm.state.get_balance(Address(coinbase)))
        base_fee = int(base_fee_of(builders[chain_id].header))
        tip = max(0, outcome.effective_gas_price - base_fee)
        to = bytes(pending.tx.to) if pending.tx.to else None
        error = revert = None
        if not outcome.success:
            error = "execution reverted"
            revert = decode_revert_reason(outcome.output)
        out.append(CalledTx(pending.hash, chain_id, pending.sender, to, outcome.gas_used, outcome.gas_used * tip,
                            after - before, outcome.output, error, revert))
    return tuple(out)


class FlashbotsServices(BundleServices):
    def _check_target(self, chain_id: int, block_number: int) -> None:
        """Raises InvalidInput for a block of ``chain_id`` already built, UnknownChain."""
        height = self.chain(chain_id).height
        if block_number <= height:
            raise InvalidInput(f"blockNumber {block_number} is not after the chain's head {height}")

    async def send_flashbots_bundle(self, chain_id: int, spec: BundleSpec, target: FlashbotsTarget) -> bytes:
        """Queue ``spec`` for block ``target.block_number`` of ``chain_id``: it is tried when
        that chain's next block is that number (automine: at once if it is next now; else with
        the superblock built then) and dropped once the chain is past it. Returns the bundle hash; a bundle that does not land is
        not an error (xr_getBundleStatus tells why). Raises TransactionRejected, BundleFailed
        (a leg refused at submission), InvalidInput, UnknownChain."""
        self._check_target(chain_id, target.block_number)
        bundle = replace(self.bundle(spec), target=(chain_id, target.block_number),
                         min_timestamp=target.min_timestamp, max_timestamp=target.max_timestamp)
        self.sequencer.submit_bundle(bundle)
        await self.settled()
        return bundle.hash

    def call_flashbots_bundle(self, chain_id: int, spec: BundleSpec, block_number: int, state_block: int | str,
                              timestamp: int | None) -> CalledBundle:
        """Simulate ``spec`` on the heads as block ``block_number`` of ``chain_id`` (at
        ``timestamp`` if given). Nothing is committed. The state is the heads' (a cross-rollup
        bundle needs every chain's): ``state_block`` must name the head. Raises
        TransactionRejected, InvalidInput, UnknownChain."""
        height = self.chain(chain_id).height
        if state_block not in ("latest", "pending") and state_block != height:
            raise InvalidInput(f"stateBlockNumber: only the head ({height}) or \"latest\" can be simulated on")
        self._check_target(chain_id, block_number)
        bundle: Bundle = self.bundle(spec)
        seq = self.sequencer
        envs = seq.block_envs(timestamp if timestamp is not None else seq.next_timestamp(), None)
        builders = {cid: chain.scratch_builder(envs[cid]) for cid, chain in seq.chains.items()}
        results = run_legs(builders, bundle.legs, seq.coinbase)
        return CalledBundle(bundle.hash, results, self.chain(chain_id).height)
