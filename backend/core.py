"""The backend: the one object the Ethereum method layer talks to, for the life of the server.

Like anvil's ``Backend`` it offers services as methods (calls, estimates, simulations,
receipts, logs, bundles, traces, dev commands, dump/load/reset) over the devnet's current
``Sequencer``. anvil_reset and anvil_loadState build a new sequencer and ``install`` it here:
the backend is reset in place, so whoever holds it keeps holding the right one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from backend.bundles import BundleServices
from backend.calls import CallServices
from backend.dev import DevServices
from backend.dumps import decode_dump_with_l1, encode_dump
from backend.faults import FaultServices
from backend.flashbots import FlashbotsServices
from backend.forced import ForcedServices
from backend.mev import MevServices
from backend.ordering import OrderingServices
from backend.overrides import OverrideServices
from backend.pending import PendingServices
from backend.reads import ReadLimits, ReadRunner
from backend.simulate import SimulateServices
from backend.tracing import TracingServices
from chains.block import PendingTx
from chains.genesis import DevAccount, Predeploy
from shared_sequencer.mining import MiningService
from shared_sequencer.sequencer import Sequencer

Progress = Callable[[int], None]


class SequencerFactory(Protocol):
    """How the backend gets a new sequencer: the composition root knows the configuration."""

    def fresh(self) -> Sequencer:
        """New chains from the configured genesis, with a new genesis time (anvil_reset)."""
        ...

    def from_log(self, entries: list[dict[str, Any]], progress: Progress | None) -> Sequencer:
        """New chains from a superblock log (its genesis entry first), every block rebuilt
        and checked. Raises DumpError for another chain set or a log that does not replay."""
        ...


class Backend(OverrideServices, SimulateServices, CallServices, FlashbotsServices, BundleServices, TracingServices,
              DevServices, OrderingServices, MevServices, PendingServices, FaultServices, ForcedServices):
    def __init__(self, sequencer: Sequencer, factory: SequencerFactory, accounts: Sequence[DevAccount],
                 predeploys: Sequence[Predeploy], limits: ReadLimits | None = None) -> None:
        """``limits``: the reads' gas cap and time limit (geth's defaults if None)."""
        self.sequencer = sequencer
        self.reads = ReadRunner(limits or ReadLimits())
        self._factory = factory
        self.accounts = list(accounts)
        self._keys = {a.address: a.private_key for a in accounts}
        self.predeploys = tuple(predeploys)
        self.urls: dict[int, str] = {}  # filled in by the server once each chain's port is bound
        self.mining = MiningService()
        self.install_listeners: list[Callable[[Sequencer], None]] = []
        # More fields for a chain's xr_chains entry (the settlement layer's L1 and contracts).
        self.chain_extras: list[Callable[[int], dict[str, Any]]] = []
        # The settlement layer's L1, in dumps and loads: its log's entries, and a load of them
        # (raises DumpError, changing nothing). None: no L1.
        self.l1_log: Callable[[], list[dict[str, Any]]] | None = None
        self.l1_load: Callable[[list[dict[str, Any]]], None] | None = None

    # -- the sequencer, replaced in place -----------------------------------------------------

    def install(self, seq: Sequencer) -> None:
        """Make ``seq`` the devnet's sequencer; the mining service and the install listeners
        (filters, subscriptions) follow. The previous sequencer's log is closed."""
        if seq is not self.sequencer:
            self.sequencer.log.close()
        self.sequencer = seq
        if self.mining.running:
            self.mining.attach(seq)
        for listener in list(self.install_listeners):
            listener(seq)

    def reset(self) -> None:
        """anvil_reset: fresh chains with the same configuration and a new genesis time."""
        self.install(self._factory.fresh())

    def dump_state(self) -> bytes:
        """The whole devnet as gzipped JSON: the superblock log, which rebuilds every chain,
        block, receipt, log and mailbox when loaded, and the L1's log beside it."""
        return encode_dump(self.sequencer.log.entries, self.l1_log() if self.l1_log is not None else None)

    def load_state(self, blob: bytes, progress: Progress | None = None) -> int:
        """Replace the devnet with the one ``blob`` (from dump_state) describes; every block is
        rebuilt and checked. Raises DumpError for another version, a corrupt file or other
        chains; nothing changes then. A dump with an L1 restores the L1 first (its batches and
        deposits as dumped), then the rollups; one without leaves the L1 as it is. Returns the
        superblock height."""
        entries, l1_entries = decode_dump_with_l1(blob)
        seq = self._factory.from_log(entries, progress)
        if l1_entries is not None and self.l1_load is not None:
            self.l1_load(l1_entries)
        self.install(seq)
        return seq.head.number

    # -- services ----------------------------------------------------------------------------

    def start_services(self) -> None:
        """Automine batching and interval mining, on the running event loop. Idempotent."""
        self.mining.start(self.sequencer)

    def stop_services(self) -> None:
        self.mining.stop()
        self.reads.close()

    async def settled(self, tx_hash: bytes | None = None) -> None:
        """Wait until every submission so far is mined (automine batches per loop tick), and
        ``tx_hash`` if the mining budget deferred it. Re-raises a mining failure."""
        await self.mining.settled(tx_hash)

    async def send_transaction(self, chain_id: int, pending: PendingTx) -> bytes:
        """Submit to the sequencer and wait until automine has mined it (other modes: until
        it is pooled). Returns the hash. Raises TransactionRejected, UnknownChain."""
        tx_hash = self.sequencer.submit(chain_id, pending)
        await self.settled(tx_hash)
        return tx_hash

    # -- accounts and the devnet -------------------------------------------------------------

    def private_key(self, address: bytes) -> bytes | None:
        """The key of a dev account; None for any other address."""
        return self._keys.get(address)

    def chains_json(self) -> list[dict[str, Any]]:
        out = []
        for cid, chain in self.sequencer.chains.items():
            url = self.urls.get(cid)
            out.append({
                "chainId": cid,
                "rpcUrl": url,
                "wsUrl": url.replace("http://", "ws://") if url else None,
                "blockNumber": hex(chain.height),
                "predeploys": {p.name: "0x" + p.address.hex() for p in self.predeploys if p.name},
            })
            for extra in self.chain_extras:
                out[-1].update(extra(cid))
        return out
