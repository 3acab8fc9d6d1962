"""Property test of the sequencing window over a real server with its L1: random faults (down,
censoring the depositor, their chain or a target) switched on and off between random deposits
through the L1 portals, transfers, reorgs and L1 blocks. After every step:
  * every deposit whose deadline (its L1 block + --sequencing-window, as xr_getForcedInclusion
    reports it) is the L1's head or earlier is on its rollup, and none is lost (included or
    queued, never both);
  * no block reported ``safe`` is ever reorged: every safe block seen keeps its hash.
The L1 makes a block only when a step mines one (or sends it a deposit), so the window is counted
exactly. At the end, ``xrollup replay --from-l1`` rebuilds every rollup from the L1 alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from bridge_contracts import load_artifact
from chains.genesis import dev_accounts
from settlement.contracts import portal_address
from tests.support import Rpc, RpcError, served
from xrollup.cli import main
from xrollup.testing import DevnetThread

WINDOW = 2
CHAINS = (901, 902)
SENDERS = [a.address for a in dev_accounts()[5:8]]
TARGET = bytes.fromhex("00000000000000000000000000000000000f0e1d")
PORTAL = load_artifact("OptimismPortal")["abi"]

chain_st = st.sampled_from(CHAINS)
fault_st = st.one_of(
    st.just({"kind": "down"}),
    st.builds(lambda i: {"kind": "censor", "senders": [to_checksum_address(SENDERS[i])]}, st.integers(0, 2)),
    st.builds(lambda c: {"kind": "censor", "chains": [c]}, chain_st),
    st.just({"kind": "censor", "contracts": [to_checksum_address(TARGET)]}),
)
step_st = st.one_of(
    st.tuples(st.just("deposit"), chain_st, st.integers(0, 2)),
    st.tuples(st.just("deposit"), chain_st, st.integers(0, 2)),
    st.tuples(st.just("transfer"), chain_st),
    st.tuples(st.just("fault"), fault_st),
    st.tuples(st.just("clear"), st.sampled_from(["down", "censor"])),
    st.just(("l1",)),
    st.just(("l1",)),
    st.tuples(st.just("reorg"), st.integers(1, 3)),
)


class Harness:
    def __init__(self, dt: DevnetThread) -> None:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        self.dt = dt
        self.l1 = Rpc(dt.devnet.l1.url)
        self.rollups = {cid: Rpc(url) for cid, url in dt.urls.items()}
        self.w3_l1 = Web3(Web3.HTTPProvider(dt.devnet.l1.url))
        self.deposits: dict[bytes, tuple[int, int]] = {}  # hash -> (chain, deadline)
        self.safe_seen: dict[tuple[int, int], str] = {}  # (chain, number) -> hash once reported safe

    def close(self) -> None:
        for rpc in (self.l1, *self.rollups.values()):
            rpc.close()

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "deposit":
            _, cid, who = step
            portal = self.w3_l1.eth.contract(address=to_checksum_address(portal_address(cid)), abi=PORTAL)
            tx_hash = portal.functions.depositTransaction(to_checksum_address(TARGET), 1, 60_000, False, b"").transact(
                {"from": to_checksum_address(SENDERS[who]), "value": 1})
            (item,) = self.rollups[cid].call("xr_getForcedInclusion", tx_hash.to_0x_hex())["deposits"]
            assert item["chainId"] == cid and item["deadline"] == item["l1Block"] + WINDOW
            self.deposits[bytes.fromhex(item["depositHash"][2:])] = (cid, item["deadline"])
        elif kind == "transfer":
            self.rollups[step[1]].call("eth_sendTransaction", {"from": to_checksum_address(SENDERS[0]),
                                                                "to": to_checksum_address(TARGET), "value": "0x1"})
        elif kind == "fault":
            self.rollups[901].call("xr_setFault", step[1])
        elif kind == "clear":
            try:
                self.rollups[901].call("xr_clearFault", step[1])
            except RpcError:
                pass  # none of that kind was active
        elif kind == "l1":
            self.l1.call("evm_mine")
        elif kind == "reorg":
            try:
                self.rollups[901].call("xr_reorg", step[1])
            except RpcError as exc:
                assert exc.code == -32602 and "safe" in exc.message  # refused: it would reach a safe superblock

    def check(self) -> None:
        seq = self.dt.devnet.sequencer
        l1_head = int(self.l1.call("eth_blockNumber"), 16)
        queued = {p.hash for queue in seq.deposits.values() for p in queue}
        for tx_hash, (cid, deadline) in self.deposits.items():
            receipt = self.rollups[cid].call("eth_getTransactionReceipt", "0x" + tx_hash.hex())
            if deadline <= l1_head:
                assert receipt is not None, f"deposit 0x{tx_hash.hex()} missed its deadline {deadline} (L1 {l1_head})"
            assert (receipt is not None) != (tx_hash in queued), "a deposit is both queued and included, or lost"
        for cid, rpc in self.rollups.items():
            safe = rpc.call("eth_getBlockByNumber", "safe", False)
            self.safe_seen[(cid, int(safe["number"], 16))] = safe["hash"]
        for (cid, number), block_hash in self.safe_seen.items():
            assert self.rollups[cid].call("eth_getBlockByNumber", hex(number), False)["hash"] == block_hash, \
                f"safe block {number} of chain {cid} was reorged"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with served(CHAINS, l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        h = Harness(dt)
        yield h
        h.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step_st, min_size=4, max_size=14))
def test_every_deposit_lands_within_its_window_and_safe_blocks_stay(harness: Harness,
                                                                    steps: list[tuple[Any, ...]]) -> None:
    for step in steps:
        harness.step(step)
        harness.check()
    if harness.dt.devnet.sequencer.faults.matching("down"):
        harness.rollups[901].call("xr_clearFault", "down")
    for _ in range(WINDOW):  # the window passes: whatever a fault still holds is forced in
        harness.l1.call("evm_mine")
    harness.check()
    for cid, rpc in harness.rollups.items():
        assert not [h for h, (c, _) in harness.deposits.items() if c == cid
                    and rpc.call("eth_getTransactionReceipt", "0x" + h.hex()) is None]


def test_replay_from_the_l1_rebuilds_what_the_property_run_made(harness: Harness,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the property test, on the same devnet: forced blocks, reorgs and all."""
    if harness.dt.devnet.sequencer.faults.matching("down"):
        harness.rollups[901].call("xr_clearFault", "down")
    harness.l1.call("evm_mine")  # the last batch
    assert harness.dt.devnet.l1 is not None and harness.dt.devnet.l1.url
    heads = {cid: rpc.call("eth_getBlockByNumber", "safe", False) for cid, rpc in harness.rollups.items()}
    capsys.readouterr()
    assert main(["replay", "--from-l1", harness.dt.devnet.l1.url]) == 0
    out = capsys.readouterr().out
    assert "replay --from-l1 OK" in out and f"deposits: {len(harness.deposits)} on the L1" in out, out
    for cid, head in heads.items():
        assert f"chain {cid}: block {int(head['number'], 16)} hash {head['hash']}" in out, out
