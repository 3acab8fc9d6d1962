"""Runs ``bridge_contracts/build.py --check`` once per test session, in the background."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_proc: subprocess.Popen[str] | None = None


def start() -> None:
    global _proc
    if _proc is None:
        _proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bridge_contracts" / "build.py"), "--check"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def result(timeout: float = 300) -> tuple[int, str]:
    """Exit code and output of the check (starting it now if it was not started yet)."""
    start()
    assert _proc is not None
    out, _ = _proc.communicate(timeout=timeout)
    return _proc.returncode, out


def stop() -> None:
    if _proc is not None and _proc.poll() is None:
        _proc.kill()
        _proc.wait()
