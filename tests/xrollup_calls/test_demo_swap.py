"""scripts/demo_swap.py runs end to end against a devnet on free ports (the session devnet,
chains 901 and 902) and reports the successful swap and the slippage revert."""

from __future__ import annotations

import re

import pytest

from scripts.demo_swap import main
from tests.xrollup_calls.xcall_helpers import Net


def test_demo_swap_output(net: Net, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rpc-a", net.urls[901], "--rpc-b", net.urls[902]]) == 0
    out = capsys.readouterr().out
    assert "chain A: 901" in out and "chain B: 902" in out
    assert re.search(r"=> SUCCESS: cross-rollup swap delivered [\d,.]+ OUT on chain B", out), out
    assert "eth_call:    execution reverted: CrossSwap: slippage" in out
    assert "reverted:    on chain 902: 'CrossSwap: slippage'" in out
    assert "=> REVERTED on A with 'CrossSwap: slippage' from chain B: every balance on both chains is unchanged" in out
    assert "UNEXPECTED" not in out
    # Two swaps, each with its transaction and superblock; the first one executed on B.
    assert len(re.findall(r"tx on A:\s+0x[0-9a-f]{64}", out)) == 2
    assert len(re.findall(r"superblock:\s+\d+\s+0x[0-9a-f]{64}", out)) == 2
    assert re.search(r"xcall:\s+-> chain 902, executed by tx 0x[0-9a-f]{64} in B's block of this superblock", out)
    # Balances before/after on both chains, labelled; the second table shows no change at all.
    tables = out.split("\n2. ")
    assert len(tables) == 2
    for label in ("chain A (901)  my IN", "chain B (902)  my OUT", "chain A (901)  MID total supply",
                  "chain B (902)  MID total supply"):
        assert label in tables[0] and label in tables[1]
    second = [line for line in tables[1].splitlines() if line.startswith("    chain ")]
    assert len(second) == 10 and all(line.rstrip().endswith("-") for line in second)
