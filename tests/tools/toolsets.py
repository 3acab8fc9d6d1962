"""The npm tool sets these tests bring, pinned (tests/support/npm_tools.py installs them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.npm_tools import ToolSet

HERE = Path(__file__).resolve().parent

# Hardhat 3 needs Node >= 22.13: the set runs on npm's `node` package.
HARDHAT = ToolSet(
    "hardhat",
    {
        "hardhat": "3.18.0",
        "@nomicfoundation/hardhat-network-helpers": "3.0.11",
        "@nomicfoundation/hardhat-ethers": "4.2.0",
        "@nomicfoundation/hardhat-node-test-runner": "3.1.0",
        "ethers": "6.17.0",
        "solc": "0.8.37",  # Hardhat's `solidity.path`: no compiler download
    },
    node="22.23.3",
    required=("node_modules/node/bin/node", "node_modules/.bin/hardhat",
              "node_modules/@nomicfoundation/edr-*/package.json"),  # EDR's native part for this platform
)

FOUNDRY = ToolSet(
    "foundry",
    {"@foundry-rs/forge": "1.7.1", "@foundry-rs/cast": "1.7.1", "@foundry-rs/anvil": "1.7.1",
     "solc": "0.8.37"},  # what forge compiles with, through solc.cjs
    required=tuple(f"node_modules/@foundry-rs/{tool}-*/bin/{tool}" for tool in ("forge", "cast", "anvil")),
)


def foundry_binary(tool: str) -> Path:
    """forge, cast or anvil from the installed FOUNDRY set (this platform's package)."""
    found = sorted(FOUNDRY.root.glob(f"node_modules/@foundry-rs/{tool}-*/bin/{tool}"))
    assert found, f"{tool} is not installed under {FOUNDRY.root}"
    return found[0]


def solc_wrapper() -> Path:
    """solc.cjs beside the FOUNDRY set's node_modules (so that it finds npm's solc), executable:
    what FOUNDRY_SOLC points at."""
    target = FOUNDRY.root / "solc.cjs"
    shutil.copyfile(HERE / "solc.cjs", target)
    os.chmod(target, 0o755)
    return target
