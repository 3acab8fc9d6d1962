"""The superblock log: the sequencer's output stream, in memory or on disk.

Entries are JSON objects: the devnet's genesis, each superblock with the block body of every
chain that advanced in it (format 3; in format 2 every chain advanced in every superblock) and,
when it includes deposits from the L1, their sequencing windows (``deposits``: window.py; logs
from before it have none and replay as ever), dev-method state edits, and truncations
(evm_revert). On disk (``--state-dir``) it is one
sealed record per line (``records.py``: a hash chain over every record), flushed and fsynced per
superblock, and after each fsync a small head marker (``superblocks.head``: records, height, last
hash) is overwritten in place.

Opening a damaged log (``scan_log``):

* a tail after the last valid record that no valid record follows (a write torn by kill -9,
  appended garbage) is cut, with a warning naming the file, line, byte offset, what and why;
* a record that does not verify with intact records after it, a valid record of unknown type or
  with missing fields, or a log of another format version is refused: ``LogError`` with
  ``file:line: reason``;
* a log shorter than its head marker (records cut at a record boundary, or more than the one
  torn write a crash can leave) is refused, naming both heights;
* an empty log file (or one holding only a torn first write) is a fresh devnet: the genesis is
  written, as for a new directory. A non-empty file that does not start with a record is refused.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from chains.deposits import L1Origin
from chains.errors import XRollupError
from chains.rollup import StateEdit
from shared_sequencer.records import ZERO_HASH, BadRecord, check_entry, is_record, seal, starts_like_record, unseal
from shared_sequencer.superblock import SuperblockRecord

LOG_FILE = "superblocks.jsonl"
HEAD_FILE = "superblocks.head"
FORMAT_VERSION = 3  # 2: records sealed in a hash chain, head marker; 3: a superblock lists only the chains that advanced
HEAD_SIZE = 192

logger = logging.getLogger("xrollup")


class LogError(XRollupError):
    """A superblock log that cannot be used as it is; the message is ``file:line: reason``."""

    def __init__(self, reason: str, path: Path | None = None, line: int | None = None) -> None:
        place = "" if path is None else f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(place + reason)
        self.path, self.line, self.reason = path, line, reason


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _unhex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def encode_superblock(record: SuperblockRecord) -> dict[str, Any]:
    sb = record.superblock
    bodies = {b.chain_id: b for b in record.bodies}
    entry = {
        "t": "superblock",
        "number": sb.number,
        "timestamp": sb.timestamp,
        "parentHash": _hex(sb.parent_hash),
        "hash": _hex(sb.hash),
        "bundles": [_hex(b) for b in sb.bundles],
        "bundleLegs": {_hex(h): [[cid, _hex(tx)] for cid, tx in legs] for h, legs in record.bundle_legs.items()},
        "xrollupErrors": {_hex(h): [f.chain_id, f.reason] for h, f in record.xcall_errors.items()},
        "blocks": [_with_origin(
            {
                "chainId": ref.chain_id,
                "number": ref.number,
                "hash": _hex(ref.hash),
                "stateRoot": _hex(ref.state_root),
                "txs": [[_hex(raw), _hex(s) if s else None] for raw, s in bodies[ref.chain_id].txs],
                "gasLimit": bodies[ref.chain_id].gas_limit,
                "coinbase": _hex(bodies[ref.chain_id].coinbase),
                "baseFee": bodies[ref.chain_id].base_fee,
                **_prev_randao(bodies[ref.chain_id].prev_randao),
            }, bodies[ref.chain_id].l1_origin)
            for ref in sb.blocks
        ],
    }
    if record.deposits:  # the deposits' windows (absent when none: older logs read the same)
        entry["deposits"] = list(record.deposits)
    return entry


def _with_origin(block: dict[str, Any], origin: L1Origin | None) -> dict[str, Any]:
    """A block entry, with the L1 origin its block wrote (absent when none: older logs read the same)."""
    if origin is not None:
        block["l1Origin"] = origin.to_json()
    return block


def _prev_randao(value: bytes | None) -> dict[str, str]:
    """A forced prevRandao, in the entries that have one (older logs have none)."""
    return {} if value is None else {"prevRandao": _hex(value)}


def encode_edit(chain_id: int, edit: StateEdit) -> dict[str, Any]:
    value = _hex(edit.value) if isinstance(edit.value, bytes) else edit.value
    return {"t": "edit", "chainId": chain_id, "kind": edit.kind, "address": _hex(edit.address), "value": value, "slot": edit.slot}


def decode_edit(entry: dict[str, Any]) -> StateEdit:
    value = entry["value"]
    return StateEdit(entry["kind"], _unhex(entry["address"]), _unhex(value) if isinstance(value, str) else int(value), int(entry["slot"]))


@dataclass(frozen=True)
class Head:
    """The head marker: how many records the log had at its last fsync, its height, last hash."""

    records: int
    height: int
    hash: str

    def to_bytes(self) -> bytes:
        text = json.dumps({"records": self.records, "height": self.height, "hash": self.hash}, separators=(",", ":"))
        return text.ljust(HEAD_SIZE - 1).encode() + b"\n"


def read_head(directory: Path) -> Head | None:
    """The head marker of the log in ``directory``; None when there is none (or it was created
    and never written). Raises LogError for a corrupt one."""
    path = directory / HEAD_FILE
    if not path.exists():
        return None
    data = path.read_bytes()
    if not data.strip():
        return None
    try:
        obj = json.loads(data)
        head = Head(obj["records"], obj["height"], obj["hash"])
        if not (isinstance(head.records, int) and isinstance(head.height, int) and isinstance(head.hash, str)):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise LogError(f"corrupt head marker; delete it to start from {LOG_FILE} as it is", path, 1) from None
    return head


class SuperblockLog:
    """The log's entries, in memory and, with a ``directory``, on disk.

    In memory a superblock stays a ``SuperblockRecord`` until ``entries`` is read (a dump,
    a replay check): encoding it to JSON-ready hex costs a tenth of an automined transfer.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._entries: list[dict[str, Any] | SuperblockRecord] = []
        self._encoded = 0  # entries before this index are all dicts
        self.directory = directory
        self._file: IO[str] | None = None
        self._head_fd: int | None = None
        self._records = 0  # records in the file, truncations and truncated ones included
        self._last_hash = ZERO_HASH
        self._height = 0

    @property
    def entries(self) -> list[dict[str, Any]]:
        entries = self._entries
        for index in range(self._encoded, len(entries)):
            entry = entries[index]
            if isinstance(entry, SuperblockRecord):
                entries[index] = encode_superblock(entry)
        self._encoded = len(entries)
        return cast(list[dict[str, Any]], entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries)

    def open(self) -> None:
        """Start writing to ``directory`` (appending), after the entries ``load_entries`` read
        were replayed. A damaged tail is cut, with a warning; see the module docstring.
        Raises LogError (the same damage ``load_entries`` refuses), OSError."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOG_FILE
        scan = scan_log(self.directory, parse=False)
        if scan.cut is not None:
            with open(path, "r+b") as f:
                f.truncate(scan.size)
                os.fsync(f.fileno())
            logger.warning("%s; the devnet goes on from superblock %d", scan.cut.describe(path), self._height)
        self._file = open(path, "a", encoding="utf-8")
        if scan.newline_missing:
            self._file.write("\n")
            self._file.flush()
        self._records, self._last_hash = scan.records, scan.last_hash
        self._head_fd = os.open(self.directory / HEAD_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        if scan.records:
            self._write_head()

    def write_genesis(self) -> None:
        """Write the genesis entry (the first in memory) to an open log file that holds no
        record: a new state dir, an empty file, or one whose torn first write was cut."""
        if self._file is not None and self._records == 0:
            self._write(self.entries[0], sync=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._head_fd is not None:
            os.close(self._head_fd)
            self._head_fd = None

    def _write(self, entry: dict[str, Any], sync: bool) -> None:
        if self._file is None:
            return
        line, digest = seal(self._last_hash, entry)
        self._file.write(line + "\n")
        self._file.flush()
        self._records += 1
        self._last_hash = digest
        if sync:
            os.fsync(self._file.fileno())
            self._write_head()

    def _write_head(self) -> None:
        """Overwrite the head marker in place (one small write, after the log's fsync: the
        marker never names a record the log does not durably hold)."""
        if self._head_fd is not None:
            os.pwrite(self._head_fd, Head(self._records, self._height, self._last_hash).to_bytes(), 0)

    def append(self, entry: dict[str, Any], sync: bool = True) -> None:
        self._entries.append(entry)
        if entry.get("t") == "superblock":
            self._height = int(entry["number"])
        self._write(entry, sync)

    def append_superblock(self, record: SuperblockRecord) -> None:
        if self._file is None:
            self._entries.append(record)
            self._height = record.superblock.number
        else:
            self.append(encode_superblock(record))

    def append_edit(self, chain_id: int, edit: StateEdit) -> None:
        self.append(encode_edit(chain_id, edit))

    def superblock_end(self, number: int) -> int:
        """How many entries the log holds up to superblock ``number``'s (1 for superblock 0:
        the genesis entry). Raises KeyError when the log does not hold it."""
        if number == 0:
            return 1
        for index in range(len(self._entries) - 1, 0, -1):
            entry = self._entries[index]
            if isinstance(entry, SuperblockRecord):
                if entry.superblock.number == number:
                    return index + 1
            elif entry.get("t") == "superblock" and int(entry["number"]) == number:
                return index + 1
        raise KeyError(number)

    def rewrite_tail(self, length: int, entry: dict[str, Any]) -> None:
        """A reorg: drop the entries after the first ``length`` and append ``entry`` (a ``reorg``
        record, which reading the log applies as a truncation to its ``length``)."""
        del self._entries[length:]
        self._encoded = min(self._encoded, length)
        self._height = _height_of(self._entries)
        self.append(entry)

    def truncate(self, length: int) -> None:
        if length < len(self._entries):
            del self._entries[length:]
            self._encoded = min(self._encoded, length)
            self._height = _height_of(self._entries)
            self._write({"t": "truncate", "length": length}, sync=True)


def _height_of(entries: list[dict[str, Any] | SuperblockRecord]) -> int:
    for entry in reversed(entries):
        if isinstance(entry, SuperblockRecord):
            return entry.superblock.number
        if entry.get("t") == "superblock":
            return int(entry["number"])
    return 0


# -- reading and checking the log on disk --------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """A damaged tail to cut: from ``line`` (at byte ``offset``) to the end of the file."""

    line: int
    offset: int
    size: int
    lines: int
    reason: str

    def describe(self, path: Path) -> str:
        what = f"{self.size} bytes ({self.lines} line{'s' if self.lines != 1 else ''})"
        return f"{path}:{self.line}: cut {what} from byte offset {self.offset} to the end: {self.reason}"


@dataclass(frozen=True)
class LogScan:
    """A log file read and checked: its entries (truncations applied), where appends go on."""

    entries: list[dict[str, Any]]
    records: int  # valid records (lines)
    size: int  # bytes they take, up to the cut
    last_hash: str
    height: int
    cut: Cut | None  # a damaged tail that open() cuts
    newline_missing: bool  # the last valid record lacks its newline


def _version_of(line: bytes) -> Any:
    """The version of a genesis line written by another format (no hash fields), else None."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if isinstance(obj, dict) and obj.get("t") == "genesis" and "prev" not in obj:
        return obj.get("version")
    return None


def scan_log(directory: Path, parse: bool = True) -> LogScan:
    """Read and check the log in ``directory`` (see the module docstring). Raises LogError
    naming the file, line and reason; never changes the file. ``parse=False`` checks only the
    hash chain and the head marker (no entries, no heights): what ``open`` needs after
    ``load_entries`` has checked the rest."""
    path = directory / LOG_FILE
    data = path.read_bytes() if path.exists() else b""
    head = read_head(directory)
    pieces = data.split(b"\n")
    entries: list[dict[str, Any]] = []
    records = offset = height = 0
    prev = ZERO_HASH
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if last and not piece:
            break
        lineno = index + 1
        try:
            got_prev, digest = unseal(piece)
            if got_prev != prev:
                raise BadRecord(f"the record does not follow line {index} (a record before it was removed, added "
                                f"or reordered)" if records else "the first record does not start a log")
        except BadRecord as bad:
            if records == 0:
                version = _version_of(piece)
                if version is not None:
                    raise LogError(f"log format version {version}, this xrollup reads version {FORMAT_VERSION}; "
                                   "start a new --state-dir, or use the xrollup that wrote it", path, 1) from None
            cut = _tail(path, data, pieces, index, offset, str(bad), records, _at(height, records, parse), head)
            return LogScan(entries, records, offset, prev, height, cut, False)
        if parse:
            height = _apply(entries, piece, records, path, lineno, height)
        records += 1
        prev = digest
        offset += len(piece) + (0 if last else 1)
        if head is not None and records == head.records and digest != head.hash:
            raise LogError(f"this is not the record {HEAD_FILE} names as the log's record {records}: the log "
                           f"was replaced or rewritten; delete {HEAD_FILE} to start from the log as it is", path, lineno)
    if head is not None and head.records > records:
        ends = f"ends at {_at(height, records, parse)}" if records else "is empty"
        raise LogError(f"the log {ends}, but {HEAD_FILE} says it reached superblock {head.height} (line "
                       f"{head.records}): records are missing from the end of the log", path)
    missing = bool(pieces[-1])  # the last record verified but its newline is gone
    return LogScan(entries, records, offset, prev, height, None, missing)


def _apply(entries: list[dict[str, Any]], piece: bytes, records: int, path: Path, lineno: int, height: int) -> int:
    """Check a sealed record's entry and apply it to ``entries``; the height after it.
    Raises LogError."""
    try:
        entry = json.loads(piece)
    except ValueError:
        raise LogError("a sealed record that is not JSON", path, lineno) from None
    del entry["prev"], entry["h"]
    reason = check_entry(entry) or _out_of_place(entry, records, len(entries))
    if reason:
        raise LogError(reason, path, lineno)
    if entry["t"] in ("truncate", "reorg"):  # a reorg truncates too, and stays as its record
        del entries[entry["length"]:]
        if entry["t"] == "reorg":
            entries.append(entry)
        return next((e["number"] for e in reversed(entries) if e["t"] == "superblock"), 0)
    entries.append(entry)
    return int(entry["number"]) if entry["t"] == "superblock" else height


def _out_of_place(entry: dict[str, Any], records: int, length: int) -> str | None:
    kind = entry["t"]
    if records == 0:
        if kind != "genesis":
            return f"the log starts with a {kind} record, not a genesis record"
        if entry["version"] != FORMAT_VERSION:
            return (f"log format version {entry['version']}, this xrollup reads version {FORMAT_VERSION}; "
                    "start a new --state-dir, or use the xrollup that wrote it")
    elif kind == "genesis":
        return "a second genesis record"
    elif kind in ("truncate", "reorg") and entry["length"] > length:
        return f"a truncation to {entry['length']} entries, but the log has {length}"
    return None


def _at(height: int, records: int, parse: bool) -> str:
    return f"superblock {height} (line {records})" if parse else f"line {records}"


def _tail(path: Path, data: bytes, pieces: list[bytes], index: int, offset: int, reason: str, records: int,
          at: str, head: Head | None) -> Cut:
    """The cut for a bad record at ``pieces[index]``, if it starts a damaged tail that may go.
    Raises LogError for damage inside the log or a tail that held acknowledged records."""
    lineno = index + 1
    later = next((j for j in range(index + 1, len(pieces)) if is_record(pieces[j])), None)
    if later is not None:
        raise LogError(f"{reason}; line {later + 1} and later hold intact records, so this is damage inside "
                       "the log, not a torn last write", path, lineno)
    torn = index == len(pieces) - 1 and starts_like_record(pieces[index])  # no newline: a write cut short
    if records == 0 and not torn and data.strip():
        raise LogError(f"not an xrollup superblock log: {reason}", path, lineno)
    lost = head.records - records if head is not None else 0
    if head is not None and (lost > 1 or (lost == 1 and not torn)):
        raise LogError(f"{reason}; the log's valid records end at {at}, but "
                       f"{HEAD_FILE} says it reached superblock {head.height} (line {head.records})", path, lineno)
    what = "an incomplete record, the write a crash cut short" if torn else reason
    if lost == 1:
        what += f"; {HEAD_FILE} had counted it (at superblock {head.height if head else '?'})"
    lines = sum(1 for p in pieces[index:] if p)
    return Cut(lineno, offset, len(data) - offset, lines, what)


def load_entries(directory: Path) -> list[dict[str, Any]]:
    """The entries of the log in ``directory``, truncations applied, without a damaged tail
    (``SuperblockLog.open`` cuts it, with a warning). Raises LogError (file, line, reason)."""
    return scan_log(directory).entries
