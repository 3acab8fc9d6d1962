"""Saved devnet state (anvil_dumpState / anvil_loadState, --dump-state / --load-state).

A dump is the superblock log as gzipped JSON: {"format": "xrollup-state", "version": N,
"entries": [genesis, superblocks, edits...]}. Loading replays it into fresh chains, so every
block hash and state root is checked again, and receipts, logs and mailboxes come back.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from chains.errors import InvalidInput
from shared_sequencer.log import FORMAT_VERSION

DUMP_FORMAT = "xrollup-state"


class DumpError(InvalidInput):
    """A state file of another version, a corrupt one, or one of other chains."""


def encode_dump(entries: list[dict[str, Any]]) -> bytes:
    body = {"format": DUMP_FORMAT, "version": FORMAT_VERSION, "entries": entries}
    return gzip.compress(json.dumps(body, separators=(",", ":")).encode(), mtime=0)


def decode_dump(blob: bytes) -> list[dict[str, Any]]:
    """The log entries of a dump (gzipped or plain JSON). Raises DumpError."""
    try:
        raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        body = json.loads(raw)
    except (OSError, EOFError, ValueError) as exc:
        raise DumpError(f"not an xrollup state file (corrupt or not gzipped JSON): {exc}") from None
    if not isinstance(body, dict) or body.get("format") != DUMP_FORMAT:
        raise DumpError("not an xrollup state file (an anvil state cannot be loaded: it has no superblocks)")
    if body.get("version") != FORMAT_VERSION:
        raise DumpError(f"state file version {body.get('version')}, this xrollup reads version {FORMAT_VERSION}")
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries or entries[0].get("t") != "genesis":
        raise DumpError("corrupt state file: no genesis entry")
    return entries
