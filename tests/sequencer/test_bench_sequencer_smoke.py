"""Smoke test of scripts/bench_sequencer.py: ``--quick`` runs end to end against real devnets
and prints every figure and every target line. No assertion on speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench_sequencer.py"
NUM = r"\d+(?:\.\d+)?"


def test_bench_sequencer_quick_prints_every_figure(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout

    expected = [
        rf"^bundles \(automine, 3 chains\): \d+ two-leg bundles: {NUM} bundles/s, latency p50 {NUM} ms, p99 {NUM} ms",
        rf"^with --state-dir .*: {NUM} bundles/s, latency p50 {NUM} ms, p99 {NUM} ms; sequential transfers {NUM} tx/s",
        rf"^single-chain sequential transfers \(automine, 1-chain devnet\): {NUM} tx/s",
        rf"^sequential transfers on one chain of the 3-chain devnet \(automine\): {NUM} tx/s",
        rf"^concurrent transfers, 8 clients over 3 chains \(automine\): {NUM} tx/s .*tx/superblock\)",
        rf"^concurrent transfers, 8 clients over 3 chains \(interval {NUM} s\): {NUM} tx/s .*tx/superblock\)",
        rf"^replay: \d+ superblocks: {NUM} superblocks/s",
        r"^targets:$",
        rf"^  bundle latency p50 < 20 ms: (MET|NOT MET) \(p50 {NUM} ms\)$",
        rf"^  3-chain concurrent >= 2x single-chain sequential \(automine\): (MET|NOT MET) \(ratio {NUM}x\)$",
        rf"^  3-chain concurrent >= 2x single-chain sequential \(interval {NUM} s\): (MET|NOT MET) \(ratio {NUM}x\)$",
    ]
    for pattern in expected:
        assert re.search(pattern, out, re.M), f"missing line /{pattern}/ in:\n{out}"
    assert re.search(r"\d+ CPUs usable, Python 3\.", out)

    results = json.loads(out_json.read_text())
    for key in ("single_chain_sequential", "three_chain_sequential", "concurrent_automine", "concurrent_interval"):
        assert results[key]["tx_per_s"] > 0
    assert results["bundles_automine"]["bundles_per_s"] > 0
    assert results["bundles_automine"]["latency_ms_p50"] <= results["bundles_automine"]["latency_ms_p99"]
    assert results["replay"]["superblocks"] > 0
    assert set(results["targets"]) == {"bundle_latency_p50_below_20ms", "concurrent_automine_2x_sequential",
                                       "concurrent_interval_2x_sequential"}
    assert all(isinstance(t["met"], bool) for t in results["targets"].values())


def test_bench_sequencer_json_to_stdout() -> None:
    # The script imports its sibling modules by name: import it where it lives, in a child process.
    probe = ("import json, bench_sequencer as m; "
             "print(json.dumps([vars(m.parse_args(['--quick', '--json'])), vars(m.parse_args([]))], default=str))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=BENCH.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    args, full = (SimpleNamespace(**ns) for ns in json.loads(done.stdout))
    assert args.json == "-" and args.bundles == 10 and args.transfers == 20 and args.per_client == 5
    assert full.json is None and full.bundles == 300 and full.block_time == 0.05
