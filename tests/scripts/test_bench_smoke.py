"""Smoke test of scripts/bench_rpc.py: it runs end to end and prints every figure.

It never asserts on speed: the figures only have to be there (and positive).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts._bench_common import find_anvil, find_free_ports, format_table, median, percentile

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench_rpc.py"


def test_stat_helpers() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        median([])


def test_format_table_aligns_columns() -> None:
    text = format_table(["peer", "x/s"], [["a", "1.0"], ["longer", "123.5"]])
    lines = text.splitlines()
    assert lines[0].startswith("peer")
    assert len({len(line) for line in lines[1:]}) == 1  # rule and rows share one width
    assert lines[3].endswith("123.5")


def test_find_free_ports_gives_consecutive_free_ports() -> None:
    port = find_free_ports(2)
    for p in (port, port + 1):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", p))


def test_bench_rpc_quick_prints_every_figure(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    anvil = find_anvil()  # anvil is measured too when it is around; its absence must be reported instead
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--transfers", "3", "--calls", "5", "--json", str(out_json)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    assert re.search(r"\d+ CPUs", out) and "Python 3." in out
    header = re.search(r"^peer\s+transfers/s\s+eth_call/s\s+start-up \(s\)$", out, re.M)
    assert header, out
    for peer in ("xrollup", "eth-tester"):
        assert re.search(rf"^{peer}\s+[\d,.]+\s+[\d,.]+\s+[\d.]+$", out, re.M), out
    assert "xrollup vs eth-tester:" in out
    assert "in-process" in out
    assert len(re.findall(r"-> (?:MET|NOT MET)$", out, re.M)) == 2, out
    if anvil is not None:
        assert re.search(r"^anvil\s+[\d,.]+\s+[\d,.]+\s+[\d.]+$", out, re.M), out
        assert "xrollup vs anvil:" in out
    else:
        assert "anvil: not available (" in out

    data = json.loads(out_json.read_text())
    for peer in ("xrollup", "eth-tester"):
        figures = data["peers"][peer]["median"]
        assert figures["transfers_per_s"] > 0 and figures["calls_per_s"] > 0 and figures["startup_s"] > 0
        assert len(data["peers"][peer]["rounds"]) == 1
    assert set(data["targets"]) == {"transfers_vs_eth_tester", "two_chain_startup_s"}
    assert data["machine"]["cpu_count"] >= 1
