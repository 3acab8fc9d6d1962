"""scripts/demo_mev.py runs end to end against a devnet on free ports: the sandwich lands under
fees, nothing is extracted under encrypted, and the express-lane controller cannot sandwich."""

from __future__ import annotations

import re

import pytest

from scripts.demo_mev import main
from tests.sequencer.seq_helpers import DevnetServer


def test_demo_mev_output(capsys: pytest.CaptureFixture[str]) -> None:
    with DevnetServer() as server:
        assert main(["--rpc-a", server.urls[901], "--rpc-b", server.urls[902], "--trials", "4"]) == 0
        assert server.rpc(901).call("xr_getOrdering")["chains"]["902"] == {"policy": "fees"}
        assert server.rpc(901).call("anvil_getAutomine") is True
    out = capsys.readouterr().out
    sections = re.split(r"\n\d\. ", out)
    assert len(sections) == 5, out
    fees, encrypted, random_, lane = sections[1:]
    assert "bot acted: yes" in fees and "MEV report: sandwich by" in fees and re.search(r"\(\d[\d,.]* Y worse", fees)
    assert "bot acted: no (it saw a commitment only)" in encrypted and "MEV report: nothing extracted" in encrypted
    assert "(0.0000 Y worse, 0.00%)" in encrypted
    assert re.search(r"landed in \d of 4 superblocks", random_)
    assert "MEV report: nothing extracted" in lane
    assert "=> as expected" in out and "UNEXPECTED" not in out
