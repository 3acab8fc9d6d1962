"""Other people's tools for the test suite, installed from npm once and cached.

A ``ToolSet`` is a group of pinned npm packages in its own directory under
~/.cache/xrollup-tests (override with XROLLUP_TEST_CACHE), installed the first time a test asks
for it and reused afterwards. A set may bring its own Node.js (the npm package ``node``): it is
installed first, and the rest is installed with it on PATH, so that packages needing a newer
Node than the machine's (Hardhat 3 needs >= 22.13) get their native parts for it.

When the npm registry cannot be reached the calling test is skipped, saying so loudly; any
other install failure fails it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "network request")
INSTALL_TIMEOUT = 900.0


def cache_dir() -> Path:
    return Path(os.environ.get("XROLLUP_TEST_CACHE", Path.home() / ".cache/xrollup-tests"))


@dataclass(frozen=True)
class ToolSet:
    """``packages`` (name → exact version) installed in ``cache_dir()/name``; ``node``: the
    version of the npm ``node`` package the set runs on (None: the machine's node);
    ``required``: globs under the set's directory that an install must leave (the native
    binaries)."""

    name: str
    packages: dict[str, str]
    node: str | None = None
    required: tuple[str, ...] = ()
    package_json: dict[str, object] = field(default_factory=lambda: {"private": True})

    @property
    def root(self) -> Path:
        return cache_dir() / self.name

    @property
    def bin_path(self) -> str:
        """A PATH with the set's own node (if any) and its node_modules/.bin first."""
        dirs = [str(self.root / "node_modules/.bin")]
        if self.node is not None:
            dirs.insert(0, str(self.root / "node_modules/node/bin"))
        return os.pathsep.join([*dirs, os.environ.get("PATH", "")])

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PATH": self.bin_path, **extra}

    def _all_packages(self) -> dict[str, str]:
        return {**({"node": self.node} if self.node is not None else {}), **self.packages}

    def installed(self) -> bool:
        for name, version in self._all_packages().items():
            manifest = self.root / "node_modules" / name / "package.json"
            if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
                return False
        return all(any(self.root.glob(pattern)) for pattern in self.required)

    def install(self) -> Path:
        """The set's directory, installed if missing. Skips the calling test when the registry
        cannot be reached; fails it on any other npm error."""
        if self.installed():
            return self.root
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm is not on PATH: it installs {', '.join(self._all_packages())} for these tests")
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = self.root / "package.json"
        if not manifest.exists():
            manifest.write_text(json.dumps(self.package_json) + "\n")
        if self.node is not None:
            self._npm(npm, {"node": self.node}, os.environ.copy())
        self._npm(npm, self._all_packages(), self.env())
        if not self.installed():
            missing = [p for p in self.required if not any(self.root.glob(p))]
            pytest.fail(f"npm installed {self._all_packages()} in {self.root} but {missing} are missing")
        return self.root

    def _npm(self, npm: str, packages: dict[str, str], env: dict[str, str]) -> None:
        specs = [f"{name}@{version}" for name, version in packages.items()]
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", *specs], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        if done.returncode == 0:
            return
        if any(marker in done.stderr for marker in UNREACHABLE):
            pytest.skip(f"SKIPPED: the npm registry cannot be reached to install {', '.join(specs)}:\n"
                        f"{done.stderr[-2000:]}")
        pytest.fail(f"npm install {' '.join(specs)} failed:\n{done.stderr[-4000:]}")
