"""Rewriting a state dir's superblock log as a forger would: records edited, then the hash chain
and the head marker recomputed, so that only replay's own checks can tell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared_sequencer.log import HEAD_FILE, LOG_FILE, Head
from shared_sequencer.records import ZERO_HASH, seal


def read_records(state_dir: Path) -> list[dict[str, Any]]:
    """Every record of the log, in file order, without its prev/h hash fields."""
    out = []
    for line in (state_dir / LOG_FILE).read_text().split("\n"):
        if line:
            record = json.loads(line)
            del record["prev"], record["h"]
            out.append(record)
    return out


def write_resealed(state_dir: Path, records: list[dict[str, Any]]) -> None:
    """Write ``records`` as the log, sealed afresh, with a head marker that agrees."""
    prev, lines, height = ZERO_HASH, [], 0
    for record in records:
        line, prev = seal(prev, record)
        lines.append(line + "\n")
        if record["t"] == "superblock":
            height = record["number"]
    (state_dir / LOG_FILE).write_text("".join(lines))
    (state_dir / HEAD_FILE).write_bytes(Head(len(records), height, prev).to_bytes())
