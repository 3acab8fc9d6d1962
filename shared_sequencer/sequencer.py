"""The shared sequencer: the only writer of chain state.

It keeps one mempool per chain, builds superblocks (a block for each chain with work in it;
every chain on evm_mine and interval ticks), commits them to those chains at once, appends
them to the superblock log and tells listeners. It also owns the devnet's clock, snapshots
and dev-method state edits (seq_dev.py), fault modes and reorgs (seq_faults.py) and its side
of the settlement layer: safe heads, deposits and the sequencing window (seq_settlement.py);
those mixins share the state declared in seq_state.py. Everything here is synchronous and
runs on the server's event loop, so no reader ever sees half a superblock; only ``build``
may run in the mining service's worker thread, on what ``prepare`` took for it, and changes
nothing that readers see (``commit_built``, back on the loop, does).
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_typing import Address

from chains.block import BlockEnv, PendingTx, SealedBlock, base_fee_of
from chains.deposits import L1Origin
from chains.errors import (
    BlockNotFound,
    BundleFailed,
    BundleFailure,
    ChainHalted,
    InvalidInput,
    SequencerDown,
    TransactionRejected,
    UnknownChain,
    XCallFailure,
)
from chains.mailbox import MESSENGER, SEQUENCER, system_tx
from chains.rollup import MinedBlock, RollupChain
from chains.txbuild import tx_chain_id
from shared_sequencer import admission, interop
from shared_sequencer import faults as fault_modes
from shared_sequencer import window as windows
from shared_sequencer.budget import DEFAULT_MAX_DEFERRALS, Budget
from shared_sequencer.builders import Build, Builders, Built, Envs, PerChain
from shared_sequencer.bundles import Bundle, BundleBook, execute_bundle
from shared_sequencer.log import SuperblockLog
from shared_sequencer.mempool import Mempool, PoolTx
from shared_sequencer.mining import Automine, MiningMode
from shared_sequencer.ordering import ExpressLane, Fees, OrderingPolicy, Round
from shared_sequencer.relay import RELAY_GAS, Relay, RelayPolicy, relayed_keys, sent_messages
from shared_sequencer.seq_dev import DevMixin
from shared_sequencer.seq_faults import FaultsMixin
from shared_sequencer.seq_settlement import SettlementMixin
from shared_sequencer.seq_state import Clock, Snapshot
from shared_sequencer.superblock import BlockBody, ChainBlockRef, SuperBlock, SuperblockRecord
from shared_sequencer.xcall import apply_with_xcalls

MAX_RELAY_ROUNDS = 8
_log = logging.getLogger(__name__)
SuperblockListener = Callable[[SuperBlock, dict[int, MinedBlock]], None]
PendingListener = Callable[[int, bytes], None]

@dataclass
class Sequencer(DevMixin, FaultsMixin, SettlementMixin):
    chains: dict[int, RollupChain]
    mode: MiningMode = field(default_factory=Automine)
    order: OrderingPolicy = field(default_factory=Fees)
    log: SuperblockLog = field(default_factory=SuperblockLog)
    clock: Clock = field(default_factory=Clock)
    coinbase: bytes = b"\x00" * 20
    relay_policy: RelayPolicy = field(default_factory=RelayPolicy)  # --interop.autorelay / .delay
    chain_orders: dict[int, OrderingPolicy] = field(default_factory=dict)  # per-chain overrides of ``order``
    sequencing_window: int = windows.DEFAULT_WINDOW  # L1 blocks a deposit may wait (window.py)
    max_deferrals: int = DEFAULT_MAX_DEFERRALS  # --max-deferrals (budget.py)

    def __post_init__(self) -> None:
        self.pools: dict[int, Mempool] = {cid: Mempool() for cid in self.chains}
        self._pooled: set[int] = set()  # chains whose pool may hold something: what ``mine`` looks at
        self.bundles = BundleBook()
        self.superblocks: list[SuperBlock] = [self._genesis_superblock()]
        self._order = {cid: index for index, cid in enumerate(self.chains)}  # superblock refs in --chains order
        # Per chain, the superblock each of its blocks belongs to (index: the chain's block number).
        self._superblock_of: dict[int, list[int]] = {cid: [0] for cid in self.chains}
        self.impersonated: set[bytes] = set()
        self.next_base_fee: int | None = None
        self.next_prev_randao: bytes | None = None  # the next blocks' mixHash, once (anvil_setNextBlockPrevRandao)
        self.snapshots: dict[int, Snapshot] = {}
        self._next_snapshot = 1
        self.superblock_listeners: list[SuperblockListener] = []
        self.pending_listeners: list[PendingListener] = []
        self.mode_listeners: list[Callable[[], None]] = []
        # called when the devnet clock moved, or waiting work came back (evm_increaseTime,
        # anvil_setTime, evm_setNextBlockTimestamp, evm_revert): what waits for time is due sooner
        self.clock_listeners: list[Callable[[], None]] = []
        # Why a cross-rollup transaction reverted, by tx hash: (chain that failed, reason).
        self.xcall_errors: dict[bytes, XCallFailure] = {}  # why a cross-rollup transaction reverted
        self.relays: list[Relay] = []  # OP messages waiting for the next superblock
        self.deposits: dict[int, list[PendingTx]] = {}  # OP deposits waiting for their chain's next block
        self.l1_origins: dict[int, L1Origin] = {}  # the L1 origin each chain's next block writes into L1Block
        # Every deposit handed in, per chain in the L1's order, with its L1 origin: what the L1
        # holds, kept through evm_revert and reorgs (a rollup must include every one of them).
        self._l1_deposits: dict[int, list[tuple[PendingTx, L1Origin | None]]] = {}
        self._automine_scheduler: Callable[[], None] | None = None
        self.deferrals: dict[bytes, int] = {}  # times a pooled transaction was interrupted (budget.py)
        self._deferred_next: set[bytes] = set()  # left out of the next superblock
        self._ordered_at: dict[int, float] = {}  # per chain, the time its pool was last ordered
        # Settlement (settlement/): once an L1 settles this devnet (``mark_safe``), the highest
        # superblock whose batch is in an L1 block, and the highest whose L1 block is final.
        self.settled = False
        self.safe_superblock = 0
        self.finalized_superblock = 0
        self._carriers: list[tuple[int, int]] = []  # (last superblock carried, L1 block number), ascending
        self.faults = fault_modes.FaultBook()  # fault modes (shared_sequencer/faults.py)
        self._invalidated: dict[bytes, str] | None = None  # a reorg's re-sequencing: what was dropped, why
        self.windows = windows.Windows(self.sequencing_window)  # each deposit's deadline and inclusion
        self._forcing = False  # ``enforce_window`` is committing a forced superblock

    # -- lookups ------------------------------------------------------------------------

    def chain(self, chain_id: int) -> RollupChain:
        try:
            return self.chains[chain_id]
        except KeyError:
            raise UnknownChain(chain_id) from None

    @property
    def head(self) -> SuperBlock:
        return self.superblocks[-1]

    def superblock(self, number: int) -> SuperBlock:
        if 0 <= number < len(self.superblocks):
            return self.superblocks[number]
        raise BlockNotFound(f"superblock {number} not found (height {len(self.superblocks) - 1})")

    def superblock_of(self, chain_id: int, block_number: int) -> SuperBlock:
        """The superblock that holds block ``block_number`` of ``chain_id``. Raises
        UnknownChain, BlockNotFound."""
        numbers = self._superblock_of.get(chain_id)
        if numbers is None:
            raise UnknownChain(chain_id)
        if not 0 <= block_number < len(numbers):
            raise BlockNotFound(f"block {block_number} of chain {chain_id} not found")
        return self.superblocks[numbers[block_number]]

    def block_at(self, chain_id: int, number: int) -> int:
        """The number of ``chain_id``'s head as of superblock ``number`` (its last block in
        that superblock or an earlier one). Raises UnknownChain."""
        numbers = self._superblock_of.get(chain_id)
        if numbers is None:
            raise UnknownChain(chain_id)
        return bisect.bisect_right(numbers, number) - 1

    def heads_at(self, number: int) -> list[ChainBlockRef]:
        """Every chain's head as of superblock ``number`` (number, hash, state root), in
        --chains order: what a view lists beside the chains that advanced in it."""
        out = []
        for cid, chain in self.chains.items():
            block = chain.blocks[self.block_at(cid, number)]
            out.append(ChainBlockRef(cid, block.number, block.hash, bytes(block.header.state_root)))
        return out

    def superblock_json(self, superblock: SuperBlock, full: bool = False) -> dict[str, Any]:
        """The view of ``superblock``: the chains that advanced in it, and every chain's head;
        once an L1 settles the devnet, its status (unsafe, safe, finalized) and the number of
        the L1 block that carries its batch (null while unsafe)."""
        out = superblock.to_json(full, self.heads_at(superblock.number))
        if self.settled:
            carrier = self.l1_block_of(superblock.number)
            out["status"] = self.status_of(superblock.number)
            out["l1BlockNumber"] = hex(carrier) if carrier is not None else None
        return out

    def pending_nonce(self, chain_id: int, sender: bytes) -> int:
        """The next nonce for ``sender``: the state's, past any contiguous pooled ones."""
        nonce = self.chain(chain_id).state_at("latest").get_nonce(Address(sender))
        pool = self.pools[chain_id]
        while (sender, nonce) in pool.by_key:
            nonce += 1
        return int(nonce)

    def next_base_fee_of(self, chain_id: int) -> int:
        """The base fee the next block of ``chain_id`` will have."""
        if self.next_base_fee is not None:
            return self.next_base_fee
        return int(calculate_expected_base_fee_per_gas(self.chain(chain_id).head.header))

    # -- ordering (shared_sequencer/ordering.py) ------------------------------------------

    def order_of(self, chain_id: int) -> OrderingPolicy:
        """The policy that orders ``chain_id``'s pool."""
        return self.chain_orders.get(chain_id, self.order)

    def set_ordering(self, policy: OrderingPolicy, chain_id: int | None = None) -> None:
        """Order ``chain_id``'s pool (None: every chain's) with ``policy`` from the next block
        on; what a policy was holding back is mined at once if automine now allows it.
        Raises UnknownChain."""
        if chain_id is None:
            self.order = policy
            self.chain_orders.clear()
        else:
            self.chain_orders[self.chain(chain_id).chain_id] = policy
        for listener in self.mode_listeners:
            listener()
        if any(self.pools.values()):
            self._automine()

    def set_express_lane(self, controller: bytes | None, round_number: int | None = None,
                         chain_id: int | None = None) -> list[tuple[int, int]]:
        """Make ``controller`` (None: nobody) the express-lane controller of ``round_number``
        (None: the current round) on ``chain_id`` (None: every chain ordered by express-lane).
        Returns (chain id, round) for each chain set. Raises InvalidInput when no such chain
        is ordered by express-lane, UnknownChain."""
        cids = [self.chain(chain_id).chain_id] if chain_id is not None else list(self.chains)
        done: list[tuple[int, int]] = []
        for cid in cids:
            order = self.order_of(cid)
            if isinstance(order, ExpressLane):
                number = order.round_of(time.time()) if round_number is None else round_number
                order.set_controller(number, controller)
                done.append((cid, number))
        if not done:
            raise InvalidInput("no chain here is ordered by express-lane (set it with xr_setOrdering)")
        return done

    def release_at(self) -> float | None:
        """The earliest wall-clock time a transaction held back by its chain's policy becomes
        eligible (express-lane's delay), or None when nothing is held. Held means held when the
        pool was last ordered: one that became eligible since is due now (a past time)."""
        delayed = (fault_modes.release_at(self.faults, self._pooled_txs() + self.queued_deposits(),
                                          [(b.hash, b.legs) for b in self.bundles.queue])
                   if self.faults.active else None)
        holding = [cid for cid, pool in self.pools.items() if pool and self.order_of(cid).holds]
        if not holding:
            return delayed
        times = [t for cid, pool in self.pools.items() if cid in holding
                 for t in [pool.release_at(self.order_of(cid).bind(Round(self.head.number + 1,
                                                                          self._ordered_at.get(cid, 0.0))))]
                 if t is not None]
        return min([*times, delayed] if delayed is not None else times, default=None)

    def next_relay_due(self) -> float | None:
        """The earliest wall-clock time a waiting asynchronous message falls due (its relay
        policy's delay: --interop.delay, or a fault's message delay, has passed for the next
        superblock's timestamp), or None when no relay waits for the clock. A relay already due
        by time is not counted: it goes with the next superblock, or waits for what no clock
        brings (superblocks still to come, a fault, a timestamp set for the next block)."""
        if not self.relays or self.clock.next_timestamp is not None:
            return None
        due_now = set(self.relay_policy.due(self.relays, self.clock.next(self.head.timestamp)))
        due = self.relay_policy.next_due([r for r in self.relays if r not in due_now])
        return None if due is None else float(due - self.clock.offset)

    # -- submission ---------------------------------------------------------------------

    def check(self, chain_id: int, pending: PendingTx) -> None:
        """Refuse what could never be mined now (shared_sequencer/admission.py). Raises
        TransactionRejected (InvalidExecutingMessage for a forged executing message) or
        UnknownChain."""
        chain = self.chain(chain_id)
        nonce, balance = chain.head_account(pending.sender)
        code = chain.head_code(pending.sender)
        admission.admit(pending, admission.ChainRules(chain_id, chain.config.gas_limit, SEQUENCER,
                                                      chain.rules.tx_gas_limit_cap),
                        tx_chain_id(pending), admission.SenderAccount(nonce, balance, code),
                        self.next_base_fee_of(chain_id))
        # An executing message (OP interop) must name a real log of a committed block.
        interop.check_pending(pending, lambda cid, number: self.chain(cid).block(number))
        self.relay_policy.check_dependencies(chain_id, pending)  # --dependency.set

    def submit(self, chain_id: int, pending: PendingTx) -> bytes:
        """Pool a transaction (automine: mine at once). Returns its hash.

        Raises TransactionRejected (nothing pooled) or UnknownChain.

        The life of a transaction, from eth_sendRawTransaction to the superblock log:
        rpc/server.py and rpc/jsonrpc.py (framing, the method table's parameter parsers in
        node/params.py) -> node/eth.py (decode_raw in chains/txbuild.py recovers the sender)
        -> backend/core.py Backend.send_transaction -> here: ``check``, the chain's mempool
        (mempool.py), the pending listeners (node/filters.py), then ``_automine``. Mining
        happens: in automine mode, at the end of the event-loop tick through the mining
        service's AutomineBatcher (mining.py, batching.py; see ``set_automine_scheduler``),
        or inline here when no service runs; in interval mode, in the service's loop; in
        manual mode, on evm_mine / anvil_mine only. ``mine`` builds a block for each chain with work
        (chains/builder.py): relays, due bundles (bundles.py), then each pool in policy order
        (ordering.py), cross-rollup calls through xcall.py's ``apply_with_xcalls``; ``commit``
        appends the blocks to their chains (chains/rollup.py), appends the superblock to the
        log (log.py) and tells the superblock listeners. Back in the backend,
        ``settled`` returns once the batch is mined, and the handler answers with the hash.
        """
        self.check(chain_id, pending)
        self.pools[chain_id].add(pending)
        self._pooled.add(chain_id)
        self.faults.note_arrival(pending.hash, self.head.number)
        for listener in self.pending_listeners:
            listener(chain_id, pending.hash)
        self._automine()
        return pending.hash

    def set_automine_scheduler(self, schedule: Callable[[], None] | None) -> None:
        """Who mines an automine submission: None (the default) mines it inline, before
        ``submit`` returns; a scheduler is called instead and must call ``mine_pending`` soon.
        The mining service (shared_sequencer/mining.py) installs its ``AutomineBatcher``
        here while the devnet serves, so that one event-loop tick's submissions share one
        superblock."""
        self._automine_scheduler = schedule

    def _automine(self) -> None:
        if not isinstance(self.mode, Automine):
            return
        if self._automine_scheduler is not None:
            self._automine_scheduler()
        else:
            self.mine_pending()

    def mine_pending(self) -> None:
        """A superblock for what waits, then follow-ups while asynchronous messages wait to
        be relayed (bounded: contracts may answer each message with another). Nothing while
        the sequencer is down."""
        if fault_modes.is_down(self.faults):
            return
        self.mine(allow_empty=False)
        for _ in range(MAX_RELAY_ROUNDS):
            if not self._due_relays(self.clock.next(self.head.timestamp), self.head.number + 1):
                break
            self.mine(allow_empty=False)

    def submit_bundle(self, bundle: Bundle) -> bytes:
        """Queue an atomic bundle (automine: mine at once). Returns the bundle hash. Raises
        BundleFailed (a leg refused), ChainHalted (a leg on a halted chain); nothing is queued."""
        halted = fault_modes.halted_chains(self.faults)
        for index, (chain_id, pending) in enumerate(bundle.legs):
            if chain_id in halted:
                failure = BundleFailure(index, chain_id, pending.hash, "halted", f"chain {chain_id} is halted")
                self.bundles.refuse(bundle, failure, self.head.number)
                raise ChainHalted(chain_id, bundle.hash, index)
            try:
                self.check(chain_id, pending)
            except TransactionRejected as exc:
                failure = BundleFailure(index, chain_id, pending.hash, "rejected", str(exc))
                self.bundles.refuse(bundle, failure, self.head.number)
                raise BundleFailed(bundle.hash, failure) from exc
        self.bundles.add(bundle, self.head.number)
        self.faults.note_arrival(bundle.hash, self.head.number)
        self._automine()
        if self.faults.active:  # a delay may hold it: the mining service recomputes when to wake
            for listener in self.mode_listeners:
                listener()
        return bundle.hash

    def drop(self, chain_id: int, tx_hash: bytes) -> bool:
        """Remove one pooled transaction. Returns False if it was not pooled. Raises UnknownChain."""
        return self.pools[self.chain(chain_id).chain_id].remove(tx_hash) is not None

    def drop_all(self, chain_id: int) -> None:
        """Empty ``chain_id``'s pool. Raises UnknownChain."""
        self.pools[self.chain(chain_id).chain_id].clear()

    # -- building superblocks -----------------------------------------------------------

    def next_timestamp(self) -> int:
        """The timestamp the next superblock gets (the clock's, after the head's)."""
        return self.clock.next(self.head.timestamp)

    def block_env(self, chain_id: int, timestamp: int, base_fee: int | None = None) -> BlockEnv:
        """``chain_id``'s environment for a block at ``timestamp``: the next block's base fee
        (a forced one, else None: the builder computes it from the parent), unless
        ``base_fee`` is given (simulations that charge nothing pass 0)."""
        fee = base_fee if base_fee is not None else self.next_base_fee
        return BlockEnv(timestamp, self.chains[chain_id].config.gas_limit, self.coinbase, fee,
                        self.l1_origins.get(chain_id), prev_randao=self.next_prev_randao)

    def block_envs(self, timestamp: int, base_fee: int | None = None) -> Envs:
        """Every chain's environment for a block at ``timestamp`` (``block_env``), each made
        when first read."""
        return PerChain(self.chains, lambda cid: self.block_env(cid, timestamp, base_fee))

    def mine(self, timestamp: int | None = None, allow_empty: bool = True,
             chains: Collection[int] | None = None) -> SuperBlock:
        """Build, commit, log and announce one superblock. ``chains``: the chains whose pools
        are mined and which advance even with nothing to include (None: every chain; an
        interval tick passes the chains due). Any other chain advances only if work lands on
        it (a bundle leg, a cross-rollup call's system transaction, a relay). With
        ``allow_empty`` False (automine), idle chains do not advance and nothing is mined
        when nothing is included. A halted chain never advances (faults.py). Raises
        InvalidInput for a timestamp not after the previous superblock's, SequencerDown while
        the sequencer is down."""
        build = self.prepare(timestamp, chains)
        built = self.build(build, allow_empty)
        if built is None and build.deferred:  # only what was deferred waits: it may go now
            self.release_deferred()
            built = self.build(self.prepare(timestamp, chains), allow_empty)
        superblock = self.commit_built(built) if built is not None else self.head
        assert superblock is not None  # built and committed in one go: nothing moved between
        return superblock

    def prepare(self, timestamp: int | None = None, chains: Collection[int] | None = None,
                budget: Budget | None = None, off_loop: bool = False) -> Build:
        """What ``build`` needs of the sequencer's present state, taken on the thread that
        owns it, to be built under ``budget`` (None: none). ``off_loop`` (a build in the
        mining service's worker thread): the pools are copies and every chain's builder is
        made here, so that the build shares nothing that the event loop changes meanwhile.
        Raises InvalidInput for a timestamp not after the previous superblock's,
        SequencerDown while the sequencer is down."""
        if fault_modes.is_down(self.faults):
            raise SequencerDown()
        halted = fault_modes.halted_chains(self.faults)
        parent = self.head
        if timestamp is not None and timestamp <= parent.timestamp:
            raise InvalidInput(f"timestamp {timestamp} is not after the previous block's {parent.timestamp}")
        ts = timestamp if timestamp is not None else self.clock.next(parent.timestamp)
        pooled = self._pooled if chains is None else self._pooled.intersection(chains)
        pools = {cid: self.pools[cid].copy() if off_loop else self.pools[cid] for cid in pooled}
        # Off the loop, what the build started from, to see at commit whether it moved since.
        heads = {cid: (c.head.hash, c.head_state_root) for cid, c in self.chains.items()} if off_loop else None
        build = Build(parent.number + 1, ts, parent, self.block_envs(ts), chains, pools, heads,
                      (self.clock.next_timestamp, self.next_base_fee, self.next_prev_randao), budget,
                      set(self._deferred_next), halted=halted, faults=frozenset(self.faults.active))
        if off_loop:
            build.builders = self._builders(build.envs, halted)
            for cid in self.chains:
                build.builders[cid]  # noqa: B018 (made now, on this thread)
        return build

    def _height(self, chain_id: int) -> int:
        return self.chains[chain_id].height

    def _builders(self, envs: Envs, halted: frozenset[int]) -> Builders:
        return PerChain(self.chains, lambda cid: self.chains[cid].new_builder(envs[cid]), halted)

    def build(self, build: Build, allow_empty: bool = True) -> Built | None:
        """Build the superblock ``build`` describes, changing nothing but its builders (and the
        bundle book's record of a bundle that failed). None: automine (``allow_empty``
        False) has nothing to include. Raises Yielded when its budget ran out while others
        wait, OffLoop past its slice on the event loop (budget.py): nothing of it may be
        committed then."""
        envs = build.envs

        def fresh(applied: dict[int, list[PendingTx]]) -> Builders:
            builders = self._builders(envs, build.halted)
            for cid, txs in applied.items():
                for pending in txs:
                    builders[cid].apply(pending)
            return builders

        # Off the loop (builders made beforehand) only pools are built from: the deposits, the
        # bundle book and the relays are the loop's (the mining service builds those superblocks
        # there). Deposits first, before anything else.
        off_loop = build.builders is not None
        applied: dict[int, list[PendingTx]] = self._due_deposits(envs) if not off_loop else {}
        for relay in self._due_relays(build.timestamp, build.number) if not off_loop else ():
            before = applied.setdefault(relay.destination, [])  # asynchronous messages first, at the top
            before.append(self._relay_tx(relay, before, envs))
        builders = build.builders if build.builders is not None else fresh(applied)
        included_bundles: list[bytes] = []
        due = self.bundles.due(build.number, build.timestamp, self._height) if not off_loop else ()
        for bundle in due:
            if self.faults.active and fault_modes.bundle_hold(self.faults, bundle.hash, bundle.legs, build.number,
                                                              time.time()):
                continue  # censored or delayed: the bundle waits as a whole
            result = execute_bundle(builders, bundle)
            self.bundles.settle(bundle, result, build.number)
            if result.ok:
                included_bundles.append(bundle.hash)
                for chain_id, pending in bundle.legs:
                    applied.setdefault(chain_id, []).append(pending)
            else:
                builders = fresh(applied)  # throw the failed bundle's VMs away
        dropped: list[tuple[int, bytes]] = []
        for cid in sorted(set(build.pools) - build.halted, key=self._order.__getitem__):
            self._fill_from_pool(cid, builders, build, dropped)
        advancing = {cid for cid, b in builders.items() if b.outcomes}
        if not allow_empty and not advancing:
            if off_loop:  # the pools are the loop's: it removes them (drop_invalid)
                build.invalid.extend(dropped)
            else:
                self.drop_invalid(dropped)
            return None  # automine with nothing to include (a failed bundle, a nonce gap)
        if allow_empty:
            advancing.update(set(self.chains if build.chains is None else build.chains) - build.halted)
        order = self._order
        sealed = {cid: builders[cid].seal() for cid in sorted(advancing, key=order.__getitem__)}
        return Built(build, sealed, builders, tuple(included_bundles), dropped)

    def commit_built(self, built: Built) -> SuperBlock | None:
        """Commit what ``build`` built (``commit``), unless what it was built on has moved
        since ``prepare`` (a superblock mined meanwhile, a state edit, a pooled transaction
        dropped or replaced...): then nothing changes and None is returned (build again)."""
        build, pools = built.build, self.pools
        if build.heads is not None and self._moved(built):
            return None
        for cid, tx_hash in built.dropped:
            pools[cid].remove(tx_hash)
        superblock = self.commit(build.number, build.timestamp, build.parent, built.sealed, build.envs, built.bundles)
        for cid in built.sealed:
            self.chains[cid].keep_warm(built.builders[cid])
        return superblock

    def drop_invalid(self, dropped: Iterable[tuple[int, bytes]]) -> None:
        """Remove from the pools the transactions (chain id, hash) a build found invalid at
        inclusion (event-loop thread: a build off the loop leaves them in ``Build.invalid``)."""
        for cid, tx_hash in dropped:
            self.pools[cid].remove(tx_hash)

    def _moved(self, built: Built) -> bool:
        """Whether what an off-loop build started from changed since ``prepare``."""
        build = built.build
        assert build.heads is not None
        return (self.head is not build.parent
                or any((c.head.hash, c.head_state_root) != build.heads[cid] for cid, c in self.chains.items())
                or (self.clock.next_timestamp, self.next_base_fee, self.next_prev_randao) != build.overrides
                or frozenset(self.faults.active) != build.faults
                or any(o.pending.hash not in self.pools[cid].by_hash
                       for cid, s in built.sealed.items() if cid in build.pools for o in s.outcomes
                       if o.pending.hash in build.pools[cid].by_hash))

    def defer(self, tx_hash: bytes) -> None:
        """``tx_hash``'s execution ran past its superblock's budget while others waited
        (budget.py): leave it out of the next superblock committed; it is interrupted at most
        ``max_deferrals`` times."""
        self.deferrals[tx_hash] = self.deferrals.get(tx_hash, 0) + 1
        self._deferred_next.add(tx_hash)

    def has_bundles(self) -> bool:
        """Whether bundles are queued."""
        return bool(self.bundles.queue)

    def release_deferred(self) -> None:
        """Let what was deferred into the next superblock prepared (nothing else waits)."""
        self._deferred_next.clear()

    def is_deferred(self, tx_hash: bytes | None = None) -> bool:
        """Whether ``tx_hash`` (None: any transaction) is pooled still after being deferred
        (budget.py)."""
        return bool(self.deferrals) if tx_hash is None else tx_hash in self.deferrals

    def _relay_tx(self, relay: Relay, before: list[PendingTx], envs: dict[int, BlockEnv]) -> PendingTx:
        chain = self.chains[relay.destination]
        nonce = chain.state_at("latest").get_nonce(SEQUENCER) + sum(1 for p in before if p.sender == SEQUENCER)
        base_fee = envs[relay.destination].base_fee
        if base_fee is None:
            base_fee = self.next_base_fee_of(relay.destination)
        return system_tx(relay.destination, nonce, MESSENGER, relay.calldata(), RELAY_GAS, base_fee,
                         access_list=relay.access_list())

    def _fill_from_pool(self, chain_id: int, builders: Builders, build: Build,
                        dropped: list[tuple[int, bytes]]) -> None:
        """Apply the pool's ready transactions in policy order, but those ``build`` defers.
        Cross-rollup calls may replace entries of ``builders`` with forks that carry their
        system transactions. What is invalid at inclusion goes to ``dropped``. Raises
        Yielded, OffLoop (budget.py)."""
        pool = build.pools[chain_id]
        if not pool:
            return
        full: set[bytes] = set()
        self._ordered_at[chain_id] = now = time.time()
        order = self.order_of(chain_id).bind(Round(build.number, now))
        ready = list(pool.ready(builders[chain_id].nonce_of, order, int(base_fee_of(builders[chain_id].header))))
        budget = build.budget
        for index, entry in enumerate(ready):
            sender, tx_hash = entry.pending.sender, entry.pending.hash
            if sender in full:
                continue
            if self.faults.active and fault_modes.tx_hold(self.faults, chain_id, entry.pending, build.number, now):
                full.add(sender)  # censored or delayed: it waits in the pool, and its successors too
                continue
            if entry.pending.tx.gas > builders[chain_id].gas_left or tx_hash in build.deferred:
                full.add(sender)  # keep it for the next block, and its successors too
                continue
            interruptible = budget is not None and self.deferrals.get(tx_hash, 0) < self.max_deferrals
            try:
                # the builder checks nonce, funds and base fee against the block; not EIP-3607
                code = bytes(builders[chain_id].vm.state.get_code(Address(sender)))
                admission.check_sender_code(code, entry.pending.impersonated)
                others = lambda: self._others_in_build(builders, build, chain_id, ready, index)  # noqa: B023, E731
                with budget.interruptible(tx_hash, interruptible, others) if budget is not None else nullcontext():
                    result = apply_with_xcalls(builders, chain_id, entry.pending)
            except TransactionRejected as exc:  # invalid now: dropped and reported, never retried
                pool.remove(tx_hash)
                dropped.append((chain_id, tx_hash))
                full.add(sender)
                if self._invalidated is not None:
                    self._invalidated[entry.pending.hash] = str(exc)
                _log.warning("chain %d: dropped transaction 0x%s, invalid at inclusion: %s",
                             chain_id, tx_hash.hex(), exc)
                continue
            if result.failure is not None:
                self.xcall_errors[tx_hash] = result.failure

    def _others_in_build(self, builders: Builders, build: Build, chain_id: int, ready: list[PoolTx],
                         index: int) -> bool:
        """Whether ``build`` holds a transaction of another sender than ``ready[index]``'s:
        applied already, after it in its chain's ``ready``, or ready in a chain filled later."""
        sender = ready[index].pending.sender
        if any(o.pending.sender not in (sender, SEQUENCER) for b in builders.values() for o in b.outcomes):
            return True
        if any(e.pending.sender != sender for e in ready[index + 1:]):
            return True
        later = [cid for cid in build.pools if self._order[cid] > self._order[chain_id]]
        return any(next(iter(build.pools[cid].ready(builders[cid].nonce_of, self.order_of(cid).bind(
            Round(build.number, time.time())), int(base_fee_of(builders[cid].header)))), None) is not None
            for cid in later)

    def commit(self, number: int, ts: int, parent: SuperBlock, sealed: dict[int, SealedBlock],
               envs: Mapping[int, BlockEnv], bundles: tuple[bytes, ...],
               logged_legs: dict[bytes, list[tuple[int, bytes]]] | None = None) -> SuperBlock:
        """Make ``sealed`` (one block for each chain that advances, built on its head with
        ``envs``; the others stay where they are) superblock ``number``: append every block, log the superblock, settle the pools, bundles and
        relays, and tell the listeners. ``mine`` calls it with what it built; replay with
        what it rebuilt from the log (``logged_legs``: the bundle legs the log recorded).
        Raises nothing of its own: the blocks were checked when they were built."""
        mined: dict[int, MinedBlock] = {}
        for cid, sealed_block in sealed.items():
            mined[cid] = self.chains[cid].append(sealed_block)
            self._superblock_of[cid].append(number)
        refs = tuple(
            ChainBlockRef(cid, m.number, m.hash, bytes(m.header.state_root), tuple(t.hash for t in m.txs))
            for cid, m in mined.items()
        )
        superblock = SuperBlock(number, ts, parent.hash, refs, bundles)
        self.superblocks.append(superblock)
        bodies = tuple(
            BlockBody(
                cid,
                tuple((o.pending.raw, o.pending.sender if o.pending.impersonated else None) for o in sealed[cid].outcomes),
                envs[cid].gas_limit,
                envs[cid].coinbase,
                envs[cid].base_fee,
                envs[cid].l1_origin,
                prev_randao=envs[cid].prev_randao,
            )
            for cid in mined
        )
        legs = logged_legs if logged_legs is not None else {h: self.bundles.legs.get(h, []) for h in bundles}
        errors = {t.hash: self.xcall_errors[t.hash] for m in mined.values() for t in m.txs if t.hash in self.xcall_errors}
        self._settle_deposits(mined, envs)  # before the log: its record carries the deposits' windows
        self.log.append_superblock(SuperblockRecord(superblock, bodies, legs, errors, self._window_record(mined, number)))
        self.clock.next_timestamp = None
        self.next_base_fee = None
        self.next_prev_randao = None
        for cid, block in mined.items():  # only these chains' states changed
            pool = self.pools[cid]
            for tx in block.txs:
                pool.remove(tx.hash)
            if pool:  # drop what the new state made stale (same sender, used nonce)
                pool.prune(self.chains[cid].state_at("latest").get_nonce)
        self._pooled = {cid for cid in self._pooled if self.pools[cid]}
        self._deferred_next.clear()  # a deferral holds for one superblock
        if self.deferrals:  # forget what left the pools
            self.deferrals = {h: n for h, n in self.deferrals.items() if any(h in p.by_hash for p in self.pools.values())}
        self.bundles.mark_included(superblock, logged_legs)
        done = set().union(*(relayed_keys(m) for m in mined.values()))
        self.relays = [r for r in self.relays if r.key not in done]
        for cid, block in mined.items():
            if self.relay_policy.auto:
                accepting = {d for d in self.chains if self.relay_policy.accepts(d, cid)}
                self.relays.extend(sent_messages(cid, block, accepting, number))
        for listener in list(self.superblock_listeners):
            listener(superblock, mined)
        return superblock

    def _genesis_superblock(self) -> SuperBlock:
        refs = tuple(
            ChainBlockRef(cid, 0, c.blocks[0].hash, bytes(c.blocks[0].header.state_root))
            for cid, c in self.chains.items()
        )
        ts = max(int(c.blocks[0].header.timestamp) for c in self.chains.values())
        return SuperBlock(0, ts, b"\x00" * 32, refs)

