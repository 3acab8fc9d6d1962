"""Batches: the superblock log's entries as L1 calldata, and back.

The batcher posts the log's entries (the genesis entry, each superblock with its blocks'
bodies, dev-method edits: what the durable log holds) in *channels*: one channel is a run of
consecutive entries starting at log index ``first``, as compact JSON, compressed with zlib, cut
into frames that each fit one L1 transaction's calldata. A frame is

    version (1 byte, 0) ++ first (8 bytes) ++ frame index (2 bytes) ++ frame count (2 bytes) ++ chunk

and the frames of a channel are posted in order, each to the batch inbox from the batcher.
Derivation (``Channels``) puts a channel back together and hands its entries on: they replace
the derived log from ``first`` on, so a channel at 0 (a reset devnet, its genesis entry first)
starts over and a channel before the end (after evm_revert) rewrites the tail.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

VERSION = 0
HEADER = 13
MAX_CHUNK = 96 * 1024  # compressed bytes per frame: one L1 transaction's calldata, well under the gas cap
MAX_FRAMES = 0xFFFF


class BatchError(ValueError):
    """Calldata that is not a frame, or a channel that does not decode."""


@dataclass(frozen=True)
class Frame:
    first: int
    index: int
    count: int
    chunk: bytes


def encode_channel(first: int, entries: list[dict[str, Any]]) -> list[bytes]:
    """The frames (calldata, in posting order) that carry ``entries`` from log index ``first``.
    Raises BatchError for a channel of more than MAX_FRAMES frames."""
    body = zlib.compress(json.dumps(entries, separators=(",", ":")).encode(), 1)
    chunks = [body[i:i + MAX_CHUNK] for i in range(0, len(body), MAX_CHUNK)] or [b""]
    if len(chunks) > MAX_FRAMES:
        raise BatchError(f"a channel of {len(chunks)} frames: at most {MAX_FRAMES}")
    head = bytes([VERSION]) + first.to_bytes(8, "big")
    return [head + i.to_bytes(2, "big") + len(chunks).to_bytes(2, "big") + c for i, c in enumerate(chunks)]


def decode_frame(data: bytes) -> Frame:
    """Raises BatchError for calldata that is not a version-0 frame."""
    if len(data) < HEADER or data[0] != VERSION:
        raise BatchError("not a version-0 frame")
    index, count = int.from_bytes(data[9:11], "big"), int.from_bytes(data[11:13], "big")
    if not index < count:
        raise BatchError(f"frame {index} of a channel of {count}")
    return Frame(int.from_bytes(data[1:9], "big"), index, count, bytes(data[HEADER:]))


def decode_entries(body: bytes) -> list[dict[str, Any]]:
    """A channel's entries. Raises BatchError for a body that does not inflate to a JSON list
    of objects."""
    try:
        entries = json.loads(zlib.decompress(body))
    except (zlib.error, ValueError) as exc:
        raise BatchError(f"a channel that does not decode: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BatchError("a channel that is not a list of log entries")
    return entries


@dataclass
class Channels:
    """Derivation's side: frames in L1 order in, complete channels out. A frame that does not
    continue the open channel (another ``first``, a skipped index) drops it; so does calldata
    that is no frame."""

    _open: Frame | None = None
    _chunks: list[bytes] = field(default_factory=list)

    def add(self, data: bytes) -> tuple[int, list[dict[str, Any]]] | None:
        """Feed one inbox transaction's calldata; returns (first, entries) when it completes a
        channel. Raises BatchError for a frame or channel that does not decode (the open
        channel is dropped)."""
        try:
            frame = decode_frame(data)
        except BatchError:
            self._open, self._chunks = None, []
            raise
        if frame.index == 0:
            self._open, self._chunks = frame, []
        elif self._open is None or (frame.first, frame.count) != (self._open.first, self._open.count) \
                or frame.index != len(self._chunks):
            self._open, self._chunks = None, []
            raise BatchError(f"frame {frame.index} of channel {frame.first} does not continue an open channel")
        self._chunks.append(frame.chunk)
        if len(self._chunks) < frame.count:
            return None
        body, first = b"".join(self._chunks), frame.first
        self._open, self._chunks = None, []
        return first, decode_entries(body)


def apply_channel(derived: list[dict[str, Any]], first: int, entries: list[dict[str, Any]]) -> bool:
    """Put a channel's entries in the derived log at ``first`` (dropping what was after it).
    Returns False, changing nothing, for a channel past the end or one at 0 that does not
    start with a genesis entry."""
    if first > len(derived) or (first == 0 and (not entries or entries[0].get("t") != "genesis")):
        return False
    del derived[first:]
    derived.extend(entries)
    return True


def superblock_numbers(entries: list[dict[str, Any]]) -> Iterator[int]:
    for entry in entries:
        if entry.get("t") == "superblock":
            yield int(entry["number"])
