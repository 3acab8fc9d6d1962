"""Hardhat 3 and its network helpers, unchanged, against a real xrollup chain.

The Hardhat project in ./hardhat (config, Hardhat's sample Lock contract, node:test files using
`time.increase`, `time.increaseTo`, `mine`, `loadFixture`, `takeSnapshot`, `impersonateAccount`,
`stopImpersonatingAccount` and `setBalance` through hardhat-ethers, then every other helper)
runs with `hardhat test nodejs --network xrollup`, as its users run it. Hardhat, its plugins and
the Node.js it needs (>= 22.13) come from npm (tests/tools/toolsets.py). `setPrevRandao` is left
out: xrollup's `hardhat_setPrevRandao` is not in this branch.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Rpc, served
from tests.tools.toolsets import HARDHAT, HERE
from xrollup.testing import DevnetThread

CHAIN = 901
PROJECT = HERE / "hardhat"


@pytest.fixture(scope="module")
def devnet() -> Iterator[DevnetThread]:
    with served((CHAIN, 902), admin_port=0) as server:
        yield server


def hardhat_project(tmp_path: Path) -> Path:
    """A copy of ./hardhat with the installed set's node_modules (its cache and artifacts stay
    in the copy)."""
    root = HARDHAT.install()
    project = tmp_path / "hardhat"
    shutil.copytree(PROJECT, project)
    (project / "node_modules").symlink_to(root / "node_modules", target_is_directory=True)
    return project


def test_network_helpers_run_against_xrollup(devnet: DevnetThread, tmp_path: Path) -> None:
    project = hardhat_project(tmp_path)
    rpc = Rpc(devnet.urls[CHAIN])
    start = int(rpc.call("eth_blockNumber"), 16)
    done = subprocess.run(["hardhat", "test", "nodejs", "--network", "xrollup"], cwd=project,
                          env=HARDHAT.env(XROLLUP_URL=devnet.urls[CHAIN], XROLLUP_CHAIN_ID=str(CHAIN)),
                          capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    cases = [c for test in (PROJECT / "test").glob("*.ts") for c in re.findall(r'^\s*it\("', test.read_text(), re.M)]
    assert re.search(rf"^\s*{len(cases)} passing", out, re.M), out
    assert "failing" not in out, out
    assert "Compiled 1 Solidity file with solc 0.8.37" in out  # npm's solc, through solidity.path
    # the tests ran on this chain: it has the blocks they mined (the last snapshot reverted some)
    assert int(rpc.call("eth_blockNumber"), 16) > start
    rpc.close()


def test_mine_with_interval_starts_at_the_next_timestamp(devnet: DevnetThread) -> None:
    """`time.increase` is evm_setNextBlockTimestamp then hardhat_mine(1, 1): the first block
    mined takes the timestamp set, each next one `interval` later (as on anvil and Hardhat)."""
    rpc = Rpc(devnet.urls[CHAIN])
    head = rpc.call("eth_getBlockByNumber", "latest", False)
    target = int(head["timestamp"], 16) + 3600
    rpc.call("evm_setNextBlockTimestamp", hex(target))
    rpc.call("hardhat_mine", "0x3", "0x3c")
    number = int(rpc.call("eth_blockNumber"), 16)
    stamps = [int(rpc.call("eth_getBlockByNumber", hex(n), False)["timestamp"], 16) for n in range(number - 2, number + 1)]
    assert stamps == [target, target + 60, target + 120]
    rpc.call("hardhat_mine", "0x1", "0x3c")  # with no timestamp set: the interval after the head
    assert int(rpc.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16) == target + 180
    rpc.close()


def test_hardhat_drop_transaction_answers_a_boolean(devnet: DevnetThread) -> None:
    """Hardhat's dropTransaction helper asserts a boolean answer; anvil's name keeps anvil's."""
    rpc = Rpc(devnet.urls[CHAIN])
    sender = rpc.call("eth_accounts")[0]
    rpc.call("evm_setAutomine", False)
    try:
        pooled = [rpc.call("eth_sendTransaction", {"from": sender, "to": sender, "value": "0x1"}) for _ in range(2)]
        assert rpc.call("hardhat_dropTransaction", pooled[1]) is True
        assert rpc.call("hardhat_dropTransaction", pooled[1]) is False
        assert rpc.call("anvil_dropTransaction", pooled[0]) == pooled[0]
        assert rpc.call("anvil_dropTransaction", pooled[0]) is None
    finally:
        rpc.call("evm_setAutomine", True)
        rpc.close()
