"""The devnet's configuration: what the CLI flags and the Python API set, in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

from chains.engine import DEFAULT_FORK, FORKS
from chains.genesis import DEFAULT_MNEMONIC, WEI_PER_ETH
from shared_sequencer.budget import DEFAULT_BUDGET_SECONDS, DEFAULT_MAX_DEFERRALS
from shared_sequencer.faults import named_chains, parse_fault_flag
from shared_sequencer.ordering import PolicySettings as OrderSettings
from shared_sequencer.ordering import build_orders


@dataclass(frozen=True)
class DevnetConfig:
    chain_ids: tuple[int, ...] = (901, 902)
    host: str = "127.0.0.1"
    port: int = 9545  # the first chain's; the next chains take the following ports
    accounts: int = 10
    balance_eth: int = 10_000
    mnemonic: str = DEFAULT_MNEMONIC
    gas_limit: int = 30_000_000
    base_fee: int = 1_000_000_000
    block_time: float | None = None  # every chain's interval, or the default for chains not in block_times
    block_times: tuple[tuple[int, float], ...] = ()  # (chain id, seconds): per-chain intervals
    no_mining: bool = False
    order: str = "fees"  # a policy name, or per chain: "901=fees,902=random"
    order_seed: int = 0  # the random policy's seed
    express_lane_round: float = 60.0  # seconds per express-lane round
    express_lane_delay: float = 0.2  # seconds everyone but the express-lane controller waits
    silent: bool = False
    state_dir: str | None = None
    genesis_timestamp: int = 0
    gas_cap: int = 50_000_000  # most gas a read may use (geth's RPCGasCap); 0: no cap
    evm_timeout: float = 5.0  # seconds a read may run (geth's RPCEVMTimeout); 0: no limit
    filter_timeout: float = 300.0  # seconds a polling filter lives unpolled (geth: 5 minutes); 0: forever
    max_filters: int = 10_000  # polling filters per chain
    mining_budget: float = DEFAULT_BUDGET_SECONDS  # seconds an automine build runs while others wait (0: no budget)
    max_deferrals: int = DEFAULT_MAX_DEFERRALS  # times a transaction past the budget is deferred at most
    hardfork: str = DEFAULT_FORK  # prague or osaka: what every chain executes (chains/engine/forks.py)
    extra: dict[str, Any] = field(default_factory=dict)
    # supersim's: the admin API's port (None: no admin server; 0: a free port), whether the
    # sequencer relays OP messages itself, and after how many seconds.
    admin_port: int | None = None
    autorelay: bool = True
    relay_delay: int = 0
    dependency_set: tuple[int, ...] | None = None  # supersim's --dependency.set; None: all chains
    logs_directory: str | None = None  # each chain's call log goes to <dir>/anvil-<chain id>.log
    # The settlement layer (settlement/): an L1 chain beside the rollups. The CLI, the Python API
    # and the pytest plugin turn it on (--no-l1: off); a bare configuration runs without it.
    l1: bool = False
    l1_port: int | None = None  # None: 8545, or a free port when ``port`` is 0
    l1_chain_id: int = 900
    l1_block_time: float = 2.0  # seconds between L1 blocks (the L1 also mines a user's transaction at once)
    l1_finality_depth: int = 4  # an L1 block this many blocks under the L1's head is final
    withdrawal_delay: int = 12  # seconds from a withdrawal's proof (and its output's proposal) to its finalization
    sequencing_window: int = 4  # L1 blocks within which every deposit is included (shared_sequencer/window.py)
    faults: tuple[str, ...] = ()  # --fault: fault modes the sequencer starts with (shared_sequencer/faults.py)

    def __post_init__(self) -> None:
        if not self.chain_ids:
            raise ValueError("at least one chain is needed")
        if len(set(self.chain_ids)) != len(self.chain_ids):
            raise ValueError(f"duplicate chain ids in {list(self.chain_ids)}")
        for cid in self.chain_ids:
            if not 0 < cid < 2**64:
                raise ValueError(f"chain id {cid} is out of range")
        unknown = [cid for cid, _ in self.block_times if cid not in self.chain_ids]
        if unknown:
            raise ValueError(f"--block-time names chain {unknown[0]}, which is not one of --chains")
        if self.block_times and self.block_time is None:
            named = {cid for cid, _ in self.block_times}
            missing = [cid for cid in self.chain_ids if cid not in named]
            if missing:
                raise ValueError(f"--block-time gives no interval for chain {missing[0]}: name every chain, "
                                 f"or give a default (--block-time SECONDS,{self.block_times[0][0]}=...)")
        if self.port and self.port + len(self.chain_ids) - 1 > 65535:
            raise ValueError(f"--port {self.port}: {len(self.chain_ids)} chains need ports up to "
                             f"{self.port + len(self.chain_ids) - 1}, past 65535")
        if self.accounts < 1:
            raise ValueError("--accounts must be at least 1")
        if self.dependency_set:
            if len(self.dependency_set) < 2:
                raise ValueError(f"dependency set must contain at least 2 chains to be bidirectional, "
                                 f"got {list(self.dependency_set)}")
            for cid in self.dependency_set:
                if cid not in self.chain_ids:
                    raise ValueError(f"chain ID {cid} in dependency set is not running locally "
                                     f"(available chains: {list(self.chain_ids)})")
        if self.relay_delay < 0:
            raise ValueError("--interop.delay must not be negative")
        if self.gas_limit < 21_000:
            raise ValueError("--gas-limit must be at least 21000")
        if self.gas_cap < 0 or (0 < self.gas_cap < 21_000):
            raise ValueError("--gas-cap must be 0 (no cap) or at least 21000")
        if not self.evm_timeout >= 0 or not self.filter_timeout >= 0:
            raise ValueError("--evm-timeout and --filter-timeout must be 0 or more seconds")
        if self.max_filters < 1:
            raise ValueError("--max-filters must be at least 1")
        if not self.mining_budget >= 0 or self.max_deferrals < 0:
            raise ValueError("--mining-budget and --max-deferrals must not be negative")
        if self.hardfork not in FORKS:
            raise ValueError(f"--hardfork {self.hardfork!r} is not supported: use one of {', '.join(FORKS)}")
        build_orders(self.order, self.order_settings, self.chain_ids)  # raises ValueError
        if self.l1:
            if self.l1_chain_id in self.chain_ids:
                raise ValueError(f"--l1.chain-id {self.l1_chain_id} is also one of --chains")
            if not 0 < self.l1_chain_id < 2**64:
                raise ValueError(f"--l1.chain-id {self.l1_chain_id} is out of range")
            if not self.l1_block_time > 0:
                raise ValueError("--l1.block-time must be more than 0 seconds")
            if self.l1_finality_depth < 0:
                raise ValueError("--l1.finality-depth must be 0 or more")
            if not 0 <= self.withdrawal_delay < 2**64:
                raise ValueError(f"--withdrawal-delay {self.withdrawal_delay} is out of range")
            if self.sequencing_window < 1:
                raise ValueError("--sequencing-window must be 1 or more")
            if not 0 <= self.l1_listen_port <= 65535:
                raise ValueError(f"--l1.port {self.l1_listen_port} is out of range")
        self._check_faults()

    def _check_faults(self) -> None:
        """Raises ValueError for a --fault that does not parse or names a chain not run here."""
        for text in self.faults:
            for cid in sorted(named_chains(parse_fault_flag(text)) - set(self.chain_ids)):
                raise ValueError(f"--fault {text}: chain {cid} is not one of --chains {list(self.chain_ids)}")

    @property
    def order_settings(self) -> OrderSettings:
        return OrderSettings(self.order_seed, self.express_lane_round, self.express_lane_delay)

    @property
    def balance_wei(self) -> int:
        return self.balance_eth * WEI_PER_ETH

    @property
    def l1_listen_port(self) -> int:
        """The L1's port: --l1.port, else 8545 (supersim's), or a free one when the rollups
        take free ports (--port 0)."""
        if self.l1_port is not None:
            return self.l1_port
        return 8545 if self.port else 0

    def port_of(self, chain_id: int) -> int:
        return self.port + self.chain_ids.index(chain_id) if self.port else 0

    def with_genesis(self, saved: dict[str, Any]) -> DevnetConfig:
        """This configuration with the chain-defining fields of a log's genesis entry (what
        ``genesis_json`` wrote); serving options (host, port, mining...) stay. A genesis entry
        without a hardfork was written before there was a choice: Prague. Raises ValueError
        for a genesis entry that is not one."""
        try:
            return dataclasses.replace(
                self, chain_ids=tuple(int(c) for c in saved["chain_ids"]), accounts=int(saved["accounts"]),
                balance_eth=int(saved["balance_eth"]), mnemonic=str(saved["mnemonic"]),
                gas_limit=int(saved["gas_limit"]), base_fee=int(saved["base_fee"]),
                genesis_timestamp=int(saved["genesis_timestamp"]), hardfork=str(saved.get("hardfork", "prague")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a genesis entry: {exc}") from None

    def genesis_json(self) -> dict[str, Any]:
        """What the superblock log's genesis entry records to rebuild the same chains."""
        keep = ("chain_ids", "accounts", "balance_eth", "mnemonic", "gas_limit", "base_fee", "genesis_timestamp",
                "hardfork")
        data = asdict(self)
        return {k: (list(data[k]) if k == "chain_ids" else data[k]) for k in keep}
