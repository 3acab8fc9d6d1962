"""The nesting depth limit (MAX_DEPTH = 8), on a devnet of ten chains.

(Each of these transactions costs the sequencer seconds: every simulation round replays
every planned system transaction, so planning is quadratic in the depth.)

Nine distinct chains beyond the source make a chain of calls that never re-enters a chain:
901 -> 902 -> ... -> 909 is 8 nested requests (allowed), 901 -> ... -> 910 is 9 (refused,
cleanly, with a reason naming the limit).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import served
from tests.xrollup_calls.xcall_helpers import A0, K0, Net, deploy_shared, error_string
from xrollup.testing import DevnetThread

IDS = tuple(range(901, 911))
SOURCE = IDS[0]
DEPTH_ERROR = "xrollup: cross-rollup call depth limit 8 exceeded"


@pytest.fixture(scope="module")
def xrollup_server() -> Iterator[DevnetThread]:
    """This module's own devnet of ten chains, not the session one (the plugin isolates its tests)."""
    with served(IDS) as server:
        yield server


@pytest.fixture(scope="module")
def deep(xrollup_server: DevnetThread) -> Net:
    n = Net(dict(xrollup_server.devnet.urls))
    deploy_shared(n)
    return n


def hop(net: Net, depth: int, fn: str) -> tuple[list[int], list[str], str, bytes]:
    path = list(IDS[1:depth + 1])
    return path, [net.probe] * depth, net.counter, net.calldata("Counter", fn)


def test_depth_8_is_allowed(deep: Net) -> None:
    last = IDS[8]
    deep.tx(last, K0, "Counter", deep.counter, "setNumber", 99)
    receipt = deep.tx(SOURCE, K0, "XCallProbe", deep.probe, "hop", *hop(deep, 8, "increment"), gas=8_000_000)
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    assert deep.number(last) == 100
    assert [deep.view(cid, "XCallProbe", deep.probe, "hops") for cid in IDS] == [0] + [1] * 8 + [0]
    assert deep.view(last, "XCallProbe", deep.probe, "lastXSource") == IDS[7]
    deep.assert_mailboxes_agree(IDS)


def test_depth_9_fails_cleanly_naming_the_limit(deep: Net) -> None:
    args = hop(deep, 9, "increment")
    data = "0x" + deep.calldata("XCallProbe", "hop", *args).hex()
    err = deep.rpc_error(SOURCE, "eth_call", [{"from": A0, "to": deep.probe, "data": data}, "latest"])
    assert (err.code, err.message, err.data) == (3, f"execution reverted: {DEPTH_ERROR}", error_string(DEPTH_ERROR))

    heads = {cid: deep.rpc(cid, "eth_blockNumber") for cid in IDS}
    receipt = deep.tx(SOURCE, K0, "XCallProbe", deep.probe, "hop", *args, gas=8_000_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"]["reason"] == DEPTH_ERROR
    n = int(receipt["blockNumber"], 16)
    assert n == int(heads[SOURCE], 16) + 1
    sb = deep.superblock_of(SOURCE, n)
    assert {int(b["chainId"], 16): len(b["transactions"]) for b in sb["blocks"]} == {SOURCE: 1}  # no other chain advanced
    assert {cid: deep.rpc(cid, "eth_blockNumber") for cid in IDS if cid != SOURCE} == {
        cid: h for cid, h in heads.items() if cid != SOURCE}
    assert deep.number(IDS[9]) == 0
    assert [deep.view(cid, "XCallProbe", deep.probe, "hops") for cid in IDS] == [0] * 10
    deep.assert_mailboxes_agree(IDS)
