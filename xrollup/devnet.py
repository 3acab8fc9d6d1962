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

from chains.genesis import Predeploy, dev_accounts
from chains.rollup import BlockRef, CallMessage, ChainConfig, MinedBlock, MinedTx, RollupChain
from rpc.eth import views
from rpc.eth.errors import to_rpc_error
from rpc.eth.filters import ChainEvents, find_logs
from rpc.eth.params import LogFilter
from rpc.eth.table import build_table
from rpc.jsonrpc import Dispatcher
from rpc.server import Endpoint, ServerGroup, build_app
from shared_sequencer.log import FORMAT_VERSION, SuperblockLog, load_entries
from shared_sequencer.mining import MiningService, mode_from_flags
from shared_sequencer.ordering import policy
from shared_sequencer.replay import replay
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.superblock import SuperBlock
from xrollup.config import DevnetConfig

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
                saved = {k: (tuple(v) if k == "chain_ids" else v) for k, v in genesis["config"].items()}
                config = dataclasses.replace(config, **saved)
        if not config.genesis_timestamp:
            config = dataclasses.replace(config, genesis_timestamp=int(time.time()))
        self.config = config
        self.predeploys = default_predeploys() if predeploys is None else predeploys
        self.accounts = dev_accounts(config.mnemonic, config.accounts)
        self._keys = {a.address: a.private_key for a in self.accounts}
        chains = {
            cid: RollupChain(
                ChainConfig(cid, config.gas_limit, config.base_fee, config.balance_wei, config.genesis_timestamp,
                            self.predeploys),
                self.accounts,
            )
            for cid in config.chain_ids
        }
        self.sequencer = Sequencer(chains, mode=mode_from_flags(config.block_time, config.no_mining),
                                   order=policy(config.order), log=SuperblockLog(state_dir))
        self.events = {cid: ChainEvents(chain) for cid, chain in chains.items()}
        self.sequencer.superblock_listeners.append(self._on_superblock)
        self.sequencer.pending_listeners.append(self._on_pending)
        self.sequencer.log.append({"t": "genesis", "version": FORMAT_VERSION, "config": config.genesis_json()}, sync=False)
        if entries:
            replayed = replay(self.sequencer, entries[1:])
            log.info("replayed %d superblocks from %s", replayed, state_dir)
        self.sequencer.log.open()
        if state_dir is not None and not entries:
            self.sequencer.log._write(self.sequencer.log.entries[0], sync=True)
        self.dispatchers = {
            cid: Dispatcher(build_table(self, cid, self.events[cid]), error_mapper=to_rpc_error,
                            on_call=None if config.silent else self._log_call(cid))
            for cid in chains
        }
        self.urls: dict[int, str] = {}
        self._servers: ServerGroup | None = None
        self._mining: MiningService | None = None
        self._mining_task: asyncio.Task[None] | None = None

    # -- what the RPC handlers ask of the devnet ----------------------------------------------

    def chain(self, chain_id: int) -> RollupChain:
        return self.sequencer.chain(chain_id)  # type: ignore[no-any-return]

    def private_key(self, address: bytes) -> bytes | None:
        return self._keys.get(address)

    def call(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> bytes:
        return self.chain(chain_id).call(msg, ref)

    def estimate_gas(self, chain_id: int, msg: CallMessage, ref: BlockRef) -> int:
        return self.chain(chain_id).estimate_gas(msg, ref)

    def receipt_json(self, chain_id: int, mined: MinedTx) -> dict[str, Any]:
        return views.receipt_json(mined, chain_id)

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
        """Bind every chain's port and start the interval-mining loop. Raises OSError naming
        a port that is taken."""
        endpoints = [
            Endpoint(self.config.host, self.config.port_of(cid), build_app(d, title=f"xrollup chain {cid}"))
            for cid, d in self.dispatchers.items()
        ]
        self._servers = ServerGroup(endpoints)
        await self._servers.start()
        for cid, port in zip(self.dispatchers, self._servers.ports, strict=True):
            self.urls[cid] = f"http://{self.config.host}:{port}"
        self._mining = MiningService(lambda: self.sequencer.mode, self.sequencer.mine)
        self.sequencer.mode_listeners.append(self._mining.wake)
        self._mining_task = asyncio.create_task(self._mining.run())

    async def stop(self) -> None:
        if self._mining_task is not None:
            self._mining_task.cancel()
        if self._servers is not None:
            await self._servers.stop()
        self.sequencer.log.close()

    async def serve_forever(self) -> None:
        assert self._servers is not None
        await self._servers.serve_forever()
