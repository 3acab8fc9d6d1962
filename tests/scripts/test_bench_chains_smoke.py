"""Smoke test of scripts/bench_chains.py: it runs end to end (--quick) and prints every figure.

It never asserts on speed: the figures only have to be there (and positive).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_chains_quick_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_chains.py"), "--quick", "--json", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    for label in ("automine transfers/s, 100 chains", "100 vs 2 chains", "start-up, 100 chains", "idle RSS, 100 chains",
                  "evm_snapshot + evm_revert, 100 chains", "in-process Devnet(chains=range(1, 101))"):
        assert label in result.stdout, result.stdout
    figures = json.loads(out.read_text())
    for key in ("transfers_per_s_2_chains", "transfers_per_s_100_chains", "ratio_100_vs_2", "startup_s_100_chains",
                "idle_rss_mb_100_chains", "snapshot_revert_ms_100_chains", "in_process_start_s_100_chains"):
        assert figures[key] > 0, key
