"""Each ordering policy's order follows its rule, over random pools of real signed transactions.

The pool (shared_sequencer/mempool.py) is filled with transactions decoded from signed raw
bytes; ``ready`` is run with the policy bound to a superblock and a time, as the builder does.
Whatever the policy, each sender's transactions come in nonce order with no gap.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from chains.block import PendingTx
from chains.txbuild import decode_raw
from shared_sequencer.mempool import Mempool, PoolTx
from shared_sequencer.ordering import ExpressLane, OrderingPolicy, PolicySettings, Round, policy
from tests.sequencer.seq_helpers import GWEI, sign

SENDERS = 4
TIPS = (0, 1, 2, 3, 5)
NOW = 1_000_000.0


@cache
def pending(sender: int, nonce: int, tip_gwei: int) -> PendingTx:
    raw, _ = sign(901, sender, nonce, to="0x" + "99" * 20, value=1, tip=tip_gwei * GWEI)
    return decode_raw(bytes.fromhex(raw[2:]))


# A pool: per sender, how many consecutive nonces (from 0) and each one's tip and age.
entry = st.tuples(st.sampled_from(TIPS), st.floats(min_value=0.0, max_value=1.0))
pools = st.lists(st.lists(entry, min_size=0, max_size=4), min_size=1, max_size=SENDERS)


def fill(spec: list[list[tuple[int, float]]], arrivals: list[int]) -> Mempool:
    """A mempool holding ``spec`` (sender index -> [(tip in gwei, age in seconds)] for nonces
    0, 1, ...); the arrival order interleaves the senders by the ``arrivals`` draws."""
    pool = Mempool()
    txs = [(s, n, tip, age) for s, entries in enumerate(spec) for n, (tip, age) in enumerate(entries)]
    order = sorted(range(len(txs)), key=lambda k: (arrivals[k % len(arrivals)], k))
    for arrival, k in enumerate(order):
        s, n, tip, age = txs[k]
        tx = pending(s, n, tip)
        pool.add(tx)
        pool.by_hash[tx.hash].arrival = arrival
        pool.by_hash[tx.hash].received = NOW - age
    return pool


def ordered(pool: Mempool, order: OrderingPolicy, superblock: int = 1, now: float = NOW) -> list[PoolTx]:
    return list(pool.ready(lambda sender: 0, order.bind(Round(superblock, now)), 10 * GWEI // 10))


def assert_nonce_order(out: list[PoolTx]) -> None:
    seen: dict[bytes, int] = {}
    for e in out:
        assert int(e.pending.tx.nonce) == seen.get(e.sender, 0), "a sender's nonces out of order or with a gap"
        seen[e.sender] = int(e.pending.tx.nonce) + 1


arrivals = st.lists(st.integers(0, 100), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(pools, arrivals)
def test_fifo_is_arrival_order_among_heads(spec: list[list[tuple[int, float]]], arr: list[int]) -> None:
    pool = fill(spec, arr)
    out = ordered(pool, policy("fifo"))
    assert_nonce_order(out)
    assert len(out) == len(pool)
    # each sender's queue is in arrival order here only if nonces arrived in order; the rule is
    # that whenever a transaction is chosen, no ready head arrived before it
    remaining = {e.pending.hash for e in out}
    for e in out:
        heads = heads_of(pool, remaining)
        assert e.arrival == min(h.arrival for h in heads)
        remaining.discard(e.pending.hash)


def heads_of(pool: Mempool, remaining: set[bytes]) -> list[PoolTx]:
    best: dict[bytes, PoolTx] = {}
    for e in pool.by_key.values():
        if e.pending.hash in remaining:
            cur = best.get(e.sender)
            if cur is None or e.pending.tx.nonce < cur.pending.tx.nonce:
                best[e.sender] = e
    return list(best.values())


@settings(max_examples=40, deadline=None)
@given(pools, arrivals)
def test_fees_takes_the_highest_effective_tip_among_heads(spec: list[list[tuple[int, float]]], arr: list[int]) -> None:
    pool = fill(spec, arr)
    out = ordered(pool, policy("fees"))
    assert_nonce_order(out)
    assert len(out) == len(pool)
    remaining = {e.pending.hash for e in out}
    for e in out:
        assert e.tip == max(h.tip for h in heads_of(pool, remaining))
        remaining.discard(e.pending.hash)
    # with one transaction per sender, the whole order is non-increasing in effective tip
    if all(len(s) <= 1 for s in spec):
        tips = [e.tip for e in out]
        assert tips == sorted(tips, reverse=True)


@settings(max_examples=40, deadline=None)
@given(pools, arrivals, st.integers(0, 2**32), st.integers(1, 1000))
def test_random_is_a_reproducible_permutation(spec: list[list[tuple[int, float]]], arr: list[int],
                                              seed: int, superblock: int) -> None:
    pool = fill(spec, arr)
    first = ordered(pool, policy("random", PolicySettings(seed=seed)), superblock)
    again = ordered(pool, policy("random", PolicySettings(seed=seed)), superblock)
    assert_nonce_order(first)
    assert sorted(e.pending.hash for e in first) == sorted(e.pending.hash for e in pool.by_key.values())
    assert [e.pending.hash for e in first] == [e.pending.hash for e in again]


def test_random_shuffles_differently_per_seed_and_per_superblock() -> None:
    pool = fill([[(1, 0.0)] for _ in range(SENDERS)] + [[(1, 0.0)] for _ in range(4)], list(range(8)))
    hashes = {(seed, sb): [e.pending.hash for e in ordered(pool, policy("random", PolicySettings(seed=seed)), sb)]
              for seed in (0, 1) for sb in (1, 2)}
    assert len({tuple(v) for v in hashes.values()}) > 1
    assert hashes[(0, 1)] != hashes[(1, 1)] or hashes[(0, 1)] != hashes[(0, 2)]


DELAY = 0.5


@settings(max_examples=40, deadline=None)
@given(pools, arrivals, st.integers(0, SENDERS - 1))
def test_express_lane_controller_first_others_not_before_their_delay(
        spec: list[list[tuple[int, float]]], arr: list[int], controller_index: int) -> None:
    pool = fill(spec, arr)
    lane = policy("express-lane", PolicySettings(round_seconds=60.0, delay=DELAY))
    assert isinstance(lane, ExpressLane)
    controller = pending(controller_index, 0, 0).sender
    lane.set_controller(lane.round_of(NOW), controller)
    out = ordered(pool, lane)
    assert_nonce_order(out)
    kinds = [e.sender == controller for e in out]
    assert kinds == sorted(kinds, reverse=True), "a non-controller transaction went before the controller's"
    for e in out:
        if e.sender != controller:
            assert e.received + DELAY <= NOW, "a non-controller transaction went before its delay"
    controller_txs = [e for e in pool.by_key.values() if e.sender == controller]
    assert sum(kinds) == len(controller_txs), "the controller's transactions were held"
    # everyone else's whose delay passed, and whose predecessors' delays passed, are included
    for s, entries in enumerate(spec):
        sender = pending(s, 0, 0).sender if entries else None
        if sender is None or sender == controller:
            continue
        due = 0
        for _tip, age in entries:
            if age < DELAY:
                break
            due += 1
        assert sum(1 for e in out if e.sender == sender) == due
    # the same pool once every delay has passed: all of it, the controller's first
    later = ordered(pool, lane, now=NOW + DELAY + 1)
    assert len(later) == len(pool)
    # in a round nobody controls, nobody is express
    lane.set_controller(lane.round_of(NOW), None)
    assert all(e.received + DELAY <= NOW for e in ordered(pool, lane))
