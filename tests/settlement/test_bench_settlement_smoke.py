"""Smoke test of scripts/bench_settlement.py: it runs end to end and prints its figures (never
an assertion on speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_settlement_prints_the_ratio() -> None:
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_settlement.py"), "--transfers", "30"],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "ratio L1 on / --no-l1:" in out.stdout and "transfers/s" in out.stdout
    assert "batches" in out.stdout
