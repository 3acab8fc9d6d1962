"""Log matching, polling filters (eth_newFilter...) and WebSocket subscriptions of one chain."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend import Backend
from backend.logs import LogFilter, find_logs, matches
from chains.errors import InvalidInput, LimitReached
from chains.rollup import MinedBlock, RollupChain
from node import views
from rpc.jsonrpc import METHOD_NOT_FOUND, Connection, RpcError

DEFAULT_FILTER_TIMEOUT = 300.0  # seconds a polling filter lives unpolled (geth: 5 minutes)
DEFAULT_MAX_FILTERS = 10_000  # polling filters per chain
PENDING_BACKLOG = 10_000  # pending transaction hashes kept for pending filters


@dataclass
class PollFilter:
    kind: str  # logs | blocks | pending
    cursor: int  # the last block number already reported; pending: the next backlog position
    spec: LogFilter | None = None
    polled: float = field(default_factory=time.monotonic)  # when it was made or last polled


@dataclass(frozen=True)
class FilterLimits:
    """``timeout``: seconds a filter lives without being polled (0: forever);
    ``max_filters``: polling filters a chain keeps at once."""

    timeout: float = DEFAULT_FILTER_TIMEOUT
    max_filters: int = DEFAULT_MAX_FILTERS


@dataclass
class Subscription:
    conn: Connection
    kind: str
    spec: Any


_ids = itertools.count(1)
MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000
# The settlement layer's heads: subscription kind -> the block tag whose moves it follows.
TAG_SUBSCRIPTIONS = {"xr_safeHeads": "safe", "xr_finalizedHeads": "finalized"}


class ChainEvents:
    """Filters and subscriptions of one chain, fed by the sequencer's listeners.

    What a new transaction or block costs is proportional to what it concerns, not to the
    number of filters: pending hashes go to one shared backlog that each pending filter reads
    from its own position; log filters are answered from the chain's logs when polled; log
    subscriptions are indexed by address. Filters that nobody polls expire after
    ``limits.timeout`` seconds (as geth's), and a chain keeps at most ``limits.max_filters``.
    """

    def __init__(self, backend: Backend, chain_id: int, watchers: set[ChainEvents] | None = None,
                 limits: FilterLimits | None = None) -> None:
        """``watchers``: shared by every chain's events; holds those with xr_newSuperblocks
        subscriptions, so that a superblock is pushed to them alone, whichever chains it holds.
        ``limits``: the polling filters' expiry and cap."""
        self.backend = backend
        self.chain_id = chain_id
        self.limits = limits or FilterLimits()
        self.filters: OrderedDict[str, PollFilter] = OrderedDict()  # least recently polled first
        self.subs: dict[str, Subscription] = {}
        self._by_kind: dict[str, dict[str, Subscription]] = {}
        self._logs_by_address: dict[bytes, set[str]] = {}  # log subscriptions naming addresses
        self._logs_any: set[str] = set()  # log subscriptions of every address
        self._pending: deque[bytes] = deque()  # the newest PENDING_BACKLOG pending hashes
        self._pending_base = 0  # backlog position of self._pending[0]
        self.subs_per_connection: dict[str, int] = {}  # connection id -> its live subscriptions
        self.watchers: set[ChainEvents] = set() if watchers is None else watchers
        self._tag_sent: dict[str, bytes] = {}  # the block hash last pushed to each tag subscription

    @property
    def chain(self) -> RollupChain:
        return self.backend.chain(self.chain_id)

    # -- polling filters ---------------------------------------------------------------

    def new_filter(self, kind: str, spec: LogFilter | None = None) -> str:
        """Raises InvalidInput when the chain has ``max_filters`` filters already."""
        self._expire()
        if len(self.filters) >= self.limits.max_filters:
            raise InvalidInput(f"too many filters: at most {self.limits.max_filters} per chain; uninstall some "
                               f"(eth_uninstallFilter) or let them expire ({self.limits.timeout:g} s unpolled)")
        filter_id = hex(next(_ids) << 64 | secrets.randbits(64))
        cursor = self._pending_base + len(self._pending) if kind == "pending" else self.chain.height
        self.filters[filter_id] = PollFilter(kind, cursor, spec)
        return filter_id

    def _filter(self, filter_id: str) -> PollFilter:
        """The filter, marked as polled. Raises InvalidInput for an unknown or expired one."""
        flt = self.filters.get(filter_id)
        now = time.monotonic()
        if flt is not None and self.limits.timeout > 0 and now - flt.polled > self.limits.timeout:
            del self.filters[filter_id]
            flt = None
        if flt is None:
            raise InvalidInput("filter not found")
        flt.polled = now
        self.filters.move_to_end(filter_id)
        return flt

    def _expire(self) -> None:
        """Drop the filters unpolled for longer than the timeout (the least recently polled
        come first, so this looks at no filter that stays)."""
        timeout = self.limits.timeout
        if timeout <= 0:
            return
        stale = time.monotonic() - timeout
        while self.filters:
            filter_id, flt = next(iter(self.filters.items()))
            if flt.polled >= stale:
                break
            del self.filters[filter_id]

    def changes(self, filter_id: str) -> list[Any]:
        flt = self._filter(filter_id)
        if flt.kind == "pending":
            start = max(flt.cursor - self._pending_base, 0)
            out = list(itertools.islice(self._pending, start, None))
            flt.cursor = self._pending_base + len(self._pending)
            return [views.d(h) for h in out]
        head = self.chain.height
        start = min(flt.cursor, head) + 1
        flt.cursor = head
        if flt.kind == "blocks":
            return [views.d(b.hash) for b in self.chain.blocks[start : head + 1]]
        assert flt.spec is not None
        # only new blocks, and only within the filter's own range (as geth and anvil do)
        if flt.spec.block_hash is not None:
            lo = hi = self.chain.block(flt.spec.block_hash).number
        else:
            lo, hi = self._bound(flt.spec.from_block, 0), self._bound(flt.spec.to_block, head)
        lo, hi = max(lo, start), min(hi, head)
        spec = LogFilter(lo, hi, None, flt.spec.addresses, flt.spec.topics)
        return [views.log_json(log) for log in find_logs(self.chain, spec)] if lo <= hi else []

    def _bound(self, ref: Any, open_end: int) -> int:
        if ref in ("safe", "finalized"):
            return min(self.chain.block(ref).number, open_end)
        if ref in ("latest", "pending"):
            return open_end
        if ref == "earliest":
            return 0
        return int(ref) if isinstance(ref, int) else self.chain.block(ref).number

    def filter_logs(self, filter_id: str) -> list[Any]:
        flt = self._filter(filter_id)
        if flt.kind != "logs" or flt.spec is None:
            raise InvalidInput("not a log filter")
        return [views.log_json(log) for log in find_logs(self.chain, flt.spec)]

    def uninstall(self, filter_id: str) -> bool:
        return self.filters.pop(filter_id, None) is not None

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, conn: Connection, kind: str, arg: Any, parse_filter: Callable[[Any], LogFilter]) -> str:
        """A new subscription of ``conn``. Raises InvalidInput (an unknown kind, a bad log
        filter), LimitReached (MAX_SUBSCRIPTIONS_PER_CONNECTION live on ``conn`` already)."""
        if not conn.supports_notifications:  # an HTTP request: the id would be dead on arrival
            raise RpcError(METHOD_NOT_FOUND, "notifications not supported: subscriptions need a WebSocket connection")
        if kind not in ("newHeads", "logs", "newPendingTransactions", "xr_newSuperblocks", "xr_pendingTransactions",
                        *TAG_SUBSCRIPTIONS):
            raise InvalidInput(f"unknown subscription type {kind[:48]!r}")
        count = self.subs_per_connection.get(conn.id, 0)
        if count >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise LimitReached(
                f"too many subscriptions on this connection: the limit is {MAX_SUBSCRIPTIONS_PER_CONNECTION}")
        try:
            spec = parse_filter(arg) if kind == "logs" else arg
        except ValueError as exc:
            raise InvalidInput(f"invalid params: filter: {exc}") from None
        if kind in TAG_SUBSCRIPTIONS and not self._by_kind.get(kind):  # push moves from the current head on
            self._tag_sent[kind] = self.chain.block(TAG_SUBSCRIPTIONS[kind]).hash
        sub_id = hex(secrets.randbits(128))
        sub = Subscription(conn, kind, spec)
        self.subs[sub_id] = sub
        self._by_kind.setdefault(kind, {})[sub_id] = sub
        self.subs_per_connection[conn.id] = count + 1
        if kind == "logs":
            if spec.addresses:
                for addr in spec.addresses:
                    self._logs_by_address.setdefault(addr, set()).add(sub_id)
            else:
                self._logs_any.add(sub_id)
        if kind == "xr_newSuperblocks":
            self.watchers.add(self)
        conn.on_close(lambda: self.unsubscribe(sub_id))
        return sub_id

    def unsubscribe(self, sub_id: str) -> bool:
        sub = self.subs.pop(sub_id, None)
        if sub is None:
            return False
        self._by_kind.get(sub.kind, {}).pop(sub_id, None)
        left = self.subs_per_connection.get(sub.conn.id, 1) - 1
        if left > 0:
            self.subs_per_connection[sub.conn.id] = left
        else:
            self.subs_per_connection.pop(sub.conn.id, None)
        if sub.kind == "logs":
            self._logs_any.discard(sub_id)
            for addr in sub.spec.addresses:
                ids = self._logs_by_address.get(addr)
                if ids is not None:
                    ids.discard(sub_id)
                    if not ids:
                        del self._logs_by_address[addr]
        if not self._by_kind.get("xr_newSuperblocks"):
            self.watchers.discard(self)
        return True

    def _send(self, sub_id: str, result: Any) -> None:
        sub = self.subs.get(sub_id)
        if sub is None:
            return
        if sub.conn.closed:
            self.unsubscribe(sub_id)
            return
        sub.conn.notify("eth_subscription", {"subscription": sub_id, "result": result})

    def _push(self, kind: str, make: Callable[[Any], Any]) -> None:
        """One notification to every subscription of ``kind``: ``make(spec)``."""
        for sub_id, sub in list(self._by_kind.get(kind, {}).items()):
            self._send(sub_id, make(sub.spec))

    # -- fed by the sequencer ---------------------------------------------------------------

    def on_block(self, block: MinedBlock) -> None:
        """This chain advanced: newHeads and logs."""
        if not self.subs:
            return
        if self._by_kind.get("newHeads"):
            header = views.block_json(block, self.chain_id, False)
            header.pop("transactions")
            self._push("newHeads", lambda _spec: header)
        if self._by_kind.get("logs"):
            for log in block.logs:
                candidates = self._logs_any | self._logs_by_address.get(log.address, set())
                if not candidates:
                    continue
                shaped = views.log_json(log)
                for sub_id in sorted(candidates):
                    sub = self.subs.get(sub_id)
                    if sub is not None and matches(log, sub.spec):
                        self._send(sub_id, shaped)

    def on_tags(self) -> None:
        """The settlement layer moved the safe or finalized heads: xr_safeHeads and
        xr_finalizedHeads get this chain's block header when its own tag moved."""
        for kind, tag in TAG_SUBSCRIPTIONS.items():
            if not self._by_kind.get(kind):
                continue
            block = self.chain.block(tag)
            if self._tag_sent.get(kind) == block.hash:
                continue
            self._tag_sent[kind] = block.hash
            header = views.block_json(block, self.chain_id, False)
            header.pop("transactions")
            self._push(kind, lambda _spec, header=header: header)  # type: ignore[misc]

    def on_superblock(self, superblock_json: Callable[[], Any]) -> None:
        """A superblock, whether or not this chain advanced in it: xr_newSuperblocks."""
        self._push("xr_newSuperblocks", lambda _spec: superblock_json())

    def on_pending(self, tx_hash: bytes, tx_json: Callable[[], Any]) -> None:
        self._pending.append(tx_hash)
        if len(self._pending) > PENDING_BACKLOG:
            self._pending.popleft()
            self._pending_base += 1
        self._expire()
        if self._by_kind.get("newPendingTransactions"):
            self._push("newPendingTransactions", lambda full: tx_json() if full is True else views.d(tx_hash))

    def on_any_pending(self, tx_json: Callable[[], Any]) -> None:
        """A transaction pooled on any chain (the shared sequencer's view): the
        ``xr_pendingTransactions`` subscribers get it whole, with its ``chainId``."""
        if self._by_kind.get("xr_pendingTransactions"):
            self._push("xr_pendingTransactions", lambda _spec: tx_json())
