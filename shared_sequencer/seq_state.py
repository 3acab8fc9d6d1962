"""The sequencer's state, declared once for the mixins that make up ``Sequencer``
(seq_dev.py, seq_faults.py, seq_settlement.py), and the small records it keeps: the devnet
``Clock`` and a ``Snapshot``. ``Sequencer`` (sequencer.py) owns and initialises all of it; the
declarations here only tell the type checker what each mixin may use."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chains.block import BlockEnv, PendingTx, SealedBlock
from chains.deposits import L1Origin
from chains.errors import XCallFailure
from chains.rollup import RollupChain
from shared_sequencer import faults as fault_modes
from shared_sequencer import window as windows
from shared_sequencer.builders import Envs
from shared_sequencer.bundles import BundleBook
from shared_sequencer.log import SuperblockLog
from shared_sequencer.mempool import Mempool
from shared_sequencer.mining import MiningMode
from shared_sequencer.relay import Relay, RelayPolicy
from shared_sequencer.superblock import SuperBlock


@dataclass
class Clock:
    """Devnet time: wall clock plus an offset, or a timestamp forced for the next superblock."""

    offset: int = 0
    next_timestamp: int | None = None

    def next(self, parent_timestamp: int) -> int:
        if self.next_timestamp is not None:
            return self.next_timestamp
        return max(int(time.time()) + self.offset, parent_timestamp + 1)


@dataclass
class Snapshot:
    height: int
    chain_heights: dict[int, int]
    state_roots: dict[int, bytes]
    pools: dict[int, Mempool]  # the pools that held anything (the others were empty)
    clock: Clock
    next_base_fee: int | None
    log_length: int
    bundles: BundleBook
    relays: list[Relay]
    gas_limits: dict[int, int] = field(default_factory=dict)  # evm_setBlockGasLimit's, per chain
    deposits: dict[int, list[PendingTx]] = field(default_factory=dict)
    l1_origins: dict[int, L1Origin] = field(default_factory=dict)
    windows: windows.Windows = field(default_factory=windows.Windows)
    next_prev_randao: bytes | None = None



class SequencerState:
    """What the mixins of ``Sequencer`` read and write (set up by ``Sequencer.__post_init__``)."""

    chains: dict[int, RollupChain]
    mode: MiningMode
    log: SuperblockLog
    clock: Clock
    coinbase: bytes
    relay_policy: RelayPolicy
    pools: dict[int, Mempool]
    _pooled: set[int]
    bundles: BundleBook
    superblocks: list[SuperBlock]
    _order: dict[int, int]
    _superblock_of: dict[int, list[int]]
    impersonated: set[bytes]
    next_base_fee: int | None
    next_prev_randao: bytes | None
    snapshots: dict[int, Snapshot]
    _next_snapshot: int
    mode_listeners: list[Callable[[], None]]
    clock_listeners: list[Callable[[], None]]
    xcall_errors: dict[bytes, XCallFailure]
    relays: list[Relay]
    deposits: dict[int, list[PendingTx]]
    l1_origins: dict[int, L1Origin]
    _l1_deposits: dict[int, list[tuple[PendingTx, L1Origin | None]]]
    settled: bool
    safe_superblock: int
    finalized_superblock: int
    _carriers: list[tuple[int, int]]
    faults: fault_modes.FaultBook
    _invalidated: dict[bytes, str] | None
    windows: windows.Windows
    _forcing: bool

    if TYPE_CHECKING:  # defined by Sequencer (sequencer.py)
        @property
        def head(self) -> SuperBlock: ...

        def chain(self, chain_id: int) -> RollupChain: ...

        def block_at(self, chain_id: int, number: int) -> int: ...

        def block_envs(self, timestamp: int, base_fee: int | None = None) -> Envs: ...

        def mine(self, timestamp: int | None = None, allow_empty: bool = True,
                 chains: Collection[int] | None = None) -> SuperBlock: ...

        def mine_pending(self) -> None: ...

        def _automine(self) -> None: ...

        def commit(self, number: int, ts: int, parent: SuperBlock, sealed: dict[int, SealedBlock],
                   envs: Mapping[int, BlockEnv], bundles: tuple[bytes, ...],
                   logged_legs: dict[bytes, list[tuple[int, bytes]]] | None = None) -> SuperBlock: ...

        def _included_deposits(self) -> set[bytes]: ...

        def _requeue_deposits(self, included: set[bytes]) -> None: ...
