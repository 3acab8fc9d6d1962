"""Property test of the fault modes: random faults switched on and off between random transfers,
cross-rollup calls and bundles over THREE chains, with evm_mine, reorgs and a moving safe head.

Steps go through the real JSON-RPC dispatchers of an in-process ``Devnet`` (method table,
parameter parsing, handlers, error mapping: everything the HTTP endpoints run but the socket),
with its superblock log on disk. After every step:
  * no bundle is partly applied: all its legs have receipts, in one superblock that lists it, or
    none has; no cross-rollup call is partly applied: every pair of chains' mailboxes agree;
  * the pools lose nothing: every accepted transaction is mined, pooled, or was reported invalid
    by a reorg;
  * a reorg never touches a superblock at or below ``safe_superblock`` (one that would is refused
    with -32602), and every block of every chain is named by exactly one superblock;
  * replaying the superblock log into fresh chains reproduces every block hash and state root.
At the end the on-disk log (reorg records included) is replayed through ``xrollup replay``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from chains.mailbox import hash_mismatch
from rpc.jsonrpc import RpcError
from shared_sequencer.bundles import Bundle
from shared_sequencer.log import load_entries
from tests.sequencer.seq_helpers import ADDRS, COUNTER_RUNTIME, INCREMENT, sign
from tests.sequencer.test_seq_property import assert_same_chains, decode, fresh_replica
from xrollup.cli import replay_command
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

CHAINS = (901, 902, 903)
TRANSFER_SENDERS, BUNDLE_SENDERS, XCALL_SENDERS = (0, 1, 2), (3, 4, 5), (6, 7)
CONTRACT = to_checksum_address("0x00000000000000000000000000000000c0ffee01")
MAILBOX = "0x4200000000000000000000000000000000000100"
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]

chain_st = st.sampled_from(CHAINS)
fault_st = st.one_of(
    st.just({"kind": "down"}),
    st.builds(lambda c: {"kind": "halt", "chainId": c}, chain_st),
    st.builds(lambda c: {"kind": "censor", "chains": [c]}, chain_st),
    st.builds(lambda s: {"kind": "censor", "senders": [ADDRS[s]]}, st.sampled_from(TRANSFER_SENDERS + BUNDLE_SENDERS)),
    st.builds(lambda c, n: {"kind": "delay", "chains": [c], "superblocks": n}, chain_st, st.integers(1, 2)),
    st.builds(lambda n: {"kind": "delay", "messages": True, "superblocks": n}, st.integers(1, 2)),
)
STEPS = {
    "transfer": st.tuples(st.just("transfer"), chain_st, st.sampled_from(TRANSFER_SENDERS)),
    "xcall": st.tuples(st.just("xcall"), chain_st, chain_st, st.sampled_from(XCALL_SENDERS)),
    "bundle": st.tuples(st.just("bundle"), st.lists(st.tuples(chain_st, st.sampled_from(BUNDLE_SENDERS)),
                                                    min_size=1, max_size=3)),
    "fault": st.tuples(st.just("fault"), fault_st),
    "clear": st.tuples(st.just("clear"), st.integers(0, 3)),
    "mine": st.just(("mine",)),
    "reorg": st.tuples(st.just("reorg"), st.integers(1, 3)),
    "safe": st.tuples(st.just("safe"), st.integers(1, 4)),
}
STEP_KINDS = ["transfer", "xcall", "bundle"] * 3 + ["fault"] * 3 + ["clear"] * 2 + ["mine"] * 2 + ["reorg"] * 3 + ["safe"]
step_st = st.sampled_from(STEP_KINDS).flatmap(lambda kind: STEPS[kind])


class Harness:
    def __init__(self, state_dir: str, automine: bool) -> None:
        self.automine = automine
        self.devnet = Devnet(DevnetConfig(chain_ids=CHAINS, silent=True, state_dir=state_dir, no_mining=not automine))
        self.seq = self.devnet.sequencer
        self.loop = asyncio.new_event_loop()
        for cid in CHAINS:
            self.rpc(cid, "anvil_setCode", CONTRACT, "0x" + COUNTER_RUNTIME.hex())
        self.uniq = itertools.count(1)
        self.accepted: dict[bytes, int] = {}  # tx hash -> chain, for every transaction the pools took
        self.bundles: list[tuple[bytes, list[tuple[int, bytes]]]] = []
        self.replica: Devnet | None = None
        self.replayed: list[dict[str, Any]] = []
        self.safe_hashes: list[bytes] = []
        self.reorgs = self.refused = 0

    def close(self) -> None:
        self.seq.log.close()
        self.loop.close()

    def rpc(self, cid: int, method: str, *params: Any) -> Any:
        return self.loop.run_until_complete(self.devnet.dispatchers[cid].call(method, list(params)))

    def send(self, cid: int, raw: str, h: str) -> None:
        self.rpc(cid, "eth_sendRawTransaction", raw)
        self.accepted[bytes.fromhex(h[2:])] = cid

    # -- steps --------------------------------------------------------------------------------------

    def do_transfer(self, cid: int, sender: int) -> None:
        nonce = self.seq.pending_nonce(cid, bytes.fromhex(ADDRS[sender][2:]))
        self.send(cid, *sign(cid, sender, nonce, to=ADDRS[9], value=next(self.uniq)))

    def do_xcall(self, src: int, dst: int, sender: int) -> None:
        nonce = self.seq.pending_nonce(src, bytes.fromhex(ADDRS[sender][2:]))
        data = XCALL + encode(["uint256", "address", "bytes"], [dst, CONTRACT, bytes.fromhex(INCREMENT[2:])])
        self.send(src, *sign(src, sender, nonce, to=MAILBOX, data="0x" + data.hex(), gas=1_000_000 + next(self.uniq)))

    def do_bundle(self, legs: list[tuple[int, int]]) -> None:
        used: dict[tuple[int, int], int] = {}
        raws, hashes = [], []
        for cid, sender in legs:
            who = bytes.fromhex(ADDRS[sender][2:])
            queued = sum(1 for b in self.seq.bundles.queue for c, p in b.legs if c == cid and p.sender == who)
            nonce = int(self.seq.chain(cid).state_at("latest").get_nonce(who)) + queued + used.get((cid, sender), 0)
            used[cid, sender] = used.get((cid, sender), 0) + 1
            raw, h = sign(cid, sender, nonce, to=ADDRS[8], value=next(self.uniq))
            raws.append(raw)
            hashes.append(bytes.fromhex(h[2:]))
        bundle_hash = Bundle(tuple((c, decode(r)) for (c, _), r in zip(legs, raws, strict=True))).hash
        try:
            self.rpc(legs[0][0], "xr_sendBundle", {"txs": raws})
        except RpcError as exc:
            assert exc.code == -32010, f"bundle refused: {exc!r}"  # a leg on a halted chain
            event("bundle refused: halted")
            return
        self.bundles.append((bundle_hash, [(c, h) for (c, _), h in zip(legs, hashes, strict=True)]))

    def do_fault(self, fault: dict[str, Any]) -> None:
        self.rpc(CHAINS[0], "xr_setFault", fault)

    def do_clear(self, pick: int) -> None:
        active = self.rpc(CHAINS[1], "xr_faults")["active"]
        if active:
            self.rpc(CHAINS[1], "xr_clearFault", active[pick % len(active)]["id"])

    def do_mine(self) -> None:
        try:
            self.rpc(CHAINS[2], "evm_mine")
        except RpcError as exc:
            assert exc.code == -32000 and "down" in exc.message and any(
                f["kind"] == "down" for f in self.rpc(CHAINS[0], "xr_faults")["active"])

    def do_safe(self, behind: int) -> None:
        """What the settlement layer does: superblocks up to head - ``behind`` become safe."""
        self.seq.safe_superblock = max(self.seq.safe_superblock, self.seq.head.number - behind)

    def do_reorg(self, depth: int) -> None:
        head, safe = self.seq.head.number, self.seq.safe_superblock
        try:
            result = self.rpc(CHAINS[1], "xr_reorg", depth)
        except RpcError as exc:
            assert exc.code == -32602 and head - depth < safe, f"reorg {depth} at {head} (safe {safe}): {exc!r}"
            self.refused += 1
            return
        assert head - depth >= safe, f"a reorg to {head - depth} went at or below safe {safe}"
        assert result["fork"] == head - depth
        self.reorgs += 1

    # -- invariants ---------------------------------------------------------------------------------

    def check(self) -> None:
        seq = self.seq
        safe = seq.safe_superblock
        assert [sb.hash for sb in seq.superblocks[: len(self.safe_hashes)]] == self.safe_hashes[: safe + 1], (
            "a safe superblock changed")
        self.safe_hashes = [sb.hash for sb in seq.superblocks[: safe + 1]]
        listed: dict[int, list[bytes]] = {cid: [] for cid in CHAINS}
        for sb in seq.superblocks:
            for ref in sb.blocks:
                assert ref.number == len(listed[ref.chain_id]), f"chain {ref.chain_id}: blocks out of order"
                listed[ref.chain_id].append(ref.hash)
        for cid in CHAINS:
            assert listed[cid] == [m.hash for m in seq.chain(cid).blocks], f"chain {cid}: a block in no superblock"
        for bundle_hash, legs in self.bundles:
            mined = [seq.chain(cid).tx_by_hash.get(h) for cid, h in legs]
            present = [m for m in mined if m is not None]
            assert not present or len(present) == len(mined), f"bundle 0x{bundle_hash.hex()} partly applied"
            if present:
                numbers = {seq.superblock_of(cid, m.block_number).number for (cid, _), m in zip(legs, mined, strict=True)}
                assert len(numbers) == 1 and bundle_hash in seq.superblocks[numbers.pop()].bundles
        assert hash_mismatch({cid: seq.chain(cid).state_at("latest") for cid in CHAINS}) is None, (
            "a cross-rollup call is partly applied: mailboxes disagree")
        invalid = {h for r in seq.faults.reorgs for _c, h, _r in r.invalid}
        for tx_hash, cid in self.accepted.items():
            assert (tx_hash in seq.chain(cid).tx_by_hash or tx_hash in seq.pools[cid].by_hash
                    or tx_hash in invalid), f"transaction 0x{tx_hash.hex()} on {cid} was lost"
        entries = seq.log.entries
        if self.replica is None or entries[1 : 1 + len(self.replayed)] != self.replayed:
            self.replica = fresh_replica(entries[0])  # the log's tail was rewritten (a reorg)
            self.replayed = []
        new = entries[1 + len(self.replayed):]
        from shared_sequencer.replay import replay

        replay(self.replica.sequencer, new)
        self.replayed.extend(new)
        assert_same_chains(self.devnet, self.replica)


@settings(max_examples=int(os.environ.get("XR_PROPERTY_EXAMPLES", "25")), deadline=None,
          derandomize=os.environ.get("XR_HYPOTHESIS_RANDOM") != "1", print_blob=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("XR_PROPERTY_NO_SHRINK")])
@given(automine=st.booleans(), steps=st.lists(step_st, min_size=10, max_size=30))
def test_random_faults_keep_every_invariant(automine: bool, steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory(prefix="xr-faults-") as state_dir:
        harness = Harness(state_dir, automine)
        try:
            harness.check()
            for step in steps:
                note(f"step {step}")
                getattr(harness, f"do_{step[0]}")(*step[1:])
                harness.check()
            for fault in harness.rpc(CHAINS[0], "xr_faults")["active"]:  # all clear: what waited goes in
                harness.rpc(CHAINS[0], "xr_clearFault", fault["id"])
            harness.do_mine()
            harness.do_mine()
            harness.check()
            event(f"reorgs done: {min(harness.reorgs, 2)}{'+' if harness.reorgs >= 2 else ''}")
            event(f"reorgs refused: {harness.refused > 0}")
        finally:
            harness.close()
        assert load_entries(Path(state_dir)) == harness.seq.log.entries
        assert replay_command(state_dir) == 0
