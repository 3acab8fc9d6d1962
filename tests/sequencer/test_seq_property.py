"""Property test of the shared sequencer: random interleavings on THREE chains.

Steps are plain transfers (good, overdrawn, future nonce), bundles with randomly failing legs
(reverting calls, value the sender does not have at submission or at execution, allowed
reverts), evm_mine, automine on/off, evm_snapshot, evm_revert and resubmitting an earlier bundle. They go through the real
JSON-RPC dispatchers of an in-process ``Devnet`` (method table, parameter parsing, handlers and
error mapping: everything the HTTP endpoints run but the socket), with its superblock log on
disk.

After every step:
  * every block of every chain is named by exactly one superblock, in order (a chain advances
    only in the superblocks that hold work for it, or on evm_mine);
  * no bundle is partially applied: all its legs have receipts in one superblock (which lists
    the bundle) or none has; its status agrees; in automine the failing leg is the predicted one;
  * ETH is conserved per chain: dev accounts + coinbase + contract + burnt base fees
    (sum of gasUsed * baseFee over the chain's blocks) == the genesis total;
  * replaying the superblock log into fresh chains reproduces every block hash and state root.
At the end of each example the on-disk log (with its truncations) is replayed too, through the
``xrollup replay`` code path.

Examples are derandomized (reproducible); set XR_HYPOTHESIS_RANDOM=1 to explore new ones
(hypothesis prints the failing example and its reproduction blob), XR_PROPERTY_EXAMPLES=N for
more or fewer examples, XR_PROPERTY_NO_SHRINK=1 to skip the (slow) shrinking while debugging.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from rpc.jsonrpc import RpcError
from shared_sequencer.bundles import Bundle
from shared_sequencer.log import load_entries
from shared_sequencer.replay import replay
from tests.sequencer.seq_helpers import ADDRS, COUNTER_RUNTIME, FAIL_WITH_REASON, GWEI, INCREMENT, sign
from xrollup.cli import replay_command
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

CHAINS = (901, 902, 903)
TRANSFER_SENDERS = (0, 1, 2, 3, 4)
BUNDLE_SENDERS = (5, 6, 7, 8, 9)
CONTRACT = bytes.fromhex("00000000000000000000000000000000c0ffee01")
CONTRACT_HEX = to_checksum_address(CONTRACT)
CALL_GAS = 100_000
TRANSFER_GAS = 21_000

# -- strategies -----------------------------------------------------------------------------------

chain_st = st.sampled_from(CHAINS)
tip_st = st.sampled_from([1, 2, 3])

transfer_st = st.tuples(
    st.just("transfer"), chain_st, st.sampled_from(TRANSFER_SENDERS), st.integers(0, 9),
    st.sampled_from(["ok", "ok", "ok", "overdraw", "future"]), tip_st,
)
leg_st = st.tuples(
    chain_st, st.sampled_from(BUNDLE_SENDERS),
    st.sampled_from(["transfer"] * 3 + ["call_ok"] * 3 + ["call_revert", "overdraw", "overdraw_exec"]),
)
bundle_st = st.tuples(st.just("bundle"), st.lists(leg_st, min_size=1, max_size=3), st.booleans())
STEPS = {
    "transfer": transfer_st,
    "bundle": bundle_st,
    "mine": st.just(("mine",)),
    "automine": st.tuples(st.just("automine"), st.booleans()),
    "snapshot": st.just(("snapshot",)),
    "revert": st.tuples(st.just("revert"), st.integers(0, 3)),
    "resubmit": st.tuples(st.just("resubmit"), st.integers(0, 7)),
}
# the step kind first, weighted by repetition (one_of would favour the simpler strategies)
STEP_KINDS = ["bundle"] * 5 + ["transfer"] * 3 + ["mine", "snapshot", "revert"] * 2 + ["automine", "resubmit"]
step_st = st.sampled_from(STEP_KINDS).flatmap(lambda kind: STEPS[kind])


# -- the system under test ------------------------------------------------------------------------


@dataclass
class TrackedBundle:
    hash: bytes
    legs: list[tuple[int, bytes]]  # (chain id, tx hash)
    spec: dict[str, Any]  # what xr_sendBundle got


@dataclass
class Harness:
    state_dir: str
    automine: bool
    devnet: Devnet = field(init=False)
    uniq: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.devnet = Devnet(DevnetConfig(chain_ids=CHAINS, silent=True, state_dir=self.state_dir,
                                          no_mining=not self.automine))
        self.seq = self.devnet.sequencer
        self.loop = asyncio.new_event_loop()
        for cid in CHAINS:  # a Counter on every chain: increment() succeeds, failWithReason() reverts
            self.rpc(cid, "anvil_setCode", CONTRACT_HEX, "0x" + COUNTER_RUNTIME.hex())
        self.tracked = [bytes.fromhex(a[2:]) for a in ADDRS] + [self.seq.coinbase, CONTRACT]
        self.genesis_total = {cid: self.total(cid) for cid in CHAINS}
        assert all(burnt == 0 for burnt in (self.burnt(cid) for cid in CHAINS))
        self.bundles: list[TrackedBundle] = []
        self.snapshots: list[int] = []
        self.replica: Devnet | None = None
        self.replayed: list[dict[str, Any]] = []
        self.ever_included: set[bytes] = set()  # coverage statistics only
        self.superblocks_reverted = 0

    def close(self) -> None:
        self.seq.log.close()
        self.loop.close()

    def rpc(self, cid: int, method: str, *params: Any) -> Any:
        """One JSON-RPC call through chain ``cid``'s dispatcher. Raises RpcError."""
        return self.loop.run_until_complete(self.devnet.dispatchers[cid].call(method, list(params)))

    # -- reads --------------------------------------------------------------------------------------

    def chain(self, cid: int) -> Any:
        return self.seq.chain(cid)

    def balance(self, cid: int, account: int) -> int:
        return int(self.chain(cid).state_at("latest").get_balance(bytes.fromhex(ADDRS[account][2:])))

    def nonce(self, cid: int, account: int) -> int:
        return int(self.chain(cid).state_at("latest").get_nonce(bytes.fromhex(ADDRS[account][2:])))

    def total(self, cid: int) -> int:
        state = self.chain(cid).state_at("latest")
        return sum(int(state.get_balance(a)) for a in set(self.tracked))

    def burnt(self, cid: int) -> int:
        return sum(int(b.header.gas_used) * int(b.header.base_fee_per_gas) for b in self.chain(cid).blocks[1:])

    def pending_bundle_legs(self, cid: int, account: int) -> int:
        sender = bytes.fromhex(ADDRS[account][2:])
        return sum(1 for b in self.seq.bundles.queue for c, p in b.legs if c == cid and p.sender == sender)

    # -- steps --------------------------------------------------------------------------------------

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        getattr(self, f"do_{kind}")(*step[1:])

    def do_transfer(self, cid: int, sender: int, to: int, kind: str, tip: int) -> None:
        nonce = self.seq.pending_nonce(cid, bytes.fromhex(ADDRS[sender][2:]))
        value = next(self.uniq)
        if kind == "overdraw":
            value = self.balance(cid, sender) + 1
        elif kind == "future":  # behind a gap, in a (sender, nonce) slot of its own
            sender_b = bytes.fromhex(ADDRS[sender][2:])
            pooled = [n for (who, n) in self.seq.pools[cid].by_key if who == sender_b]
            nonce = max([nonce + 1] + [n + 1 for n in pooled])
        raw, h = sign(cid, sender, nonce, to=ADDRS[to], value=value, tip=tip * GWEI)
        try:
            self.rpc(cid, "eth_sendRawTransaction", raw)
        except RpcError as exc:
            assert kind == "overdraw", f"{kind} transfer refused: {exc}"
            assert exc.code == -32003 and "insufficient funds" in exc.message
            return
        assert kind != "overdraw", "a transfer of more than the balance was accepted"
        mined = self.chain(cid).tx_by_hash.get(bytes.fromhex(h[2:]))
        if self.automine and kind == "ok":
            assert mined is not None and mined.outcome.success, "automine did not mine a good transfer"
        if kind == "future":
            assert mined is None, "a transaction behind a nonce gap was mined"

    def do_bundle(self, legs: list[tuple[int, int, str]], allow_reverts: bool) -> None:
        # an overdraw_exec leg gets a plain transfer of the same sender on the same chain before it
        expanded: list[tuple[int, int, str]] = []
        for cid, sender, kind in legs:
            if kind == "overdraw_exec":
                expanded.append((cid, sender, "transfer_big"))
            expanded.append((cid, sender, kind))
        used: dict[tuple[int, int], int] = {}
        raws, hashes, reverting = [], [], []
        for cid, sender, kind in expanded:
            base = self.nonce(cid, sender) + self.pending_bundle_legs(cid, sender)
            nonce = base + used.get((cid, sender), 0)
            used[cid, sender] = used.get((cid, sender), 0) + 1
            u = next(self.uniq)  # makes every leg's hash unique
            if kind == "transfer":
                raw, h = sign(cid, sender, nonce, to=ADDRS[u % 10], value=u)
            elif kind == "transfer_big":  # spends far more than the gas an overdraw_exec leg leaves room for
                raw, h = sign(cid, sender, nonce, to=ADDRS[sender - 5], value=10**18 + u)
            elif kind == "call_ok":
                raw, h = sign(cid, sender, nonce, to=CONTRACT_HEX, data=INCREMENT, gas=CALL_GAS + u)
            elif kind == "call_revert":
                raw, h = sign(cid, sender, nonce, to=CONTRACT_HEX, data=FAIL_WITH_REASON, gas=CALL_GAS + u)
                if allow_reverts:
                    reverting.append(h)
            elif kind == "overdraw":
                raw, h = sign(cid, sender, nonce, to=ADDRS[0], value=self.balance(cid, sender) + u)
            else:  # overdraw_exec: affordable against the state, not after the 1 ETH leg before it
                cap = 10 * GWEI + GWEI  # the fee cap ``sign`` sets: the pool's check uses gas * cap + value
                raw, h = sign(cid, sender, nonce, to=ADDRS[0], value=self.balance(cid, sender) - TRANSFER_GAS * cap)
            raws.append(raw)
            hashes.append(h)
        bundle_hash = Bundle(tuple((c, decode(r)) for (c, _, _), r in zip(expanded, raws, strict=True))).hash
        queue_was_empty = not self.seq.bundles.queue
        error: RpcError | None = None
        try:
            self.rpc(expanded[-1][0], "xr_sendBundle", {"txs": raws, "revertingTxHashes": reverting})
        except RpcError as exc:
            error = exc
        note(f"bundle {[k for _, _, k in expanded]} allow_reverts={allow_reverts} -> {error!r}")
        event("bundle: " + ("accepted" if error is None else f"error {error.code}"))
        spec = {"txs": raws, "revertingTxHashes": reverting}
        self.bundles.append(TrackedBundle(bundle_hash, [(c, bytes.fromhex(h[2:])) for (c, _, _), h in
                                                        zip(expanded, hashes, strict=True)], spec))
        # predicted outcome
        kinds = [k for _, _, k in expanded]
        refused_at = next((i for i, k in enumerate(kinds) if k == "overdraw"), None)
        fails_at = next((i for i, k in enumerate(kinds)
                         if k == "overdraw_exec" or (k == "call_revert" and not allow_reverts)), None)
        if refused_at is not None:
            assert error is not None, "a bundle with an overdrawn leg was accepted"
            assert leg_of(error) == refused_at, f"refusal names leg {leg_of(error)}, expected {refused_at}: {error}"
            assert f"chain {expanded[refused_at][0]}" in error.message
            assert error.code == -32003 and "insufficient funds" in error.message
            return
        if self.automine and queue_was_empty:
            if fails_at is None:
                assert error is None, f"a good bundle failed: {error}"
            else:
                assert error is not None, "a bundle with a failing leg was included"
                assert leg_of(error) == fails_at, f"failure names leg {leg_of(error)}, expected {fails_at}"
                assert isinstance(error.data, dict), f"no failedLeg data in {error!r}"
                assert as_int(error.data["chainId"]) == expanded[fails_at][0]
                assert error.data["txHash"] == hashes[fails_at]
                if kinds[fails_at] == "call_revert":
                    assert error.code == 3 and error.data["reason"] == "Counter: boom"
                else:
                    assert error.code == -32003 and "insufficient funds" in error.message

    def do_resubmit(self, pick: int) -> None:
        """Send an earlier bundle again: an included one must be refused and stay included."""
        if not self.bundles:
            return
        tracked = self.bundles[pick % len(self.bundles)]
        status = self.seq.bundles.status(tracked.hash)
        before = status.state if status is not None else "unknown"
        try:
            self.rpc(tracked.legs[0][0], "xr_sendBundle", tracked.spec)
        except RpcError as exc:
            note(f"resubmitted {before} bundle -> {exc!r}")
        else:
            assert before != "included", "an included bundle was accepted again"
        after = self.seq.bundles.status(tracked.hash)
        if before == "included":
            assert after is not None and after.state == "included", (
                f"resubmitting an included bundle turned its status into {after and after.state}")

    def do_mine(self) -> None:
        self.rpc(CHAINS[0], "evm_mine")

    def do_automine(self, enabled: bool) -> None:
        self.rpc(CHAINS[1], "evm_setAutomine", enabled)
        self.automine = enabled

    def do_snapshot(self) -> None:
        self.snapshots.append(int(self.rpc(CHAINS[2], "evm_snapshot"), 16))

    def do_revert(self, pick: int) -> None:
        if not self.snapshots:
            return
        index = pick % len(self.snapshots)
        snap_id = self.snapshots[index]
        height = self.seq.head.number
        assert self.rpc(CHAINS[0], "evm_revert", hex(snap_id)) is True
        self.superblocks_reverted += height - self.seq.head.number
        del self.snapshots[index:]  # that snapshot and every later one are gone
        assert self.rpc(CHAINS[1], "evm_revert", hex(snap_id)) is False
        self.automine = self.rpc(CHAINS[2], "anvil_getAutomine")

    # -- invariants ---------------------------------------------------------------------------------

    def check(self) -> None:
        self.check_superblocks()
        self.check_bundles()
        self.check_conservation()
        self.check_replay()

    def check_superblocks(self) -> None:
        height = self.seq.head.number
        assert len(self.seq.superblocks) == height + 1
        listed: dict[int, list[bytes]] = {cid: [] for cid in CHAINS}
        for sb in self.seq.superblocks:
            assert sb.blocks and {ref.chain_id for ref in sb.blocks} <= set(CHAINS)
            for ref in sb.blocks:
                assert ref.number == len(listed[ref.chain_id]), f"chain {ref.chain_id}: blocks out of order"
                listed[ref.chain_id].append(ref.hash)
        for cid in CHAINS:
            chain = self.chain(cid)
            assert chain.height <= height, f"chain {cid} at {chain.height}, superblock at {height}"
            assert listed[cid] == [m.hash for m in chain.blocks], f"chain {cid}: a block in no superblock"

    def check_bundles(self) -> None:
        for tracked in self.bundles:
            mined = [self.chain(cid).tx_by_hash.get(h) for cid, h in tracked.legs]
            present = [m for m in mined if m is not None]
            status = self.seq.bundles.status(tracked.hash)
            state = status.state if status is not None else "unknown"
            if present:
                assert len(present) == len(mined), (
                    f"bundle 0x{tracked.hash.hex()} partially applied: "
                    f"{len(present)} of {len(mined)} legs have receipts (status {state})")
                numbers = {self.seq.superblock_of(cid, m.block_number).number
                           for (cid, _), m in zip(tracked.legs, mined, strict=True)}
                assert len(numbers) == 1, f"bundle legs in several superblocks: {numbers}"
                number = numbers.pop()
                assert tracked.hash in self.seq.superblocks[number].bundles
                assert state == "included", f"legs mined but status {state}"
                self.ever_included.add(tracked.hash)
                assert status is not None and status.detail.get("superblock") == number
            else:
                assert state != "included", "status included but no leg has a receipt"
                assert all(tracked.hash not in sb.bundles for sb in self.seq.superblocks)

    def check_conservation(self) -> None:
        for cid in CHAINS:
            total, burnt = self.total(cid), self.burnt(cid)
            assert total + burnt == self.genesis_total[cid], (
                f"chain {cid}: balances {total} + burnt {burnt} != genesis {self.genesis_total[cid]}")

    def check_replay(self) -> None:
        entries = self.seq.log.entries
        if self.replica is None or entries[1 : 1 + len(self.replayed)] != self.replayed:
            self.replica = fresh_replica(entries[0])  # the log was truncated (evm_revert): start over
            self.replayed = []
        new = entries[1 + len(self.replayed):]
        replay(self.replica.sequencer, new)  # raises ReplayMismatch on any block hash / state root
        self.replayed.extend(new)
        assert_same_chains(self.devnet, self.replica)


def fresh_replica(genesis: dict[str, Any]) -> Devnet:
    assert genesis["t"] == "genesis"
    saved = {k: (tuple(v) if k == "chain_ids" else v) for k, v in genesis["config"].items()}
    return Devnet(DevnetConfig(silent=True, **saved))


def assert_same_chains(live: Devnet, replica: Devnet) -> None:
    assert [sb.hash for sb in replica.sequencer.superblocks] == [sb.hash for sb in live.sequencer.superblocks]
    for cid in CHAINS:
        a, b = live.sequencer.chain(cid), replica.sequencer.chain(cid)
        assert [m.hash for m in b.blocks] == [m.hash for m in a.blocks], f"chain {cid}: block hashes differ"
        assert [bytes(m.header.state_root) for m in b.blocks] == [bytes(m.header.state_root) for m in a.blocks]
        assert b.head_state_root == a.head_state_root


def as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def decode(raw: str) -> Any:
    from chains.txbuild import decode_raw

    return decode_raw(bytes.fromhex(raw[2:]))


def leg_of(error: RpcError) -> int | None:
    if isinstance(error.data, dict) and "failedLeg" in error.data:
        return int(error.data["failedLeg"])
    match = re.search(r"leg (\d+)", error.message)
    return int(match.group(1)) if match else None


# -- the test -------------------------------------------------------------------------------------


@settings(max_examples=int(os.environ.get("XR_PROPERTY_EXAMPLES", "25")), deadline=None, derandomize=os.environ.get("XR_HYPOTHESIS_RANDOM") != "1",
          print_blob=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("XR_PROPERTY_NO_SHRINK")])
@given(automine=st.booleans(), steps=st.lists(step_st, min_size=8, max_size=20))
def test_random_interleavings_keep_every_invariant(automine: bool, steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory(prefix="xr-prop-") as state_dir:
        harness = Harness(state_dir, automine)
        try:
            harness.check()
            for step in steps:
                note(f"step {step}")
                harness.step(step)
                harness.check()
            harness.do_mine()  # whatever is still pooled goes in (or stays behind its gap)
            harness.check()
            included = len(harness.ever_included)
            event(f"bundles included (at some point): {min(included, 3)}{'+' if included >= 3 else ''}")
            event(f"evm_revert dropped superblocks: {harness.superblocks_reverted > 0}")
        finally:
            harness.close()
        # the durable log, truncations applied, is the log the replica replayed, and the
        # ``xrollup replay`` code path accepts it
        assert load_entries(Path(state_dir)) == harness.seq.log.entries
        assert replay_command(state_dir) == 0
