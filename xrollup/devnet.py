"""The devnet: chains, the shared sequencer, and one JSON-RPC endpoint per chain.

``Devnet`` is the composition root. It builds every chain from a ``DevnetConfig``, hands all
writing to the ``Sequencer``, feeds filters and subscriptions from the sequencer's listeners,
and serves each chain's method table on its own port (HTTP and WebSocket).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_typing import Address

from chains.builder import BlockEnv
from chains.errors import XRollupError
from chains.genesis import Predeploy, dev_accounts
from chains.rollup import BlockRef, CallMessage, ChainConfig, MinedBlock, MinedTx, RollupChain, raise_for_computation
from chains.txbuild import TxRequest, impersonate
from rpc.eth import views
from rpc.eth.errors import to_rpc_error
from rpc.eth.filters import ChainEvents, find_logs
from rpc.eth.params import LogFilter
from rpc.eth.table import build_table
from rpc.jsonrpc import Dispatcher
from rpc.server import Endpoint, ServerGroup, build_app
from shared_sequencer.batching import AutomineBatcher
from shared_sequencer.log import FORMAT_VERSION, LOG_FILE, SuperblockLog, load_entries
from shared_sequencer.mining import MiningService, mode_from_flags
from shared_sequencer.ordering import policy
from shared_sequencer.replay import replay
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.superblock import SuperBlock
from shared_sequencer.xcall import MAILBOX, XCALL_EVENT, XCALL_EXECUTED_EVENT, find_missing, simulate
from xrollup.config import DevnetConfig
from xrollup.dumps import DumpError, decode_dump, encode_dump

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
        self._keys = {a.address: a.private_key for a in self.accounts}
        self._batcher: AutomineBatcher | None = None
        self._mining: MiningService | None = None
        self.sequencer = self._new_sequencer(config, entries[1:], state_dir)
        self.events = {cid: ChainEvents(chain) for cid, chain in self.sequencer.chains.items()}
        self.dispatchers = {
            cid: Dispatcher(build_table(self, cid, self.events[cid]), error_mapper=to_rpc_error,
                            on_call=None if config.silent else self._log_call(cid))
            for cid in config.chain_ids
        }
        self.urls: dict[int, str] = {}
        # Called with (app, chain id, chain index) for each chain's FastAPI app before serving.
        self.app_hooks: list[Callable[[Any, int, int], None]] = []
        self._servers: ServerGroup | None = None
        self._mining_task: asyncio.Task[None] | None = None

    def _new_sequencer(self, config: DevnetConfig, entries: list[dict[str, Any]], state_dir: Path | None,
                       progress: Callable[[int], None] | None = None) -> Sequencer:
        """Fresh chains from ``config``'s genesis, with ``entries`` (a superblock log after its
        genesis entry) replayed and checked. Raises ReplayMismatch, ValueError."""
        chains = {
            cid: RollupChain(
                ChainConfig(cid, config.gas_limit, config.base_fee, config.balance_wei, config.genesis_timestamp,
                            self.predeploys),
                self.accounts,
            )
            for cid in config.chain_ids
        }
        seq = Sequencer(chains, mode=mode_from_flags(config.block_time, config.no_mining),
                        order=policy(config.order), log=SuperblockLog(state_dir))
        seq.superblock_listeners.append(self._on_superblock)
        seq.pending_listeners.append(self._on_pending)
        seq.log.append({"t": "genesis", "version": FORMAT_VERSION, "config": config.genesis_json()}, sync=False)
        if entries:
            replayed = replay(seq, entries, progress)
            log.info("replayed %d superblocks", replayed)
        if state_dir is not None:
            fresh_dir = not (state_dir / LOG_FILE).exists()
            seq.log.open()
            if fresh_dir:
                seq.log._write(seq.log.entries[0], sync=True)
        return seq

    def install(self, seq: Sequencer) -> None:
        """Make ``seq`` the devnet's sequencer: filters, subscriptions and endpoints follow."""
        self.sequencer.log.close()
        self.sequencer = seq
        for cid, chain in seq.chains.items():
            self.events[cid].chain = chain
        if self._batcher is not None:
            self._batcher = AutomineBatcher(seq.mine_pending)
            seq.automine_hook = self._batcher.schedule
        if self._mining is not None:
            seq.mode_listeners.append(self._mining.wake)
            self._mining.wake()

    # -- state: dump, load, reset (anvil_dumpState, anvil_loadState, anvil_reset) ----------------

    def dump_state(self) -> bytes:
        """The whole devnet as gzipped JSON: the superblock log, which rebuilds every chain,
        block, receipt, log and mailbox when loaded."""
        return encode_dump(self.sequencer.log.entries)

    def load_state(self, blob: bytes, progress: Callable[[int], None] | None = None) -> int:
        """Replace the devnet with the one ``blob`` (from dump_state) describes; every block is
        rebuilt and checked. Raises DumpError for another version, a corrupt file or other
        chains; nothing changes then. Returns the superblock height."""
        entries = decode_dump(blob)
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
        self.install(seq)
        return seq.head.number

    def reset(self) -> None:
        """anvil_reset: a fresh devnet with the same configuration and a new genesis time."""
        config = dataclasses.replace(self.config, genesis_timestamp=int(time.time()))
        self.config = config
        self.install(self._new_sequencer(config, [], None))

    # -- what the RPC handlers ask of the devnet ----------------------------------------------

    def chain(self, chain_id: int) -> RollupChain:
        return self.sequencer.chain(chain_id)  # type: ignore[no-any-return]

    def private_key(self, address: bytes) -> bytes | None:
        return self._keys.get(address)

    def call(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> bytes:
        """eth_call; a call that makes cross-rollup calls is simulated on every chain it
        touches. Raises ExecutionReverted (far side's data and reason) or ExecutionHalted."""
        chain = self.chain(chain_id)
        computation = chain.execute_call(msg, ref)
        if find_missing(computation, chain_id) is None or chain.block(ref) is not chain.head:
            raise_for_computation(computation, chain_id)
            return bytes(computation.output)
        result = self._simulate_xcall(chain_id, msg)
        raise_for_computation(result.outcome.computation, result.error_chain or chain_id)
        return result.outcome.output

    def estimate_gas(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> int:
        chain = self.chain(chain_id)
        cap = msg.gas if msg.gas is not None else self.config.gas_limit
        computation = chain.execute_call(dataclasses.replace(msg, gas=cap), ref)
        if find_missing(computation, chain_id) is None or chain.block(ref) is not chain.head:
            return chain.estimate_gas(dataclasses.replace(msg, gas=cap), ref, first=computation)
        cap = min(cap, self.config.gas_limit // 2)  # room for the pre-fill system transactions
        # Cross-rollup: the far side's gas is the sequencer's; the caller pays for its own
        # frame, which reads pre-filled responses. What it consumed at the cap, plus the
        # 1/64 that EIP-150 withholds, verified once.
        first = self._simulate_xcall(chain_id, dataclasses.replace(msg, gas=cap))
        raise_for_computation(first.outcome.computation, first.error_chain or chain_id)
        consumed = cap - first.outcome.computation.get_gas_remaining()
        guess = min(cap, consumed * 64 // 63 + 2_300)
        check = self._simulate_xcall(chain_id, dataclasses.replace(msg, gas=guess))
        return guess if check.outcome.success else cap

    def _simulate_xcall(self, chain_id: int, msg: CallMessage) -> Any:
        seq = self.sequencer
        ts = seq.clock.next(seq.head.timestamp)
        builders = {
            cid: chain.scratch_builder(BlockEnv(ts, chain.config.gas_limit, seq.coinbase, base_fee=0))
            for cid, chain in seq.chains.items()
        }
        nonce = self.chain(chain_id).state_at("latest").get_nonce(Address(msg.sender))
        gas = msg.gas if msg.gas is not None else self.config.gas_limit // 2
        job = impersonate(TxRequest(chain_id, msg.sender, nonce, gas, msg.to, msg.value, msg.data, gas_price=0))
        return simulate(builders, chain_id, job)

    def receipt_json(self, chain_id: int, mined: MinedTx) -> dict[str, Any]:
        """A receipt, plus ``xcalls`` (each cross-rollup call the transaction made, with the
        destination transaction) and ``xrollupError`` (why a cross-rollup transaction
        reverted, naming the chain that failed)."""
        extra: dict[str, Any] = {}
        xcalls = [self._xcall_json(chain_id, mined.block_number, log) for log in mined.logs
                  if log.address == MAILBOX and log.topics and log.topics[0] == XCALL_EVENT]
        if xcalls:
            extra["xcalls"] = xcalls
        error = self.sequencer.xcall_errors.get(mined.hash)
        if error is not None and not mined.outcome.success:
            extra["xrollupError"] = {"chainId": hex(error[0]) if error[0] else None, "reason": error[1]}
        return views.receipt_json(mined, chain_id, extra)

    def _xcall_json(self, chain_id: int, number: int, log: Any) -> dict[str, Any]:
        dst = int.from_bytes(log.topics[1], "big")
        target, value, request_id, success = decode(["address", "uint256", "bytes32", "bool"], log.data)
        dest_tx = None
        if dst in self.sequencer.chains and number < len(self.chain(dst).blocks):
            for tx in self.chain(dst).blocks[number].txs:  # the same superblock
                if any(lg.address == MAILBOX and len(lg.topics) > 3 and lg.topics[0] == XCALL_EXECUTED_EVENT
                       and lg.topics[3] == request_id for lg in tx.logs):
                    dest_tx = "0x" + tx.hash.hex()
        return {"destinationChainId": hex(dst), "nonce": hex(int.from_bytes(log.topics[2], "big")),
                "target": target, "value": hex(value), "requestId": "0x" + request_id.hex(),
                "success": success, "destinationTxHash": dest_tx}

    def logs(self, chain_id: int, flt: LogFilter) -> list[Any]:
        return find_logs(self.chain(chain_id), flt)

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
        return out

    # -- events ----------------------------------------------------------------------------

    def _on_superblock(self, superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
        if getattr(self, "events", None) is None:  # replaying the state dir in __init__: no listener yet
            return
        cache: list[Any] = []

        def sb_json() -> Any:
            if not cache:
                cache.append(superblock.to_json())
            return cache[0]

        for cid, block in mined.items():
            self.events[cid].on_block(block, sb_json)

    def _on_pending(self, chain_id: int, tx_hash: bytes) -> None:
        def tx_json() -> Any:
            entry = self.sequencer.pools[chain_id].by_hash.get(tx_hash)
            return views.tx_json(entry.pending, chain_id) if entry else views.d(tx_hash)

        self.events[chain_id].on_pending(tx_hash, tx_json)

    def _log_call(self, chain_id: int) -> Callable[[str], None]:
        def on_call(method: str) -> None:
            log.info("%d: %s", chain_id, method)

        return on_call

    # -- serving -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every chain's port and start the services. Raises OSError naming a port that
        is taken (the services keep running then)."""
        self.start_services()
        endpoints = []
        for index, (cid, dispatcher) in enumerate(self.dispatchers.items()):
            app = build_app(dispatcher, title=f"xrollup chain {cid}")
            for hook in self.app_hooks:  # extra routes (the explorer), by chain index
                hook(app, cid, index)
            endpoints.append(Endpoint(self.config.host, self.config.port_of(cid), app))
        servers = ServerGroup(endpoints)
        await servers.start()
        self._servers = servers
        for cid, port in zip(self.dispatchers, servers.ports, strict=True):
            self.urls[cid] = f"http://{self.config.host}:{port}"

    @property
    def serving(self) -> bool:
        return self._servers is not None

    def start_services(self) -> None:
        """Automine batching and the interval-mining loop, on the running event loop; no port
        is bound (the in-process API runs these alone). Idempotent."""
        if self._mining_task is not None:
            return
        self._batcher = AutomineBatcher(self.sequencer.mine_pending)
        self.sequencer.automine_hook = self._batcher.schedule
        self._mining = MiningService(lambda: self.sequencer.mode, lambda: self.sequencer.mine())
        self.sequencer.mode_listeners.append(self._mining.wake)
        self._mining_task = asyncio.create_task(self._mining.run())

    def stop_services(self) -> None:
        self.sequencer.automine_hook = None
        if self._mining_task is not None:
            self._mining_task.cancel()
            self._mining_task = None
        if self._mining is not None and self._mining.wake in self.sequencer.mode_listeners:
            self.sequencer.mode_listeners.remove(self._mining.wake)
        self._mining = self._batcher = None

    async def settled(self) -> None:
        """Wait until every submission so far is mined (automine batches per loop tick)."""
        if self._batcher is not None:
            await self._batcher.settled()

    async def stop(self) -> None:
        self.stop_services()
        if self._servers is not None:
            await self._servers.stop()
            self._servers = None
        self.sequencer.log.close()

    async def serve_forever(self) -> None:
        assert self._servers is not None
        await self._servers.serve_forever()
