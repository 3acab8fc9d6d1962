"""geth's prestateTracer: the touched accounts before a transaction (``diffMode``: before
and after, changed fields only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth.abc import StateAPI
from eth_typing import Address

from chains.block import PendingTx
from chains.tracing.options import TraceOptions
from chains.tracing.recorder import Recorder, hex32


@dataclass(frozen=True)
class AccountState:
    balance: int
    nonce: int
    code: bytes
    storage: dict[int, int]

    @property
    def exists(self) -> bool:
        return bool(self.balance or self.nonce or self.code)


def access_list_of(pending: PendingTx) -> tuple[tuple[bytes, tuple[int, ...]], ...]:
    try:
        return tuple((bytes(a), tuple(int(s) for s in slots)) for a, slots in pending.tx.access_list)
    except (AttributeError, NotImplementedError):
        return ()


def touched_with(rec: Recorder, sender: bytes, to: bytes | None,
                  access_list: Sequence[tuple[bytes, Sequence[int]]]) -> dict[bytes, set[int]]:
    touched = {a: set(s) for a, s in rec.touched.items()}
    touched.setdefault(bytes(sender), set())
    if to:
        touched.setdefault(bytes(to), set())
    for address, slots in access_list:
        touched.setdefault(bytes(address), set()).update(slots)
    return touched


def snapshot_accounts(state: StateAPI, touched: Mapping[bytes, set[int]], opts: TraceOptions) -> dict[bytes, AccountState]:
    precompiles = set(state.computation_class.get_precompiles())
    out: dict[bytes, AccountState] = {}
    for raw, slots in touched.items():
        address = Address(raw)
        if address in precompiles:
            continue
        storage = {} if opts.disable_prestate_storage else {s: int(state.get_storage(address, s)) for s in slots}
        out[address] = AccountState(int(state.get_balance(address)), int(state.get_nonce(address)),
                                b"" if opts.disable_code else bytes(state.get_code(address)), storage)
    return out


def _account_json(acct: AccountState, storage: Mapping[int, int] | None = None, fields: Sequence[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not fields or "balance" in fields:
        out["balance"] = hex(acct.balance)
    if (not fields or "nonce" in fields) and acct.nonce:
        out["nonce"] = acct.nonce
    if (not fields or "code" in fields) and acct.code:
        out["code"] = "0x" + acct.code.hex()
    slots = acct.storage if storage is None else storage
    if slots:
        out["storage"] = {"0x" + hex32(k): "0x" + hex32(v) for k, v in sorted(slots.items())}
    return out


def prestate_json(pre: Mapping[bytes, AccountState], post: Mapping[bytes, AccountState], opts: TraceOptions) -> Any:
    """geth's prestateTracer: every touched account before the transaction; ``diffMode``:
    the changed accounts before (``pre``) and their changed fields after (``post``)."""
    if not opts.diff_mode:
        return {"0x" + a.hex(): _account_json(acct) for a, acct in pre.items()
                if acct.exists or acct.storage}
    pre_out: dict[str, Any] = {}
    post_out: dict[str, Any] = {}
    for address, before in pre.items():
        after = post[address]
        changed_slots = {s: v for s, v in before.storage.items() if after.storage.get(s, 0) != v}
        fields = [f for f in ("balance", "nonce", "code") if getattr(before, f) != getattr(after, f)]
        if not fields and not changed_slots:
            continue
        key = "0x" + address.hex()
        if before.exists:
            pre_out[key] = _account_json(before, {s: v for s, v in changed_slots.items() if v})
        if after.exists:
            post_out[key] = _account_json(after, {s: after.storage[s] for s in changed_slots if after.storage[s]},
                                          fields or ("storage",))
    return {"pre": pre_out, "post": post_out}
