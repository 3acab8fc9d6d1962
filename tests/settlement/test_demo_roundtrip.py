"""scripts/demo_roundtrip.py runs end to end with fast options: the deposit lands on 901, the
atomic move reaches 902, the withdrawal is proven and finalized, and the ETH arrives on the L1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_round_trip_demo() -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "demo_roundtrip.py"), "--l1-block-time", "0.5"],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "type 0x7e" in out
    assert "superblock" in out and "chain 901 block" in out and "chain 902 block" in out
    assert "finalizing early was refused: execution reverted: OptimismPortal: proven withdrawal finalization" in out
    assert "0.5 ETH arrived on the L1" in out
    assert ": finalized" in out  # the withdrawal's block, once its batch is final on the L1
    assert out.rstrip().endswith("the round trip is complete: L1 -> 901 -> 902 -> L1")
