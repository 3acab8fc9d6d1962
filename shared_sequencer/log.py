"""The superblock log: the sequencer's output stream, in memory or on disk.

Entries are JSON objects: the devnet's genesis, each superblock with every chain's block body,
dev-method state edits, and truncations (evm_revert). On disk it is one JSON line per entry,
flushed and fsynced per superblock, so a crash loses at most the superblock being written; a
torn last line is ignored when loading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from chains.rollup import StateEdit
from shared_sequencer.superblock import SuperblockRecord

LOG_FILE = "superblocks.jsonl"
FORMAT_VERSION = 1


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _unhex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def encode_superblock(record: SuperblockRecord) -> dict[str, Any]:
    sb = record.superblock
    bodies = {b.chain_id: b for b in record.bodies}
    return {
        "t": "superblock",
        "number": sb.number,
        "timestamp": sb.timestamp,
        "parentHash": _hex(sb.parent_hash),
        "hash": _hex(sb.hash),
        "bundles": [_hex(b) for b in sb.bundles],
        "bundleLegs": {_hex(h): [[cid, _hex(tx)] for cid, tx in legs] for h, legs in record.bundle_legs.items()},
        "xrollupErrors": {_hex(h): [f.chain_id, f.reason] for h, f in record.xcall_errors.items()},
        "blocks": [
            {
                "chainId": ref.chain_id,
                "number": ref.number,
                "hash": _hex(ref.hash),
                "stateRoot": _hex(ref.state_root),
                "txs": [[_hex(raw), _hex(s) if s else None] for raw, s in bodies[ref.chain_id].txs],
                "gasLimit": bodies[ref.chain_id].gas_limit,
                "coinbase": _hex(bodies[ref.chain_id].coinbase),
                "baseFee": bodies[ref.chain_id].base_fee,
            }
            for ref in sb.blocks
        ],
    }


def encode_edit(chain_id: int, edit: StateEdit) -> dict[str, Any]:
    value = _hex(edit.value) if isinstance(edit.value, bytes) else edit.value
    return {"t": "edit", "chainId": chain_id, "kind": edit.kind, "address": _hex(edit.address), "value": value, "slot": edit.slot}


def decode_edit(entry: dict[str, Any]) -> StateEdit:
    value = entry["value"]
    return StateEdit(entry["kind"], _unhex(entry["address"]), _unhex(value) if isinstance(value, str) else int(value), int(entry["slot"]))


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
        """Start writing to ``directory`` (appending), after entries already replayed."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOG_FILE
        if path.exists():  # cut a torn last line, so that appends start on a fresh line
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            if keep != len(data):
                with open(path, "r+b") as f:
                    f.truncate(keep)
        self._file = open(path, "a", encoding="utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, entry: dict[str, Any], sync: bool) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())

    def append(self, entry: dict[str, Any], sync: bool = True) -> None:
        self._entries.append(entry)
        self._write(entry, sync)

    def append_superblock(self, record: SuperblockRecord) -> None:
        if self._file is None:
            self._entries.append(record)
        else:
            self.append(encode_superblock(record))

    def append_edit(self, chain_id: int, edit: StateEdit) -> None:
        self.append(encode_edit(chain_id, edit))

    def truncate(self, length: int) -> None:
        if length < len(self._entries):
            del self._entries[length:]
            self._encoded = min(self._encoded, length)
            self._write({"t": "truncate", "length": length}, sync=True)


def load_entries(directory: Path) -> list[dict[str, Any]]:
    """Read the log in ``directory``, applying truncations; a torn last line is dropped.

    Raises ValueError for a log of another format version or a corrupt line before the end.
    """
    path = directory / LOG_FILE
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            if lineno >= len(lines) - 1:
                break  # torn final write: that superblock was never acknowledged
            raise ValueError(f"{path}:{lineno}: corrupt log entry") from None
        if entry.get("t") == "truncate":
            del entries[int(entry["length"]):]
        else:
            entries.append(entry)
    if entries and entries[0].get("t") == "genesis" and entries[0].get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: log format version {entries[0].get('version')}, this xrollup reads {FORMAT_VERSION}")
    return entries
