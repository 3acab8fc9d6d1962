"""viem's op-stack actions, unchanged, from a node script against a real devnet: a deposit
found on the rollup from its L1 receipt (getL2TransactionHashes), a withdrawal through every status to the ETH arriving on the L1 (waiting the delay out, or fast-forwarding
it with evm_increaseTime), finalizing early and twice refused with the portal's reasons."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from settlement.contracts import oracle_address, portal_address
from tests.supersim.tools import Tools, install
from tests.support import served

HALF_ETH = str(10**18 // 2)


@pytest.fixture(scope="module")
def tools() -> Tools:
    return install()


def run_script(tools: Tools, delay: int, mode: str, deposit: bool = False) -> dict[str, Any]:
    """The node script against a devnet with an L1 that mines on demand."""
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600, withdrawal_delay=delay) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        script = tools.root / "xrollup-roundtrip-viem.mjs"
        script.write_text((Path(__file__).parent / "roundtrip_viem.mjs").read_text())
        env = {**os.environ, "XR_L1": dt.devnet.l1.url, "XR_L2": dt.urls[901], "XR_CHAIN": "901",
               "XR_PORTAL": to_checksum_address(portal_address(901)),
               "XR_ORACLE": to_checksum_address(oracle_address(901)),
               "XR_DELAY": str(delay), "XR_MODE": mode, "XR_DEPOSIT": "1" if deposit else "0"}
        done = subprocess.run(["node", str(script)], cwd=tools.root, capture_output=True, text=True, timeout=300,
                              env=env)
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def check_withdrawal(w: dict[str, Any], statuses: list[str]) -> None:
    assert (w["l2Status"], w["proveStatus"], w["finalizeStatus"]) == ("success", "success", "success")
    assert w["statuses"] == statuses
    assert w["outputBlock"] == w["withdrawalBlock"]  # the proposer proposes each safe head
    assert "proven withdrawal finalization period has not elapsed" in w["early"]
    assert "withdrawal has already been finalized" in w["twice"]
    assert w["arrived"] == HALF_ETH


def test_a_deposit_then_a_withdrawal_that_waits_its_delay_out(tools: Tools) -> None:
    out = run_script(tools, delay=3, mode="wait", deposit=True)
    two_eth = str(2 * 10**18)
    assert out["deposit"] == {"l1Status": "success", "l2Status": "success", "type": "deposit", "mint": two_eth,
                              "received": two_eth}
    check_withdrawal(out["withdrawal"], ["waiting-to-prove", "ready-to-prove", "waiting-to-finalize",
                                         "ready-to-finalize", "finalized"])


def test_evm_increase_time_fast_forwards_the_delay(tools: Tools) -> None:
    # viem's status counts the delay on the wall clock, so it reads waiting-to-finalize until
    # the end; the portal counts it on the L1's clock and finalizes
    out = run_script(tools, delay=7 * 24 * 3600, mode="increase-time")
    check_withdrawal(out["withdrawal"], ["waiting-to-prove", "ready-to-prove", "waiting-to-finalize", "finalized"])
