"""Smoke test of scripts/bench_ordering.py: ``--quick`` runs end to end against a real devnet
and prints a row for every policy with its ratio to fifo. No assertion on speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench_ordering.py"
NUM = r"\d+(?:\.\d+)?"
LABELS = ("fifo", "fees", "random", "encrypted", "express-lane, delay 0, controller",
          "express-lane, delay 0.2 s, no controller")


def test_bench_ordering_quick_prints_every_policy(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for label in LABELS:
        pattern = rf"^{re.escape(label)}\s+{NUM}\s+{NUM}x \({NUM}-{NUM}\)\s+{NUM}\s+{NUM}x \({NUM}-{NUM}\)$"
        assert re.search(pattern, done.stdout, re.M), f"no row for {label} in:\n{done.stdout}"
    figures = json.loads(out_json.read_text())
    assert list(figures["policies"]) == list(LABELS)
    fifo = figures["policies"]["fifo"]
    assert fifo["sequential"]["ratio"] == fifo["concurrent"]["ratio"] == 1.0
    for row in figures["policies"].values():
        for kind in ("sequential", "concurrent"):
            assert row[kind]["tx_per_s"] > 0 and row[kind]["ratio"] > 0
