"""Rebuild the Solidity artifacts in ``bridge_contracts/artifacts`` with solcjs.

Usage::

    python bridge_contracts/build.py          # npm ci (if needed) + node build.js
    python bridge_contracts/build.py --check  # compile into a temp dir, compare, exit 1 on drift

The compiler is the npm package ``solc`` pinned exactly in ``package.json`` /
``package-lock.json``; settings (optimizer 200 runs, evmVersion prague, no metadata hash)
live in ``build.js``.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"


def ensure_node_modules() -> None:
    if (HERE / "node_modules" / "solc" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js (>= 18) to build the contracts")
    cmd = [npm, "ci"] if (HERE / "package-lock.json").is_file() else [npm, "install"]
    subprocess.run([*cmd, "--no-audit", "--no-fund"], cwd=HERE, check=True)


def run_build(out_dir: Path) -> None:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node not found: install Node.js (>= 18) to build the contracts")
    ensure_node_modules()
    subprocess.run([node, str(HERE / "build.js"), str(out_dir)], cwd=HERE, check=True)


def diff_dirs(expected: Path, actual: Path) -> list[str]:
    """Names of artifact files that differ between the two directories (missing counts)."""
    exp = {p.name for p in expected.glob("*.json")} if expected.is_dir() else set()
    act = {p.name for p in actual.glob("*.json")}
    problems: list[str] = []
    for name in sorted(exp | act):
        if name not in act:
            problems.append(f"{name}: committed but no longer produced by the sources")
        elif name not in exp:
            problems.append(f"{name}: produced by the sources but not committed")
        elif not filecmp.cmp(expected / name, actual / name, shallow=False):
            problems.append(f"{name}: differs from a fresh build")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify committed artifacts match the sources")
    args = parser.parse_args(argv)
    if not args.check:
        run_build(ARTIFACTS)
        return 0
    with tempfile.TemporaryDirectory(prefix="xrollup-artifacts-") as tmp:
        run_build(Path(tmp))
        problems = diff_dirs(ARTIFACTS, Path(tmp))
    if problems:
        print("artifacts are out of date (run: python bridge_contracts/build.py):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("artifacts are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
