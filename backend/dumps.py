"""Saved devnet state (anvil_dumpState / anvil_loadState, --dump-state / --load-state).

A dump is the superblock log as gzipped JSON: {"format": "xrollup-state", "version": N,
"entries": [genesis, superblocks, edits...], "hashes": [...]}. Loading replays it into fresh
chains, so every block hash and state root is checked again, and receipts, logs and mailboxes
come back. What replay cannot check is covered by ``hashes``, a hash chain (``records.seal``)
over each entry's claims: an edit whole, a superblock without its blocks (replay rebuilds each
block and checks it against its hash), the genesis without its chain ids (checked against the
devnet's). A changed, removed or reordered entry is refused, naming it.

A devnet with an L1 adds ``"l1": {"entries": [...], "hashes": [...]}``, the L1's own log in the
same form, so that a load restores the L1 (its batches, deposits and blocks) with the rollups it
settles. A dump without it (older, or of a devnet without an L1) loads the rollups alone.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from chains.errors import InvalidInput
from shared_sequencer.log import FORMAT_VERSION
from shared_sequencer.records import chain_hashes, check_entry

DUMP_FORMAT = "xrollup-state"


class DumpError(InvalidInput):
    """A state file of another version, a corrupt one, or one of other chains."""


def _claims(entry: dict[str, Any]) -> dict[str, Any]:
    """What of ``entry`` replay does not check by itself."""
    kind = entry["t"]
    if kind == "genesis":
        return {**entry, "config": {k: v for k, v in entry["config"].items() if k != "chain_ids"}}
    if kind == "superblock":
        return {k: v for k, v in entry.items() if k != "blocks"}
    return entry


def encode_dump(entries: list[dict[str, Any]], l1_entries: list[dict[str, Any]] | None = None) -> bytes:
    """The dump of a superblock log, and of the L1's log beside it when there is one."""
    body: dict[str, Any] = {"format": DUMP_FORMAT, "version": FORMAT_VERSION, "entries": entries,
                            "hashes": chain_hashes([_claims(e) for e in entries])}
    if l1_entries is not None:
        body["l1"] = {"entries": l1_entries, "hashes": chain_hashes([_claims(e) for e in l1_entries])}
    return gzip.compress(json.dumps(body, separators=(",", ":")).encode(), mtime=0)


def decode_dump(blob: bytes) -> list[dict[str, Any]]:
    """The log entries of a dump (gzipped or plain JSON). Raises DumpError."""
    return decode_dump_with_l1(blob)[0]


def decode_dump_with_l1(blob: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The log entries of a dump, and the L1's (None in a dump without an L1). Raises DumpError."""
    try:
        raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        body = json.loads(raw)
    except (OSError, EOFError, ValueError) as exc:
        raise DumpError(f"not an xrollup state file (corrupt or not gzipped JSON): {exc}") from None
    if not isinstance(body, dict) or body.get("format") != DUMP_FORMAT:
        raise DumpError("not an xrollup state file (an anvil state cannot be loaded: it has no superblocks)")
    if body.get("version") != FORMAT_VERSION:
        raise DumpError(f"state file version {body.get('version')}, this xrollup reads version {FORMAT_VERSION}")
    entries = _checked(body, "")
    l1 = body.get("l1")
    if l1 is None:
        return entries, None
    if not isinstance(l1, dict):
        raise DumpError("corrupt state file: its l1 part is not an object")
    return entries, _checked(l1, "the L1's ")


def _checked(body: dict[str, Any], whose: str) -> list[dict[str, Any]]:
    """``body``'s entries, after checking each and their hash chain. Raises DumpError."""
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict) or entries[0].get("t") != "genesis":
        raise DumpError(f"corrupt state file: {whose}log has no genesis entry")
    for index, entry in enumerate(entries):
        reason = check_entry(entry)
        if reason is None and index and entry["t"] in ("genesis", "truncate"):
            reason = f"a {entry['t']} entry after the first"
        if reason:
            raise DumpError(f"corrupt state file: {whose}entry {index}: {reason}")
    hashes = body.get("hashes")
    if not isinstance(hashes, list) or len(hashes) != len(entries):
        raise DumpError(f"corrupt state file: it has no hash for each {whose}entry")
    for index, (got, want) in enumerate(zip(chain_hashes([_claims(e) for e in entries]), hashes, strict=True)):
        if got != want:
            raise DumpError(f"corrupt state file: {whose}entry {index} ({entries[index]['t']}) does not match its hash: "
                            "it was changed, added, removed or reordered")
    return entries
