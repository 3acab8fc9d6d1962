"""Smoke test of scripts/bench_xcall.py --quick: it runs end to end (its own devnet
subprocess) and prints every figure. No assertion on speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench_xcall.py"


def test_bench_xcall_quick_prints_every_figure(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^kind\s+count\s+tx/s\s+p50 \(ms\)\s+p99 \(ms\)\s+mean \(ms\)$", out, re.M), out
    for kind in ("transfer", "local call", "xcall"):
        assert re.search(rf"^{kind}\s+5\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M), (kind, out)
    assert re.search(r"^cross-rollup calls per second: [\d.]+", out, re.M), out
    assert re.search(r"^xcall p50 / plain \(local call\) p50 = [\d.]+x", out, re.M), out
    assert re.search(r"^target: a cross-rollup call costs at most 3x a plain transaction's latency \(p50\): "
                     r"(MET|NOT MET)$", out, re.M), out

    data = json.loads(out_json.read_text())
    assert data["chains"] == [901, 902] and data["count"] == 5 and data["quick"] is True
    assert set(data["kinds"]) == {"transfer", "local call", "xcall"}
    for stats in data["kinds"].values():
        assert stats["count"] == 5
        assert all(stats[k] > 0 for k in ("per_s", "p50_ms", "p99_ms", "mean_ms"))
        assert stats["p99_ms"] >= stats["p50_ms"]
    assert data["ratio_xcall_to_plain_p50"] == data["kinds"]["xcall"]["p50_ms"] / data["kinds"]["local call"]["p50_ms"]
    assert data["target"]["met"] == (data["ratio_xcall_to_plain_p50"] <= 3)
