"""The L1 chain: one more chain in the process, on the same engine, not sequenced by the
shared sequencer.

It runs under a sequencer of its own (``L1Sequencer``, one chain), so that every node method
works on its endpoint unchanged: it mines a user's transaction at once (automine, as anvil
does) and a block every ``block_time`` seconds besides (``L1Ticker``). Just before each of its
blocks is built, the ``before_block`` hooks run: the batcher and the proposer pool their
transactions there, so that the rollups never wait on the L1. Its clock (``L1Clock``) is the
devnet's: time travel on any endpoint moves the L1 and the rollups together.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from chains.block import PendingTx
from chains.genesis import DevAccount, Predeploy
from chains.rollup import ChainConfig, RollupChain
from shared_sequencer.budget import Budget
from shared_sequencer.builders import Build
from shared_sequencer.log import SuperblockLog
from shared_sequencer.mining import Automine
from shared_sequencer.seq_state import Clock
from shared_sequencer.sequencer import Sequencer

log = logging.getLogger("xrollup.l1")


@dataclass(frozen=True)
class L1Settings:
    """The L1's flags: --l1.chain-id, --l1.block-time, --l1.finality-depth."""

    chain_id: int = 900
    block_time: float = 2.0
    finality_depth: int = 4


class L1Clock(Clock):
    """The L1's reading of the devnet clock. The offset (evm_increaseTime, anvil_setTime) is
    the rollups' sequencer's, read and written through ``devnet``; a next timestamp set on the
    L1 (evm_setNextBlockTimestamp) is the L1's own and moves the devnet's offset up to it; and an
    L1 block is never older than the rollups' newest superblock."""

    def __init__(self, devnet: Callable[[], Sequencer]) -> None:
        self._devnet = devnet
        self._next: int | None = None

    @property  # type: ignore[override]
    def offset(self) -> int:
        return self._devnet().clock.offset

    @offset.setter
    def offset(self, value: int) -> None:
        self._devnet().clock.offset = value

    @property  # type: ignore[override]
    def next_timestamp(self) -> int | None:
        return self._next

    @next_timestamp.setter
    def next_timestamp(self, value: int | None) -> None:
        self._next = value
        if value is not None:
            clock = self._devnet().clock
            clock.offset = max(clock.offset, value - int(time.time()))

    def next(self, parent_timestamp: int) -> int:
        if self._next is not None:
            return self._next
        return max(int(time.time()) + self.offset, parent_timestamp + 1, self._devnet().head.timestamp)


class L1Sequencer(Sequencer):
    """The L1's sequencer: one chain; ``before_block`` hooks run before each block is built."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.before_block: list[Callable[[], None]] = []
        self.revert_listeners: list[Callable[[], None]] = []  # told after evm_revert moved the L1 back
        self._in_hooks = False

    @property
    def chain_id(self) -> int:
        return next(iter(self.chains))

    @property
    def l1(self) -> RollupChain:
        return self.chains[self.chain_id]

    def pool(self, pending: PendingTx) -> bytes:
        """Pool an operator's transaction for the next block without mining at once (the
        hooks call it while a block is about to be built). Raises TransactionRejected."""
        self.check(self.chain_id, pending)
        self.pools[self.chain_id].add(pending)
        self._pooled.add(self.chain_id)
        for listener in self.pending_listeners:
            listener(self.chain_id, pending.hash)
        return pending.hash

    def revert(self, snap_id: int) -> bool:
        """As ``Sequencer.revert``; then the ``revert_listeners`` learn of it."""
        if not super().revert(snap_id):
            return False
        for listener in list(self.revert_listeners):
            listener()
        return True

    def prepare(self, timestamp: int | None = None, chains: Collection[int] | None = None,
                budget: Budget | None = None, off_loop: bool = False) -> Build:
        """Every block starts here (``mine``, and the mining service's own steps): the
        ``before_block`` hooks run first, so that what they pool is in the block."""
        if not self._in_hooks:
            self._in_hooks = True
            try:
                for hook in list(self.before_block):
                    hook()
            finally:
                self._in_hooks = False
        return super().prepare(timestamp, chains, budget, off_loop)


def new_l1(settings: L1Settings, accounts: tuple[DevAccount, ...], predeploys: tuple[Predeploy, ...],
           gas_limit: int, base_fee: int, balance_wei: int, genesis_timestamp: int, hardfork: str,
           devnet: Callable[[], Sequencer], superblock_log: SuperblockLog | None = None) -> L1Sequencer:
    """A fresh L1 at ``genesis_timestamp``, automining, on the devnet's clock, logging to
    ``superblock_log`` (default: in memory)."""
    chain = RollupChain(ChainConfig(settings.chain_id, gas_limit, base_fee, balance_wei, genesis_timestamp,
                                    predeploys, hardfork), accounts)
    return L1Sequencer({settings.chain_id: chain}, mode=Automine(), log=superblock_log if superblock_log is not None else SuperblockLog(),
                       clock=L1Clock(devnet))


class L1Ticker:
    """Mines an L1 block every ``seconds`` on the event loop, whether or not there is work,
    as an L1's slots come."""

    def __init__(self, seconds: float, sequencer: Callable[[], L1Sequencer]) -> None:
        self.seconds = seconds
        self._sequencer = sequencer
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start on the running event loop. Idempotent."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            try:
                self._sequencer().mine()
            except Exception:  # an L1 block that cannot be built must not stop the next ones
                log.exception("the L1 block could not be mined")
