"""Nested call paths that re-enter chains, over four chains: fixed mixed paths, random paths
(hypothesis), and a replay of the log they leave.

A path ``[c1, c2, ...]`` from 901 is ``XCallProbe.hop``: 901 xcalls the probe on c1, which
xcalls the probe on c2, ... and the last one increments the shared Counter on its own chain.
Re-entering a chain (901 -> 902 -> 901 -> 902) makes a call back into the source run before
the user's transaction and take the mailbox's next nonce, so the requests' ids are only known
once the whole path has run: the planner must settle on them, not chase them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_sequencer.replay import replay
from shared_sequencer.xcall import MAX_DEPTH
from tests.support import served
from tests.xrollup_calls.xcall_helpers import K0, Net, deploy_shared
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet
from xrollup.testing import DevnetThread

IDS = (901, 902, 903, 904)
SOURCE = IDS[0]


@pytest.fixture(scope="module")
def xrollup_server() -> Iterator[DevnetThread]:
    """This module's own devnet of four chains."""
    with served(IDS) as server:
        yield server


@pytest.fixture(scope="module")
def four(xrollup_server: DevnetThread) -> Net:
    n = Net(dict(xrollup_server.devnet.urls))
    deploy_shared(n)
    return n


def counts(net: Net) -> tuple[list[int], list[int]]:
    """(Counter number, XCallProbe hops) on every chain."""
    return ([net.number(cid) for cid in IDS], [net.view(cid, "XCallProbe", net.probe, "hops") for cid in IDS])


def run_path(net: Net, path: list[int]) -> float:
    """Send the path, assert it settled with every leg applied exactly once and the mailboxes in
    agreement; return the seconds the transaction took (sent to receipt, automine)."""
    numbers, hops = counts(net)
    data = net.calldata("XCallProbe", "hop", path, [net.probe] * len(path), net.counter,
                        net.calldata("Counter", "increment"))
    start = time.monotonic()
    receipt = net.send(SOURCE, K0, net.probe, data, gas=8_000_000)
    elapsed = time.monotonic() - start
    assert receipt["status"] == "0x1", (path, receipt.get("xrollupError"))
    after_numbers, after_hops = counts(net)
    # The last leg's effect once, on its chain only; every leg's hop once per visit.
    assert after_numbers == [n + (cid == path[-1]) for n, cid in zip(numbers, IDS, strict=True)], path
    assert after_hops == [h + path.count(cid) for h, cid in zip(hops, IDS, strict=True)], path
    net.assert_mailboxes_agree(IDS)
    return elapsed


A, B, C, D = IDS
MIXED = [
    [B, A, C, A],
    [B, C, B, A, B],
    [B, A, B, C, A, C],
    [C, D, C, B, A, B, D],
    [B, A, B, C, B, A, B, D],  # depth 8 over four chains
    [D, A, D, A, D, A, D, A],  # depth 8 ping-pong with the third chain idle
]


@pytest.mark.parametrize("path", MIXED, ids=lambda p: "-".join(str(c - 900) for c in p))
def test_mixed_paths_settle(four: Net, path: list[int]) -> None:
    run_path(four, path)


def test_beyond_the_depth_limit_fails_with_the_limit_as_reason(four: Net) -> None:
    path = [B, A] * 4 + [C]  # nine nested requests
    numbers, hops = counts(four)
    data = four.calldata("XCallProbe", "hop", path, [four.probe] * len(path), four.counter,
                         four.calldata("Counter", "increment"))
    receipt = four.send(SOURCE, K0, four.probe, data, gas=8_000_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"]["reason"] == f"xrollup: cross-rollup call depth limit {MAX_DEPTH} exceeded"
    assert counts(four) == (numbers, hops)  # nothing of it happened anywhere
    four.assert_mailboxes_agree(IDS)


def paths() -> st.SearchStrategy[list[int]]:
    """Paths from 901 of 1 to MAX_DEPTH hops, never to the chain the hop is on."""
    def build(choices: list[int]) -> list[int]:
        path, here = [], SOURCE
        for choice in choices:
            others = [cid for cid in IDS if cid != here]
            here = others[choice % len(others)]
            path.append(here)
        return path
    return st.lists(st.integers(0, 2), min_size=1, max_size=MAX_DEPTH).map(build)


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(batch=st.lists(paths(), min_size=1, max_size=3))
def test_random_paths_settle_and_replay(four: Net, xrollup_server: DevnetThread, batch: list[list[int]]) -> None:
    """Every random path settles with its effects applied once and the mailboxes agreeing, and
    replaying the superblock log into a fresh devnet reproduces every superblock (every
    chain's block hash and state root) up to the head."""
    for path in batch:
        run_path(four, path)
    devnet = xrollup_server.devnet
    entries, head = xrollup_server.run(lambda: (copy.deepcopy(devnet.sequencer.log.entries),
                                                devnet.sequencer.head.number))
    saved = {k: (tuple(v) if k == "chain_ids" else v) for k, v in entries[0]["config"].items()}
    fresh = Devnet(DevnetConfig(port=0, silent=True, **saved))
    replay(fresh.sequencer, entries[1:])
    with DevnetThread(devnet=fresh):
        copy_ = Net(dict(fresh.urls))
        for number in range(head + 1):
            assert copy_.superblock(number) == four.superblock(number), number
        for cid in IDS:
            latest = copy_.block(cid, "latest", full=False)
            original = four.block(cid, int(latest["number"], 16), full=False)
            assert (latest["hash"], latest["stateRoot"]) == (original["hash"], original["stateRoot"])
