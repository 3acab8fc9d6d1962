"""scripts/demo_censorship.py end to end with fast options (a 0.5 s L1 block, a window of 3 L1
blocks): the censored user's forced withdrawal lands at its deadline, by force, is proven and
finalized, and the ETH arrives on the L1."""

from __future__ import annotations

import re

import pytest

from scripts.demo_censorship import main
from tests.support import served


def test_demo_censorship(capsys: pytest.CaptureFixture[str]) -> None:
    with served((901, 902), l1=True, l1_block_time=0.5, admin_port=0, sequencing_window=3) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        assert main(["--rpc", dt.urls[902], "--rpc-l1", dt.devnet.l1.url, "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "UNEXPECTED" not in out, out
    assert re.search(r"a plain transaction of the user on 902: 0x[0-9a-f]{64} is PENDING", out), out
    sent = re.search(r"in L1 block (\d+), deposit 0x[0-9a-f]{64} on 902, deadline L1 block (\d+) \(window 3\)", out)
    assert sent is not None and int(sent[2]) == int(sent[1]) + 3, out
    held = [int(n) for n in re.findall(r"L1 block (\d+): still held by the sequencer", out)]
    assert held and max(held) < int(sent[2]), out  # held only before the deadline
    landed = re.search(r"\| L1 block\s+(\d+)\] 4\. the withdrawal LANDED .* included by force, at the deadline: yes", out)
    assert landed is not None and int(landed[1]) >= int(sent[2]), out
    assert re.search(r"hand-off: 0x[0-9a-f]{64} \(block \d+, from 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\)", out)
    assert "5. proven on the L1 against output" in out
    assert "6. finalized after 12 s (fast-forwarded): 1.0 ETH arrived on the L1" in out
    assert "=> ESCAPED" in out
