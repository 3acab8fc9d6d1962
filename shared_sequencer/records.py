"""The superblock log's records: how each is sealed into a hash chain, and what a valid one holds.

A record on disk is one JSON line: ``{"prev": <hash of the record before>, ...entry..., "h": <hash>}``
where ``h`` is the SHA-256 of the line's text without its ``"h"`` field (the first record's
``prev`` is all zeros). A changed byte anywhere in a record breaks its ``h``; a removed, added or
reordered record breaks the next one's ``prev``. ``check_entry`` says what is wrong with an entry
whose fields are missing or of the wrong type, so that replay never meets one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

ZERO_HASH = "0x" + "00" * 32
_PREFIX = b'{"prev":"0x'
_SUFFIX_HEAD = b',"h":"0x'
_HEX = frozenset(b"0123456789abcdef")
# {"prev":"0x<64>",  ...  ,"h":"0x<64>"}
_PREV = slice(9, 75)
_SUFFIX_LEN = len(_SUFFIX_HEAD) + 64 + 2


class BadRecord(Exception):  # noqa: N818 - internal signal, always turned into a LogError with a place
    """A line that is not a sealed record (the reason says why); never leaves the log module."""


def seal(prev: str, entry: dict[str, Any]) -> tuple[str, str]:
    """The record line for ``entry`` after a record of hash ``prev`` (no newline), and its hash."""
    body = '{"prev":"' + prev + '",' + json.dumps(entry, separators=(",", ":"))[1:]
    digest = "0x" + hashlib.sha256(body.encode()).hexdigest()
    return body[:-1] + ',"h":"' + digest + '"}', digest


def unseal(line: bytes) -> tuple[str, str]:
    """The ``prev`` and ``h`` of a record line whose hash verifies. Raises BadRecord."""
    if (len(line) < len(_PREFIX) + 66 + _SUFFIX_LEN or not line.startswith(_PREFIX) or line[75:77] != b'",'
            or line[-_SUFFIX_LEN:-66] != _SUFFIX_HEAD or line[-2:] != b'"}'):
        raise BadRecord("not a log record (no prev/h hash fields)")
    prev, digest = line[_PREV], line[-68:-2]
    if not (_HEX.issuperset(prev[2:]) and _HEX.issuperset(digest[2:])):
        raise BadRecord("not a log record (its hash fields are not hex)")
    if hashlib.sha256(line[:-_SUFFIX_LEN] + b"}").hexdigest().encode() != digest[2:]:
        raise BadRecord("the record does not match its hash: it was changed after it was written")
    return prev.decode(), digest.decode()


def starts_like_record(line: bytes) -> bool:
    """Whether ``line`` begins as a record does (a torn write keeps some start of one)."""
    return line[: len(_PREFIX)] == _PREFIX[: len(line)]


def is_record(line: bytes) -> bool:
    try:
        unseal(line)
    except BadRecord:
        return False
    return True


def chain_hashes(entries: list[dict[str, Any]], prev: str = ZERO_HASH) -> list[str]:
    """The hash of each of ``entries`` sealed one after the other, starting after ``prev``."""
    out = []
    for entry in entries:
        prev = seal(prev, entry)[1]
        out.append(prev)
    return out


# -- what a valid entry holds ----------------------------------------------------------------------

Check = Callable[[Any], bool]


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _hex(size: int | None = None) -> Check:
    pattern = re.compile(r"0x(?:[0-9a-fA-F]{2})*" if size is None else f"0x[0-9a-fA-F]{{{2 * size}}}")
    return lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None


def _opt(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _list(check: Check) -> Check:
    return lambda v: isinstance(v, list) and all(check(x) for x in v)


def _tuple(*checks: Check) -> Check:
    return lambda v: isinstance(v, list) and len(v) == len(checks) and all(c(x) for c, x in zip(checks, v, strict=True))


def _dict(key: Check, value: Check) -> Check:
    return lambda v: isinstance(v, dict) and all(key(k) and value(x) for k, x in v.items())


def _fields(spec: dict[str, Check], optional: dict[str, Check] | None = None) -> Check:
    """A dict with every field of ``spec``, and those of ``optional`` that it has, valid."""
    return lambda v: isinstance(v, dict) and _first_bad_field(v, spec, optional) is None


def _first_bad_field(entry: dict[str, Any], spec: dict[str, Check], optional: dict[str, Check] | None = None
                     ) -> str | None:
    for name, check in (optional or {}).items():
        if name in entry and not check(entry[name]):
            return f"has a malformed {name!r} field"
    for name, check in spec.items():
        if name not in entry:
            return f"has no {name!r} field"
        if not check(entry[name]):
            return f"has a malformed {name!r} field"
    return None


_H32 = _hex(32)
_GENESIS_CONFIG: dict[str, Check] = {
    "chain_ids": lambda v: isinstance(v, list) and bool(v) and all(_int(c) for c in v),
    "accounts": _int, "balance_eth": _int, "mnemonic": lambda v: isinstance(v, str), "gas_limit": _int,
    "base_fee": _int, "genesis_timestamp": _int,
}
_BLOCK: dict[str, Check] = {
    "chainId": _int, "number": _int, "hash": _H32, "stateRoot": _H32, "gasLimit": _int, "coinbase": _hex(20),
    "baseFee": _opt(_int), "txs": _list(_tuple(_hex(), _opt(_hex(20)))),
}
_L1_ORIGIN: dict[str, Check] = {
    "number": _int, "timestamp": _int, "basefee": _int, "hash": _H32, "sequenceNumber": _int, "blobBaseFee": _int,
    "batcherHash": _H32, "baseFeeScalar": _int, "blobBaseFeeScalar": _int,
}
# a block's L1 origin (chains/deposits.py): absent when it wrote none, and in logs from before it
_BLOCK_OPTIONAL: dict[str, Check] = {"l1Origin": _fields(_L1_ORIGIN)}
_DEPOSIT_WINDOW: dict[str, Check] = {
    "chainId": _int, "hash": _H32, "l1Block": _int, "deadline": _int, "rollupHead": _int,
    "forced": lambda v: isinstance(v, bool), "l1Head": _int,
}
SPECS: dict[str, dict[str, Check]] = {
    "genesis": {"version": _int, "config": _fields(_GENESIS_CONFIG)},
    "superblock": {
        "number": _int, "timestamp": _int, "parentHash": _H32, "hash": _H32, "bundles": _list(_H32),
        "bundleLegs": _dict(_H32, _list(_tuple(_int, _H32))),
        "xrollupErrors": _dict(_H32, _tuple(_opt(_int), lambda v: isinstance(v, str))),
        "blocks": _list(_fields(_BLOCK, _BLOCK_OPTIONAL)),
    },
    "edit": {"chainId": _int, "kind": lambda v: v in ("balance", "nonce", "code", "storage"), "address": _hex(20),
             "value": lambda v: _int(v) or _hex()(v), "slot": _int},
    "truncate": {"length": lambda v: _int(v) and v >= 1},
    # a reorg (shared_sequencer/faults.py): a truncation to ``length`` that says what it dropped
    "reorg": {"length": lambda v: _int(v) and v >= 1, "fork": _int, "depth": _int, "dropped": _list(_H32),
              "requeued": _list(_tuple(_int, _H32)), "time": _int},
}


# fields a record may lack (logs written before them): checked when present
OPTIONAL: dict[str, dict[str, Check]] = {
    # the sequencing window of each deposit the superblock includes (shared_sequencer/window.py)
    "superblock": {"deposits": _list(_fields(_DEPOSIT_WINDOW))},
}


def check_entry(entry: Any) -> str | None:
    """What is wrong with ``entry`` (``"superblock record has no 'timestamp' field"``), or None."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    kind = entry.get("t")
    spec = SPECS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        return f"unknown record type {kind!r}"
    bad = _first_bad_field(entry, spec, OPTIONAL.get(str(kind)))
    return f"{kind} record {bad}" if bad else None
