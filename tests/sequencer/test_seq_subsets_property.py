"""Property test: transactions on random subsets of six chains; replay reproduces every root.

Each step sends work to a random subset of the chains (a plain transfer on one chain, or an
atomic bundle with a transfer on each chain of the subset), or mines with evm_mine (every
chain), or snapshots / reverts, through an in-process ``Devnet``'s JSON-RPC dispatchers in
automine. After every step:

  * a superblock mined for submitted work holds exactly the chains the work touched;
  * every block of every chain belongs to exactly one superblock, in order;
  * replaying the superblock log into fresh chains reproduces every superblock hash, block hash
    and state root.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from shared_sequencer.replay import replay
from tests.sequencer.seq_helpers import ADDRS, transfer
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

CHAINS = (901, 902, 903, 904, 905, 906)

subset_st = st.lists(st.sampled_from(CHAINS), min_size=1, max_size=len(CHAINS), unique=True)
step_st = st.one_of(
    st.tuples(st.just("transfer"), st.sampled_from(CHAINS)),
    st.tuples(st.just("bundle"), subset_st),
    st.tuples(st.just("bundle"), subset_st),
    st.just(("mine",)),
    st.just(("snapshot",)),
    st.tuples(st.just("revert"), st.integers(0, 3)),
)


class Harness:
    def __init__(self) -> None:
        self.devnet = Devnet(DevnetConfig(chain_ids=CHAINS, silent=True))
        self.loop = asyncio.new_event_loop()
        self.snapshots: list[int] = []

    @property
    def seq(self) -> Any:
        return self.devnet.sequencer

    def rpc(self, cid: int, method: str, *params: Any) -> Any:
        return self.loop.run_until_complete(self.devnet.dispatchers[cid].call(method, list(params)))

    def nonce(self, cid: int) -> int:
        return self.seq.pending_nonce(cid, bytes.fromhex(ADDRS[0][2:]))

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        height = self.seq.head.number
        if kind == "transfer":
            cid = step[1]
            self.rpc(cid, "eth_sendRawTransaction", transfer(cid, 0, self.nonce(cid))[0])
            self.expect(height, [cid])
        elif kind == "bundle":
            chains = step[1]
            self.rpc(chains[0], "xr_sendBundle", {"txs": [transfer(cid, 0, self.nonce(cid))[0] for cid in chains]})
            self.expect(height, sorted(chains, key=CHAINS.index))
        elif kind == "mine":
            self.rpc(CHAINS[0], "evm_mine")
            self.expect(height, list(CHAINS))
        elif kind == "snapshot":
            self.snapshots.append(int(self.rpc(CHAINS[1], "evm_snapshot"), 16))
        elif self.snapshots:
            index = step[1] % len(self.snapshots)
            assert self.rpc(CHAINS[2], "evm_revert", hex(self.snapshots[index])) is True
            del self.snapshots[index:]

    def expect(self, height: int, chains: list[int]) -> None:
        assert self.seq.head.number == height + 1
        assert [ref.chain_id for ref in self.seq.head.blocks] == chains

    def check(self) -> None:
        listed: dict[int, list[bytes]] = {cid: [] for cid in CHAINS}
        for sb in self.seq.superblocks:
            assert sb.blocks, f"superblock {sb.number} holds no chain"
            for ref in sb.blocks:
                assert ref.number == len(listed[ref.chain_id]), f"chain {ref.chain_id}: blocks out of order"
                listed[ref.chain_id].append(ref.hash)
        for cid in CHAINS:
            assert listed[cid] == [m.hash for m in self.seq.chain(cid).blocks], f"chain {cid}: a block in no superblock"
        replica = Devnet(DevnetConfig(silent=True).with_genesis(self.seq.log.entries[0]["config"]))
        replay(replica.sequencer, self.seq.log.entries[1:])  # raises ReplayMismatch on any hash or root
        assert [sb.hash for sb in replica.sequencer.superblocks] == [sb.hash for sb in self.seq.superblocks]
        for cid in CHAINS:
            a, b = self.seq.chain(cid), replica.sequencer.chain(cid)
            assert [bytes(m.header.state_root) for m in b.blocks] == [bytes(m.header.state_root) for m in a.blocks]
            assert b.head_state_root == a.head_state_root


@settings(max_examples=int(os.environ.get("XR_PROPERTY_EXAMPLES", "12")), deadline=None,
          derandomize=os.environ.get("XR_HYPOTHESIS_RANDOM") != "1", database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step_st, min_size=4, max_size=14))
def test_random_subsets_of_chains_replay_to_the_same_roots(steps: list[tuple[Any, ...]]) -> None:
    harness = Harness()
    try:
        for step in steps:
            note(f"step {step}")
            harness.step(step)
        harness.check()
    finally:
        harness.loop.close()
