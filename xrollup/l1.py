"""The L1's endpoint: wiring only (the L1 itself is settlement/l1.py).

The L1 runs under a sequencer of its own, behind a ``Backend`` of its own, so the whole node
method table (eth_*, anvil_*, evm_*, debug_*) answers on its port unchanged. ``L1Node`` builds
it from the devnet's configuration, serves as the backend's factory for anvil_reset and
anvil_loadState on the L1's endpoint, and feeds the L1's filters and subscriptions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend import Backend
from backend.dumps import DumpError
from backend.reads import ReadLimits
from chains.errors import XRollupError
from chains.genesis import DevAccount
from chains.rollup import MinedBlock
from node.errors import to_rpc_error
from node.filters import ChainEvents, FilterLimits
from node.table import build_table
from rpc.jsonrpc import Dispatcher
from settlement.contracts import l1_predeploys
from settlement.l1 import L1Sequencer, L1Settings, L1Ticker, new_l1
from shared_sequencer.log import FORMAT_VERSION, SuperblockLog, load_entries
from shared_sequencer.replay import replay
from shared_sequencer.sequencer import Sequencer
from shared_sequencer.superblock import SuperBlock
from xrollup.config import DevnetConfig

L1_DIR = "l1"  # the L1's own superblock log, under --state-dir


class L1Node:
    def __init__(self, config: DevnetConfig, accounts: tuple[DevAccount, ...], devnet: Callable[[], Sequencer],
                 on_install: Callable[[L1Sequencer], None]) -> None:
        """``devnet``: the rollups' current sequencer (its clock is the devnet's).
        ``on_install``: called with each new L1 sequencer (at start, reset, load), before it
        mines, so that the settlement services attach to it."""
        self.config = config
        self.settings = L1Settings(config.l1_chain_id, config.l1_block_time, config.l1_finality_depth)
        self.accounts = accounts
        self.predeploys = l1_predeploys(config.chain_ids)
        self._devnet = devnet
        self._on_install = on_install
        self.directory = Path(config.state_dir) / L1_DIR if config.state_dir else None
        entries = load_entries(self.directory) if self.directory is not None else []
        if entries and entries[0]["config"].get("rollups") != list(config.chain_ids):
            raise ValueError(f"{self.directory}: the L1 there settles chains {entries[0]['config'].get('rollups')}, "
                             f"not {list(config.chain_ids)}")
        genesis = int(entries[0]["config"]["genesis_timestamp"]) if entries else config.genesis_timestamp
        seq = self._new(genesis, entries[1:], self.directory)
        self.backend = Backend(seq, self, accounts, self.predeploys, ReadLimits(config.gas_cap, config.evm_timeout))
        self.backend.install_listeners.append(self._installed)
        self.events = ChainEvents(self.backend, self.chain_id, None,
                                  FilterLimits(config.filter_timeout, config.max_filters))
        self.dispatcher = Dispatcher(build_table(self.backend, self.chain_id, self.events), error_mapper=to_rpc_error)
        self.ticker = L1Ticker(self.settings.block_time, lambda: self.sequencer)
        self.url: str | None = None
        self._installed(seq)

    @property
    def chain_id(self) -> int:
        return self.settings.chain_id

    @property
    def sequencer(self) -> L1Sequencer:
        seq = self.backend.sequencer
        assert isinstance(seq, L1Sequencer)
        return seq

    def _genesis_json(self, genesis_timestamp: int) -> dict[str, Any]:
        cfg = dataclasses.replace(self.config, genesis_timestamp=genesis_timestamp).genesis_json()
        return {**cfg, "chain_ids": [self.chain_id], "rollups": list(self.config.chain_ids)}

    def _new(self, genesis_timestamp: int, entries: list[dict[str, Any]], directory: Path | None) -> L1Sequencer:
        cfg = self.config
        seq = new_l1(self.settings, self.accounts, self.predeploys, cfg.gas_limit, cfg.base_fee, cfg.balance_wei,
                     genesis_timestamp, cfg.hardfork, self._devnet, SuperblockLog(directory))
        seq.log.append({"t": "genesis", "version": FORMAT_VERSION, "config": self._genesis_json(genesis_timestamp)},
                       sync=False)
        if entries:
            replay(seq, entries)
        if directory is not None:
            seq.log.open()
            seq.log.write_genesis()
        return seq

    def _on_block(self, superblock: SuperBlock, mined: dict[int, MinedBlock]) -> None:
        for block in mined.values():
            self.events.on_block(block)
        self.events.on_tags()  # the settlement services, listening first, have moved them

    def _installed(self, seq: Sequencer) -> None:
        """A new L1 sequencer: the settlement services attach first, then its filters and
        subscriptions listen."""
        assert isinstance(seq, L1Sequencer)
        self._on_install(seq)
        seq.superblock_listeners.append(self._on_block)

    # -- the backend's factory (anvil_reset, anvil_loadState on the L1's endpoint) ------------

    def fresh(self) -> Sequencer:
        return self._new(int(time.time()), [], None)

    def from_log(self, entries: list[dict[str, Any]], progress: Callable[[int], None] | None) -> Sequencer:
        saved = entries[0].get("config", {})
        if saved.get("chain_ids") != [self.chain_id] or saved.get("rollups") != list(self.config.chain_ids):
            raise DumpError(f"the state is not of this devnet's L1 (chain {self.chain_id} settling "
                            f"{list(self.config.chain_ids)})")
        try:
            return self._new(int(saved["genesis_timestamp"]), entries[1:], None)
        except (XRollupError, ValueError, KeyError, TypeError) as exc:
            raise DumpError(f"the state does not replay: {exc}") from exc

    # -- serving -----------------------------------------------------------------------------

    def start_services(self) -> None:
        """Automine batching and the L1's block ticker, on the running event loop. Idempotent."""
        self.backend.start_services()
        self.ticker.start()

    def stop_services(self) -> None:
        self.ticker.stop()
        self.backend.stop_services()

    def close(self) -> None:
        self.sequencer.log.close()
