"""The devnet: wiring only. config -> chains -> sequencer -> backend -> method tables -> servers.

``Devnet`` builds every chain from a ``DevnetConfig``, puts them under one ``Sequencer``
(the only writer), hands that to a ``backend.Backend`` (the services the methods call),
builds each chain's method table (``node``) over the backend, and serves each table on its
own port (``rpc``). anvil_reset and anvil_loadState come back here for fresh chains
(``fresh``, ``from_log``) and the backend installs them in place.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from backend import Backend
from backend.admin import AdminServices, L1Info, NetworkInfo, decode_sent_message
from backend.dumps import DumpError
from backend.reads import ReadLimits
from chains.errors import XRollupError
from chains.genesis import Predeploy, dev_accounts
from chains.rollup import ChainConfig, MinedBlock, RollupChain
from node import views
from node.admin import build_admin_table
from node.errors import to_rpc_error
from node.filters import ChainEvents, FilterLimits
from node.table import build_table
from rpc.jsonrpc import Dispatcher
from rpc.server import BindError, Endpoint, ServerGroup, build_app
from settlement.contracts import rollup_contracts
from settlement.l1 import L1Sequencer
from settlement.service import Settlement
from shared_sequencer.faults import parse_fault_flag
from shared_sequencer.log import FORMAT_VERSION, SuperblockLog, load_entries
from shared_sequencer.mining import mode_from_flags
from shared_sequencer.ordering import build_orders
from shared_sequencer.relay import RelayPolicy, dependency_map
from shared_sequencer.replay import replay
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.superblock import SuperBlock
from xrollup.config import DevnetConfig
from xrollup.l1 import L1Node

log = logging.getLogger("xrollup")


def require_fast_crypto() -> None:
    """Fail loudly when signatures would be checked in pure Python (about 50x slower)."""
    from eth_keys.backends import get_backend

    if type(get_backend()).__name__ != "CoinCurveECCBackend":
        raise RuntimeError(
            "coincurve is not installed, so signatures would be checked in pure Python (~50x slower). "
            "Install it with: pip install 'py-evm[eth-extra]'"
        )


def default_predeploys() -> tuple[Predeploy, ...]:
    """Contracts every chain gets at genesis (the mailbox, OP's messenger...), if built."""
    from xrollup.predeploys import predeploys

    return tuple(predeploys())


class Devnet:
    def __init__(self, config: DevnetConfig | None = None, predeploys: tuple[Predeploy, ...] | None = None) -> None:
        require_fast_crypto()
        config = config or DevnetConfig()
        entries: list[dict[str, Any]] = []
        state_dir = Path(config.state_dir) if config.state_dir else None
        if state_dir is not None:
            entries = load_entries(state_dir)
            if entries:
                genesis = entries[0]
                if genesis.get("t") != "genesis":
                    raise ValueError(f"{state_dir}: the log does not start with a genesis entry")
                config = config.with_genesis(genesis["config"])
        if not config.genesis_timestamp:
            config = dataclasses.replace(config, genesis_timestamp=int(time.time()))
        self.config = config
        self.predeploys = default_predeploys() if predeploys is None else predeploys
        self.accounts = dev_accounts(config.mnemonic, config.accounts)
        self.events: dict[int, ChainEvents] = {}  # none yet: replaying the state dir tells nobody
        # The settlement layer: batches, heads and proposals on an L1 beside the rollups (--no-l1: none).
        self.settlement = Settlement(lambda: self.sequencer, config.l1_finality_depth) if config.l1 else None
        self.backend = Backend(self._new_sequencer(config, entries[1:], state_dir), self, self.accounts,
                               self.predeploys, ReadLimits(config.gas_cap, config.evm_timeout))
        self.backend.mining.budget = config.mining_budget
        watchers: set[ChainEvents] = set()  # the chains' events with xr_newSuperblocks subscriptions
        filter_limits = FilterLimits(config.filter_timeout, config.max_filters)
        self.events = {cid: ChainEvents(self.backend, cid, watchers, filter_limits) for cid in config.chain_ids}
        self._watchers = watchers
        self.dispatchers = {
            cid: Dispatcher(build_table(self.backend, cid, self.events[cid]), error_mapper=to_rpc_error,
                            on_call=None if config.silent and not config.logs_directory else self._log_call(cid))
            for cid in config.chain_ids
        }
        self.urls = self.backend.urls
        # The settlement layer: the L1 beside the rollups (--no-l1: none).
        self.l1: L1Node | None = None
        self._loaded: Sequencer | None = None  # rollups from_log made, that the backend installs next
        self._loading_l1 = False  # the L1 of a rollup dump is being installed, before its rollups
        if config.l1:
            assert self.settlement is not None
            self.l1 = L1Node(config, self.accounts, lambda: self.sequencer, self._l1_installed)
            self.settlement.batcher.listeners.append(self._on_heads)
            self.backend.chain_extras.append(self._l1_json)
            l1 = self.l1
            self.backend.l1_log = lambda: l1.sequencer.log.entries
            self.backend.l1_load = self._load_l1
            self.backend.install_listeners.append(self._rollups_installed)
            self.backend.l1_chain = lambda: l1.sequencer.l1  # xr_getForcedInclusion
        # supersim's admin API, on its own port (config.admin_port; None: not served).
        self.admin = AdminServices(lambda: self.sequencer, self._network_info, self._ports,
                                   None if self.l1 is None else lambda cid: rollup_contracts(cid).admin_json())
        self.admin_dispatcher = Dispatcher(build_admin_table(self.admin), error_mapper=to_rpc_error)
        self.admin_url: str | None = None
        # Called with (app, chain id, chain index) for each chain's FastAPI app before serving.
        self.app_hooks: list[Callable[[Any, int, int], None]] = []
        self._servers: ServerGroup | None = None

    @property
    def sequencer(self) -> Sequencer:
        """The current sequencer (anvil_reset and anvil_loadState install a new one)."""
        return self.backend.sequencer

    def _new_sequencer(self, config: DevnetConfig, entries: list[dict[str, Any]], state_dir: Path | None,
                       progress: Callable[[int], None] | None = None) -> Sequencer:
        """Fresh chains from ``config``'s genesis, with ``entries`` (a superblock log after its
        genesis entry) replayed and checked. Raises ReplayMismatch, ValueError."""
        chains = {
            cid: RollupChain(
                ChainConfig(cid, config.gas_limit, config.base_fee, config.balance_wei, config.genesis_timestamp,
                            self.predeploys, config.hardfork),
                self.accounts,
            )
            for cid in config.chain_ids
        }
        order, chain_orders = build_orders(config.order, config.order_settings, config.chain_ids)
        seq = Sequencer(chains, mode=mode_from_flags(config.block_time, config.no_mining, config.block_times),
                        order=order, chain_orders=chain_orders, log=SuperblockLog(state_dir),
                        max_deferrals=config.max_deferrals,
                        relay_policy=RelayPolicy(config.autorelay, config.relay_delay,
                                                 dependency_map(config.chain_ids, config.dependency_set)),
                        sequencing_window=config.sequencing_window)
        seq.superblock_listeners.append(lambda superblock, mined: self._on_superblock(seq, superblock, mined))
        if not config.silent or config.logs_directory:
            seq.superblock_listeners.append(self._log_messages)
        seq.pending_listeners.append(self._on_pending)
        seq.log.append({"t": "genesis", "version": FORMAT_VERSION, "config": config.genesis_json()}, sync=False)
        if entries:
            replayed = replay(seq, entries, progress)
            log.info("replayed %d superblocks", replayed)
        if state_dir is not None:
            seq.log.open()
            seq.log.write_genesis()
        if self.settlement is not None:
            self.settlement.adopt(seq)
        for text in config.faults:  # --fault: the sequencer starts faulty
            seq.set_fault(parse_fault_flag(text))
        return seq

    def _network_info(self) -> NetworkInfo:
        cfg = self.config
        l1 = None
        if self.l1 is not None:
            port = int(self.l1.url.rsplit(":", 1)[1]) if self.l1.url else cfg.l1_listen_port
            l1 = L1Info(self.l1.chain_id, port, cfg.l1_block_time,
                        {cid: rollup_contracts(cid).admin_json() for cid in cfg.chain_ids})
        return NetworkInfo(cfg.chain_ids, cfg.host, cfg.port, cfg.block_time, cfg.accounts, cfg.mnemonic,
                           cfg.genesis_timestamp, cfg.autorelay, cfg.relay_delay,
                           cfg.logs_directory or "", cfg.dependency_set, l1)

    def _ports(self) -> dict[int, int]:
        bound = {cid: int(url.rsplit(":", 1)[1]) for cid, url in self.urls.items()}
        return {cid: bound.get(cid, self.config.port_of(cid)) for cid in self.config.chain_ids}

    # -- new chains for the backend (backend.SequencerFactory) ----------------------------------

    def fresh(self) -> Sequencer:
        """anvil_reset: the same configuration with a new genesis time."""
        config = dataclasses.replace(self.config, genesis_timestamp=int(time.time()))
        seq = self._new_sequencer(config, [], None)
        self.config = config
        return seq

    def from_log(self, entries: list[dict[str, Any]], progress: Callable[[int], None] | None) -> Sequencer:
        """anvil_loadState: the chains a dump's log describes, replayed and checked. Raises
        DumpError for other chains or a log that does not replay; nothing changes then."""
        saved = entries[0]["config"]
        if tuple(saved["chain_ids"]) != self.config.chain_ids:
            raise DumpError(f"the state is of chains {saved['chain_ids']}, this devnet runs {list(self.config.chain_ids)}")
        try:
            config = self.config.with_genesis(saved)
        except ValueError as exc:
            raise DumpError(f"corrupt state file: {exc}") from None
        try:
            seq = self._new_sequencer(config, entries[1:], None, progress)
        except (XRollupError, ValueError, KeyError, TypeError) as exc:
            raise DumpError(f"the state does not replay: {exc}") from exc
        self.config = config
        self._loaded = seq
        return seq

    # -- state: dump, load, reset (the backend's; kept here for the CLI and the Python API) -----

    def install(self, seq: Sequencer) -> None:
        """Make ``seq`` the devnet's sequencer: filters, subscriptions and endpoints follow."""
        self.backend.install(seq)

    def dump_state(self) -> bytes:
        return self.backend.dump_state()

    def load_state(self, blob: bytes, progress: Callable[[int], None] | None = None) -> int:
        return self.backend.load_state(blob, progress)

    def reset(self) -> None:
        self.backend.reset()

    def chains_json(self) -> list[dict[str, Any]]:
        return self.backend.chains_json()

    # -- the L1 -------------------------------------------------------------------------------

    def _l1_json(self, chain_id: int) -> dict[str, Any]:
        assert self.l1 is not None
        return {"l1": {"chainId": self.l1.chain_id, "rpcUrl": self.l1.url,
                       "wsUrl": self.l1.url.replace("http://", "ws://") if self.l1.url else None,
                       **rollup_contracts(chain_id).admin_json()}}

    def _load_l1(self, entries: list[dict[str, Any]]) -> None:
        """anvil_loadState of a dump with an L1, on a rollup endpoint: the dump's L1 first (the
        rollups from the same dump are installed next, and take its waiting deposits then).
        Raises DumpError, changing nothing."""
        assert self.l1 is not None
        l1 = self.l1
        seq = l1.from_log(entries, None)
        self._loading_l1 = True
        try:
            l1.backend.install(seq)
        finally:
            self._loading_l1 = False

    def _l1_installed(self, l1: L1Sequencer) -> None:
        """A new L1 sequencer (at start, anvil_reset or anvil_loadState on the L1): the
        settlement services attach to it, and the rollups take again the deposits it holds
        that they do not include (after a restart, what waited when the devnet stopped) --
        unless the rollups of the same dump come next."""
        assert self.settlement is not None
        self.settlement.attach(l1)
        if not self._loading_l1:
            self.settlement.requeue(l1)

    def _rollups_installed(self, seq: Sequencer) -> None:
        """New rollups: those of anvil_loadState take the L1's deposits they do not include
        (their dump holds no queue); those of anvil_reset follow the L1 from its head on."""
        if seq is not self._loaded:
            return
        self._loaded = None
        if self.settlement is not None and self.l1 is not None:
            self.settlement.requeue(self.l1.sequencer)

    def _on_heads(self, seq: Sequencer) -> None:
        """The safe or finalized heads moved: the tag subscriptions of every chain."""
        if seq is self.sequencer:
            for events in self.events.values():
                events.on_tags()

    # -- events ----------------------------------------------------------------------------

    def _on_superblock(self, seq: Sequencer, superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
        if not self.events:  # replaying the state dir in __init__: no listener yet
            return
        for cid, block in mined.items():  # the chains that advanced, not every chain
            self.events[cid].on_block(block)
        if self._watchers:
            cache: list[Any] = []

            def sb_json() -> Any:
                if not cache:
                    cache.append(seq.superblock_json(superblock))
                return cache[0]

            for events in list(self._watchers):
                events.on_superblock(sb_json)

    def _log_messages(self, superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
        """One line per OP message sent, with its hash, as supersim logs it (its guides read
        the hash there for admin_getAccessListByMsgHash)."""
        if not self.events:  # replaying the state dir in __init__
            return
        for cid, block in mined.items():
            timestamp = int(block.header.timestamp)
            for tx in block.txs:
                for record in tx.logs:
                    msg = decode_sent_message(cid, timestamp, record)
                    if msg is not None:
                        logging.getLogger(f"xrollup.chain.{cid}").info(
                            "L2ToL2CrossChainMessenger#SentMessage sourceChainID=%d destinationChainID=%d nonce=%d "
                            "sender=0x%s target=0x%s msgHash=0x%s txHash=0x%s", msg.source, msg.destination,
                            msg.nonce, msg.sender.hex(), msg.target.hex(), msg.hash.hex(), tx.hash.hex())

    def _on_pending(self, chain_id: int, tx_hash: bytes) -> None:
        def tx_json() -> Any:
            entry = self.backend.pooled(chain_id, tx_hash)
            sealed = self.backend.pool_sealed(chain_id)
            return views.pending_tx_json(entry.pending, chain_id, sealed) if entry else views.d(tx_hash)

        self.events[chain_id].on_pending(tx_hash, tx_json)
        cache: list[Any] = []

        def with_chain() -> Any:  # one JSON object for every endpoint's subscribers
            if not cache:
                entry = self.backend.pooled(chain_id, tx_hash)
                sealed = self.backend.pool_sealed(chain_id)
                body = views.pending_tx_json(entry.pending, chain_id, sealed) if entry else {"hash": views.d(tx_hash)}
                cache.append({**body, "chainId": views.q(chain_id)})
            return cache[0]

        for events in self.events.values():
            events.on_any_pending(with_chain)

    def _log_call(self, chain_id: int) -> Callable[[str], None]:
        chain_log = logging.getLogger(f"xrollup.chain.{chain_id}")  # --logs.directory's file, if any

        def on_call(method: str) -> None:
            chain_log.info("%d: %s", chain_id, method)

        return on_call

    # -- serving -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every chain's port and start the services. Raises OSError naming a port that
        is taken and its chain (the services keep running then)."""
        self.start_services()
        endpoints = []
        for index, (cid, dispatcher) in enumerate(self.dispatchers.items()):
            app = build_app(dispatcher, title=f"xrollup chain {cid}")
            for hook in self.app_hooks:  # extra routes (the explorer), by chain index
                hook(app, cid, index)
            endpoints.append(Endpoint(self.config.host, self.config.port_of(cid), app))
        if self.config.admin_port is not None:
            admin = build_app(self.admin_dispatcher, title="xrollup admin")
            admin.router.add_route("/ready", _ready, methods=["GET"])  # supersim's readiness probe
            endpoints.append(Endpoint(self.config.host, self.config.admin_port, admin))
        if self.l1 is not None:  # last
            endpoints.append(Endpoint(self.config.host, self.config.l1_listen_port,
                                      build_app(self.l1.dispatcher, title=f"xrollup L1 {self.l1.chain_id}")))
        servers = ServerGroup(endpoints)
        try:
            await servers.start()
        except BindError as exc:
            what = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
            if self.l1 is not None and exc.index == len(endpoints) - 1:  # the L1's comes last
                raise OSError(exc.errno, f"port {exc.port} of the L1 (chain {self.l1.chain_id}) {what} "
                                         "(--l1.port; 0 takes a free port; --no-l1 runs without an L1)") from exc
            if exc.index >= len(self.config.chain_ids):  # the admin endpoint comes after the chains
                raise OSError(exc.errno, f"admin port {exc.port} {what} (--admin.port; 0 takes a free port)") from exc
            cid = self.config.chain_ids[exc.index]
            raise OSError(exc.errno, f"port {exc.port} of chain {cid} {what} (--port {self.config.port}: the "
                                     f"{len(self.config.chain_ids)} chains take ports {self.config.port}-"
                                     f"{self.config.port + len(self.config.chain_ids) - 1})") from exc
        self._servers = servers
        ports = list(servers.ports)
        for cid, port in zip(self.dispatchers, ports, strict=False):
            self.urls[cid] = f"http://{self.config.host}:{port}"
        if self.config.admin_port is not None:
            self.admin_url = f"http://{self.config.host}:{ports[len(self.config.chain_ids)]}"
        if self.l1 is not None:
            self.l1.url = f"http://{self.config.host}:{ports[-1]}"

    @property
    def serving(self) -> bool:
        return self._servers is not None

    def start_services(self) -> None:
        """Automine batching and the interval-mining loop, on the running event loop; no port
        is bound (the in-process API runs these alone). Idempotent."""
        self.backend.start_services()
        if self.l1 is not None:
            self.l1.start_services()

    def stop_services(self) -> None:
        if self.l1 is not None:
            self.l1.stop_services()
        self.backend.stop_services()

    async def settled(self) -> None:
        """Wait until every submission so far is mined (automine batches per loop tick)."""
        await self.backend.settled()

    async def stop(self) -> None:
        self.stop_services()
        if self._servers is not None:
            await self._servers.stop()
            self._servers = None
            self.admin_url = None
            if self.l1 is not None:
                self.l1.url = None
        self.sequencer.log.close()
        if self.l1 is not None:
            self.l1.close()

    async def serve_forever(self) -> None:
        assert self._servers is not None
        await self._servers.serve_forever()


async def _ready(request: Request) -> Response:
    return PlainTextResponse("OK")
