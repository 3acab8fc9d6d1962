"""cast and @eth-optimism/viem for the supersim guide tests, installed from npm once.

The packages go to ~/.cache/xrollup-tests (override with XROLLUP_TEST_CACHE), the same way the
benchmarks install anvil. When the npm registry cannot be reached the guide tests are skipped,
saying so; any other install failure fails them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGES = {"@foundry-rs/cast": "1.7.1", "@eth-optimism/viem": "0.4.13", "viem": "2.57.20"}
UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "network request")


@dataclass(frozen=True)
class Tools:
    root: Path  # node_modules lives here; node scripts run from here

    @property
    def cast(self) -> Path:
        return self.root / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"


def cache_dir() -> Path:
    return Path(os.environ.get("XROLLUP_TEST_CACHE", Path.home() / ".cache/xrollup-tests"))


def _installed(root: Path) -> bool:
    for name, version in PACKAGES.items():
        manifest = root / "node_modules" / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
            return False
    return (root / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast").exists()


def install() -> Tools:
    """The tools, installed if missing. Skips the calling test when the registry cannot be
    reached; fails it on any other npm error."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    if not _installed(root):
        if not (root / "package.json").exists():
            (root / "package.json").write_text('{"private": true}\n')
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", *specs], cwd=root,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            if any(marker in done.stderr for marker in UNREACHABLE):
                pytest.skip(f"SKIPPED: the npm registry cannot be reached to install {', '.join(specs)}:\n"
                            f"{done.stderr[-2000:]}")
            pytest.fail(f"npm install {' '.join(specs)} failed:\n{done.stderr[-4000:]}")
        if not _installed(root):
            pytest.fail(f"npm installed {specs} but the cast binary is missing from {root}")
    return Tools(root)
