"""cast and @eth-optimism/viem for the supersim guide and settlement tests: a tool set that
tests/support/npm_tools.py installs from npm once and caches (skipped, loudly, when the registry
cannot be reached; any other install failure fails the test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.npm_tools import ToolSet

CAST = "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
TOOLS = ToolSet("supersim", {"@foundry-rs/cast": "1.7.1", "@eth-optimism/viem": "0.4.13", "viem": "2.57.20"},
                required=(CAST,))


@dataclass(frozen=True)
class Tools:
    root: Path  # node_modules lives here; node scripts run from here

    @property
    def cast(self) -> Path:
        return self.root / CAST


def install() -> Tools:
    """The tools, installed if missing (see ``ToolSet.install``)."""
    return Tools(TOOLS.install())
