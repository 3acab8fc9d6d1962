"""Smoke test of scripts/bench_misbehave.py: it runs end to end in --quick mode and prints
every figure. It never asserts on speed: the figures only have to be there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench_misbehave.py"
SCENARIOS = ("quiet", "endless call", "far-side burn", "filter flood")


def test_bench_misbehave_quick_prints_every_figure(tmp_path: Path) -> None:
    out_json = tmp_path / "misbehave.json"
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^scenario\s+chain\s+p50 \(ms\)\s+p99 \(ms\)\s+p50 ratio\s+p99 ratio\s+attacker requests$",
                     out, re.M), out
    for name in SCENARIOS:
        assert re.search(rf"^{name}\s+90[12]\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+$", out, re.M), out
    assert re.search(r"^target: victim p99 < 100 ms in every scenario: (MET|NOT MET) \(worst [\d.]+ ms\)$", out, re.M)

    data = json.loads(out_json.read_text())
    assert set(data["scenarios"]) == set(SCENARIOS)
    for name in SCENARIOS:
        figures = data["scenarios"][name]
        assert figures["p50_ms"] > 0 and figures["p99_ms"] >= figures["p50_ms"]
    # every misbehaving client got through: its requests were answered, each as it should be
    assert all(data["scenarios"][name]["attacker_requests"] > 0 for name in SCENARIOS[1:])
