"""Log matching, polling filters (eth_newFilter...) and WebSocket subscriptions of one chain."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend import Backend
from backend.logs import LogFilter, find_logs, matches
from chains.errors import InvalidInput, LimitReached
from chains.rollup import MinedBlock, RollupChain
from node import views
from rpc.jsonrpc import METHOD_NOT_FOUND, Connection, RpcError


@dataclass
class PollFilter:
    kind: str  # logs | blocks | pending
    cursor: int  # the last block number already reported
    spec: LogFilter | None = None
    pending: list[bytes] = field(default_factory=list)


_ids = itertools.count(1)
MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000


class ChainEvents:
    """Filters and subscriptions of one chain, fed by the sequencer's listeners."""

    def __init__(self, backend: Backend, chain_id: int, watchers: set[ChainEvents] | None = None) -> None:
        """``watchers``: shared by every chain's events; holds those with xr_newSuperblocks
        subscriptions, so that a superblock is pushed to them alone, whichever chains it holds."""
        self.backend = backend
        self.chain_id = chain_id
        self.filters: dict[str, PollFilter] = {}
        self.subs: dict[str, tuple[Connection, str, Any]] = {}
        self.subs_per_connection: dict[str, int] = {}  # connection id -> its live subscriptions
        self.watchers: set[ChainEvents] = set() if watchers is None else watchers

    @property
    def chain(self) -> RollupChain:
        return self.backend.chain(self.chain_id)

    # -- polling filters ---------------------------------------------------------------

    def new_filter(self, kind: str, spec: LogFilter | None = None) -> str:
        filter_id = hex(next(_ids) << 64 | secrets.randbits(64))
        self.filters[filter_id] = PollFilter(kind, self.chain.height, spec)
        return filter_id

    def _filter(self, filter_id: str) -> PollFilter:
        try:
            return self.filters[filter_id]
        except KeyError:
            raise InvalidInput("filter not found") from None

    def changes(self, filter_id: str) -> list[Any]:
        flt = self._filter(filter_id)
        head = self.chain.height
        start = min(flt.cursor, head) + 1
        flt.cursor = head
        if flt.kind == "pending":
            out, flt.pending = flt.pending, []
            return [views.d(h) for h in out]
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
        if ref in ("latest", "pending", "safe", "finalized"):
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
        if kind not in ("newHeads", "logs", "newPendingTransactions", "xr_newSuperblocks", "xr_pendingTransactions"):
            raise InvalidInput(f"unknown subscription type {kind[:48]!r}")
        count = self.subs_per_connection.get(conn.id, 0)
        if count >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise LimitReached(
                f"too many subscriptions on this connection: the limit is {MAX_SUBSCRIPTIONS_PER_CONNECTION}")
        try:
            spec = parse_filter(arg) if kind == "logs" else arg
        except ValueError as exc:
            raise InvalidInput(f"invalid params: filter: {exc}") from None
        sub_id = hex(secrets.randbits(128))
        self.subs[sub_id] = (conn, kind, spec)
        self.subs_per_connection[conn.id] = count + 1
        if kind == "xr_newSuperblocks":
            self.watchers.add(self)
        conn.on_close(lambda: self._drop(sub_id))
        return sub_id

    def unsubscribe(self, sub_id: str) -> bool:
        return self._drop(sub_id)

    def _drop(self, sub_id: str) -> bool:
        """Forget subscription ``sub_id`` (and count it off its connection's); False if unknown."""
        entry = self.subs.pop(sub_id, None)
        if entry is None:
            return False
        conn_id = entry[0].id
        left = self.subs_per_connection.get(conn_id, 1) - 1
        if left > 0:
            self.subs_per_connection[conn_id] = left
        else:
            self.subs_per_connection.pop(conn_id, None)
        if not any(kind == "xr_newSuperblocks" for _, kind, _ in self.subs.values()):
            self.watchers.discard(self)
        return True

    def _push(self, kind: str, make: Callable[[Any], list[Any]]) -> None:
        for sub_id, (conn, k, spec) in list(self.subs.items()):
            if k != kind:
                continue
            if conn.closed:
                self._drop(sub_id)
                continue
            for result in make(spec):
                conn.notify("eth_subscription", {"subscription": sub_id, "result": result})

    # -- fed by the sequencer ---------------------------------------------------------------

    def on_block(self, block: MinedBlock) -> None:
        """This chain advanced: newHeads and logs."""
        if not self.subs:
            return
        header = views.block_json(block, self.chain_id, False)
        header.pop("transactions")
        self._push("newHeads", lambda _spec: [header])
        logs = block.logs
        if logs:
            self._push("logs", lambda spec: [views.log_json(log) for log in logs if matches(log, spec)])

    def on_superblock(self, superblock_json: Callable[[], Any]) -> None:
        """A superblock, whether or not this chain advanced in it: xr_newSuperblocks."""
        self._push("xr_newSuperblocks", lambda _spec: [superblock_json()])

    def on_pending(self, tx_hash: bytes, tx_json: Callable[[], Any]) -> None:
        for flt in self.filters.values():
            if flt.kind == "pending":
                flt.pending.append(tx_hash)
        self._push("newPendingTransactions", lambda full: [tx_json() if full is True else views.d(tx_hash)])

    def on_any_pending(self, tx_json: Callable[[], Any]) -> None:
        """A transaction pooled on any chain (the shared sequencer's view): the
        ``xr_pendingTransactions`` subscribers get it whole, with its ``chainId``."""
        self._push("xr_pendingTransactions", lambda _spec: [tx_json()])
