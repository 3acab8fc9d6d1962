"""Atomic multi-chain bundles (xr_sendBundle, xr_simulateBundle, xr_getBundleStatus) against a
real devnet over HTTP: all legs in one superblock, or none anywhere, with the failing leg,
its chain and its reason reported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import rlp
from eth_utils import keccak

from tests.sequencer.seq_helpers import (
    ADDRS,
    FAIL_WITH_REASON,
    GWEI,
    INCREMENT,
    DevnetServer,
    Rpc,
    contract_address,
    counter_deploy_data,
    hex_int,
    selector,
    sign,
    transfer,
)

DEPLOYER = 9


def as_int(value: Any) -> int:
    return hex_int(value) if isinstance(value, str) else int(value)


def bundle_hash(tx_hashes: list[str]) -> str:
    return "0x" + keccak(b"".join(bytes.fromhex(h[2:]) for h in tx_hashes)).hex()


def deploy_counter(rpc: Rpc, chain_id: int) -> str:
    nonce = rpc.nonce(ADDRS[DEPLOYER], "pending")
    raw, h = sign(chain_id, DEPLOYER, nonce, data=counter_deploy_data(0), gas=1_000_000)
    rpc.call("eth_sendRawTransaction", raw)
    if rpc.receipt(h) is None:
        rpc.call("evm_mine")
    receipt = rpc.receipt(h)
    assert receipt["status"] == "0x1"
    assert receipt["contractAddress"] == contract_address(ADDRS[DEPLOYER], nonce).lower()
    return receipt["contractAddress"]


class Env:
    def __init__(self, server: DevnetServer) -> None:
        self.server = server
        self.r = {cid: server.rpc(cid) for cid in (901, 902)}
        self.counter = {cid: deploy_counter(self.r[cid], cid) for cid in (901, 902)}

    def state(self, *accounts: int) -> dict[tuple[int, int], tuple[int, int]]:
        """(chain, account) -> (nonce, balance)."""
        return {
            (cid, a): (self.r[cid].nonce(ADDRS[a]), self.r[cid].balance(ADDRS[a]))
            for cid in (901, 902) for a in accounts
        }

    def counters(self) -> dict[int, int]:
        return {cid: self.r[cid].counter(self.counter[cid]) for cid in (901, 902)}


@pytest.fixture
def env() -> Iterator[Env]:
    with DevnetServer() as server:
        yield Env(server)


@pytest.fixture
def menv() -> Iterator[Env]:
    with DevnetServer(no_mining=True) as server:
        yield Env(server)


def increment(env: Env, cid: int, key: int, nonce: int) -> tuple[str, str]:
    return sign(cid, key, nonce, to=env.counter[cid], data=INCREMENT, gas=100_000)


def failing_call(env: Env, cid: int, key: int, nonce: int) -> tuple[str, str]:
    return sign(cid, key, nonce, to=env.counter[cid], data=FAIL_WITH_REASON, gas=100_000)


# -- inclusion ---------------------------------------------------------------------------------


def test_two_leg_bundle_lands_in_one_superblock(env: Env) -> None:
    before = env.r[901].superblock_height()
    raw_a, h_a = increment(env, 901, 1, 0)
    raw_b, h_b = increment(env, 902, 1, 0)
    status = env.r[901].call("xr_sendBundle", {"txs": [raw_a, raw_b]})
    assert status["status"] == "included"
    assert status["bundleHash"] == bundle_hash([h_a, h_b])
    ra, rb = env.r[901].receipt(h_a), env.r[902].receipt(h_b)
    assert ra["status"] == rb["status"] == "0x1"
    assert env.r[901].superblock_of(ra) == env.r[902].superblock_of(rb) == before + 1
    assert env.counters() == {901: 1, 902: 1}

    got = env.r[902].call("xr_getBundleStatus", status["bundleHash"])  # any endpoint answers
    assert got["status"] == "included"
    assert as_int(got["superblock"]) == before + 1
    legs = got["legs"]
    assert [as_int(leg["chainId"]) for leg in legs] == [901, 902]
    assert [leg["txHash"] for leg in legs] == [h_a, h_b]
    assert [as_int(leg["index"]) for leg in legs] == [0, 1]
    assert [as_int(leg["blockNumber"]) for leg in legs] == [hex_int(ra["blockNumber"]), hex_int(rb["blockNumber"])]
    assert [leg["blockHash"] for leg in legs] == [ra["blockHash"], rb["blockHash"]]
    sb = env.r[901].call("xr_getSuperblockByNumber", hex(before + 1), True)
    assert sb["hash"] == got["superblockHash"]
    assert sb["bundles"] == [status["bundleHash"]]
    assert {hex_int(b["chainId"]): b["transactions"] for b in sb["blocks"]} == {901: [h_a], 902: [h_b]}


def test_bundle_legs_on_the_same_chain_keep_their_order(env: Env) -> None:
    raws, hashes = zip(*[increment(env, 901, 2, 0), transfer(902, 2, 0), increment(env, 901, 2, 1)], strict=True)
    env.r[901].call("xr_sendBundle", {"txs": list(raws)})
    receipts = [env.r[901].receipt(hashes[0]), env.r[902].receipt(hashes[1]), env.r[901].receipt(hashes[2])]
    assert len({env.r[c].superblock_of(r) for c, r in zip((901, 902, 901), receipts, strict=True)}) == 1
    assert hex_int(receipts[0]["transactionIndex"]) < hex_int(receipts[2]["transactionIndex"])


# -- failure: nothing anywhere, attributed ------------------------------------------------------


def assert_nothing_happened(env: Env, before: dict, counters: dict[int, int], *tx_hashes: str) -> None:
    for h in tx_hashes:
        for cid in (901, 902):
            assert env.r[cid].receipt(h) is None, f"{h} has a receipt on chain {cid}"
    assert env.state(*{a for _, a in before}) == before
    assert env.counters() == counters


def test_bundle_with_reverting_second_leg_is_included_nowhere(env: Env) -> None:
    raw_a, h_a = increment(env, 901, 1, 0)
    raw_b, h_b = failing_call(env, 902, 1, 0)
    before, counters = env.state(1), env.counters()
    err = env.r[901].error("xr_sendBundle", {"txs": [raw_a, raw_b]})
    assert err.code == 3
    assert "leg 1" in err.message and "902" in err.message
    data = err.data
    assert data["failedLeg"] == 1 and as_int(data["chainId"]) == 902 and data["txHash"] == h_b
    assert data["reason"] == "Counter: boom"
    assert data["revertData"].startswith("0x08c379a0")
    assert data["bundleHash"] == bundle_hash([h_a, h_b])
    assert_nothing_happened(env, before, counters, h_a, h_b)

    status = env.r[902].call("xr_getBundleStatus", data["bundleHash"])
    assert status["status"] == "failed"
    assert as_int(status["failedLeg"]) == 1 and as_int(status["chainId"]) == 902
    assert status["txHash"] == h_b and status["reason"] == "Counter: boom"
    assert "Counter: boom" in status["error"]
    # the legs were not consumed: the same transactions still work on their own
    env.r[901].call("eth_sendRawTransaction", raw_a)
    assert env.r[901].receipt(h_a)["status"] == "0x1"


def test_bundle_rejected_at_execution_is_included_nowhere(env: Env) -> None:
    """Leg 1 is affordable against the chain's state, but not after leg 0 spent the balance."""
    r = env.r[902]
    balance = r.balance(ADDRS[3])
    gas_cost = 21_000 * 11 * GWEI
    raw_a, h_a = transfer(901, 3, 0, value=10)
    raw_b, h_b = transfer(902, 3, 0, to_index=4, value=balance - 2 * gas_cost)
    raw_c, h_c = transfer(902, 3, 1, to_index=4, value=balance - gas_cost)
    before, counters = env.state(3, 4), env.counters()
    err = env.r[901].error("xr_sendBundle", {"txs": [raw_a, raw_b, raw_c]})
    assert err.code == -32003
    assert "leg 2" in err.message
    assert err.data["failedLeg"] == 2 and as_int(err.data["chainId"]) == 902 and err.data["txHash"] == h_c
    assert "insufficient funds" in (err.data["reason"] or "")
    assert_nothing_happened(env, before, counters, h_a, h_b, h_c)
    status = r.call("xr_getBundleStatus", err.data["bundleHash"])
    assert status["status"] == "failed" and as_int(status["failedLeg"]) == 2


def test_bundle_with_overdrawing_second_leg_is_refused_and_attributed(env: Env) -> None:
    """A leg that moves more value than the sender has on chain 902: refused, with the leg, the
    chain and the reason in the error's data (invariant 5) and in the bundle's status."""
    raw_a, h_a = transfer(901, 5, 0, value=1)
    raw_b, h_b = transfer(902, 5, 0, value=env.r[902].balance(ADDRS[5]) + 1)
    before, counters = env.state(5), env.counters()
    err = env.r[901].error("xr_sendBundle", {"txs": [raw_a, raw_b]})
    assert err.code == -32003
    assert "leg 1" in err.message and "902" in err.message and "insufficient funds" in err.message
    assert_nothing_happened(env, before, counters, h_a, h_b)
    assert isinstance(err.data, dict), f"the error names no leg in its data: {err.message!r}"
    assert err.data["failedLeg"] == 1 and as_int(err.data["chainId"]) == 902 and err.data["txHash"] == h_b
    assert "insufficient funds" in (err.data["reason"] or "")
    status = env.r[901].call("xr_getBundleStatus", bundle_hash([h_a, h_b]))
    assert status["status"] == "failed" and as_int(status["failedLeg"]) == 1


def test_reverting_tx_hashes_let_a_leg_revert(env: Env) -> None:
    raw_a, h_a = increment(env, 901, 1, 0)
    raw_b, h_b = failing_call(env, 902, 1, 0)
    status = env.r[901].call("xr_sendBundle", {"txs": [raw_a, raw_b], "revertingTxHashes": [h_b]})
    assert status["status"] == "included"
    ra, rb = env.r[901].receipt(h_a), env.r[902].receipt(h_b)
    assert ra["status"] == "0x1" and rb["status"] == "0x0"
    assert env.r[901].superblock_of(ra) == env.r[902].superblock_of(rb)
    assert env.counters() == {901: 1, 902: 0}
    assert env.r[902].nonce(ADDRS[1]) == 1, "the reverted leg still used its nonce and paid gas"


def test_reverting_tx_hashes_only_cover_the_listed_leg(env: Env) -> None:
    raw_a, h_a = failing_call(env, 901, 1, 0)
    raw_b, h_b = failing_call(env, 902, 1, 0)
    before, counters = env.state(1), env.counters()
    err = env.r[901].error("xr_sendBundle", {"txs": [raw_a, raw_b], "revertingTxHashes": [h_a]})
    assert err.code == 3 and err.data["failedLeg"] == 1 and as_int(err.data["chainId"]) == 902
    assert_nothing_happened(env, before, counters, h_a, h_b)


# -- refused at submission ----------------------------------------------------------------------


def corrupt_signature(raw: str) -> str:
    """The same EIP-1559 transaction with r = 0: no sender can be recovered."""
    payload = bytes.fromhex(raw[2:])
    assert payload[0] == 2
    fields = rlp.decode(payload[1:])
    fields[10] = b""  # r
    return "0x02" + rlp.encode(fields).hex()


@pytest.mark.parametrize("kind", ["unknown-chain", "bad-signature", "nonce-too-low"])
def test_bad_leg_refused_at_submission_with_its_index(env: Env, kind: str) -> None:
    raw_a, h_a = increment(env, 901, 1, 0)
    if kind == "unknown-chain":
        raw_b, h_b = transfer(999, 1, 0)
    elif kind == "bad-signature":
        raw_b, h_b = corrupt_signature(transfer(902, 1, 0)[0]), "0x" + "00" * 32
    else:
        raw_b, h_b = transfer(902, DEPLOYER, 0)  # the deployer used nonce 0 for the Counter
    before, counters = env.state(1, DEPLOYER), env.counters()
    height = env.r[901].superblock_height()
    err = env.r[902].error("xr_sendBundle", {"txs": [raw_a, raw_b]})
    assert err.code in (-32003, -32602)
    assert "leg 1" in err.message, err.message
    expected = {"unknown-chain": "999", "bad-signature": "invalid", "nonce-too-low": "nonce too low"}[kind]
    assert expected in err.message
    assert env.r[901].superblock_height() == height, "a refused bundle must not mine anything"
    assert_nothing_happened(env, before, counters, h_a, h_b)


def test_max_superblock_in_the_past_is_refused(menv: Env) -> None:
    h = menv.r[901].superblock_height()
    raw_a, h_a = increment(menv, 901, 1, 0)
    raw_b, h_b = increment(menv, 902, 1, 0)
    for max_sb in (h, max(h - 1, 0)):
        err = menv.r[901].error("xr_sendBundle", {"txs": [raw_a, raw_b], "maxSuperblock": hex(max_sb)})
        assert err.code == -32003 and "maxSuperblock" in err.message
    menv.r[901].call("evm_mine")
    assert menv.r[901].receipt(h_a) is None and menv.r[902].receipt(h_b) is None


def test_min_superblock_window(menv: Env) -> None:
    r = menv.r[901]
    h = r.superblock_height()
    raw_a, h_a = increment(menv, 901, 1, 0)
    raw_b, h_b = increment(menv, 902, 1, 0)
    status = r.call("xr_sendBundle", {"txs": [raw_a, raw_b], "minSuperblock": hex(h + 2), "maxSuperblock": hex(h + 3)})
    assert status["status"] == "pending"
    r.call("evm_mine")
    assert r.superblock_height() == h + 1
    assert menv.r[901].receipt(h_a) is None and menv.r[902].receipt(h_b) is None
    assert r.call("xr_getBundleStatus", status["bundleHash"])["status"] == "pending"
    r.call("evm_mine")
    ra, rb = menv.r[901].receipt(h_a), menv.r[902].receipt(h_b)
    assert ra is not None and rb is not None
    assert ra["blockNumber"] == rb["blockNumber"] == hex(h + 2)
    final = r.call("xr_getBundleStatus", status["bundleHash"])
    assert final["status"] == "included" and as_int(final["superblock"]) == h + 2


def test_bundle_whose_window_passes_unmet_expires(menv: Env) -> None:
    """A bundle that cannot go in before maxSuperblock (its leg waits on a nonce gap) fails
    as expired and is never included afterwards."""
    r = menv.r[901]
    h = r.superblock_height()
    raw_a, h_a = increment(menv, 901, 1, 1)  # nonce 1: needs nonce 0 first
    raw_b, h_b = increment(menv, 902, 1, 0)
    status = r.call("xr_sendBundle", {"txs": [raw_a, raw_b], "maxSuperblock": hex(h + 1)})
    assert status["status"] == "pending"
    r.call("evm_mine")  # superblock h+1: leg 0 is rejected (nonce gap), the bundle fails
    assert r.call("xr_getBundleStatus", status["bundleHash"])["status"] == "failed"
    raw0, _ = transfer(901, 1, 0)
    r.call("eth_sendRawTransaction", raw0)
    r.call("evm_mine")
    r.call("evm_mine")
    assert menv.r[901].receipt(h_a) is None and menv.r[902].receipt(h_b) is None


# -- simulation -----------------------------------------------------------------------------------


def test_simulate_bundle_reports_every_leg_and_commits_nothing(env: Env) -> None:
    raw_a, h_a = increment(env, 901, 1, 0)
    raw_b, h_b = failing_call(env, 902, 1, 0)
    positive = sign(902, 2, 0, to=env.counter[902], data="0x" + selector("requirePositive(uint256)").hex()
                    + (7).to_bytes(32, "big").hex(), gas=100_000)
    raw_c, h_c = positive
    before, counters = env.state(1, 2), env.counters()
    height = env.r[901].superblock_height()

    sim = env.r[902].call("xr_simulateBundle", {"txs": [raw_a, raw_b, raw_c]})
    assert sim["success"] is False and sim["failedLeg"] == 1
    assert sim["bundleHash"] == bundle_hash([h_a, h_b, h_c])
    a, b, c = sim["legs"]
    assert as_int(a["chainId"]) == 901 and a["status"] == "0x1" and a["txHash"] == h_a
    assert hex_int(a["gasUsed"]) > 21_000
    assert len(a["logs"]) == 1 and a["logs"][0]["address"].lower() == env.counter[901].lower()
    assert a["reason"] is None
    assert as_int(b["chainId"]) == 902 and b["status"] == "0x0" and b["txHash"] == h_b
    assert b["reason"] == "Counter: boom" and b["revertData"].startswith("0x08c379a0")
    assert hex_int(b["gasUsed"]) > 21_000 and b["logs"] == []
    assert as_int(c["chainId"]) == 902 and c["status"] == "0x1"
    assert c["returnData"] == "0x" + (7).to_bytes(32, "big").hex()

    assert env.r[901].superblock_height() == height
    assert_nothing_happened(env, before, counters, h_a, h_b, h_c)
    assert env.r[901].call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    # simulating left nothing behind: the same legs can be sent for real
    ok = env.r[901].call("xr_simulateBundle", {"txs": [raw_a, raw_c]})
    assert ok["success"] is True and ok["failedLeg"] is None
    assert env.r[901].call("xr_sendBundle", {"txs": [raw_a, raw_c]})["status"] == "included"
    assert env.counters() == {901: 1, 902: 0}


def test_pending_bundle_and_pooled_transactions_share_the_next_superblock(menv: Env) -> None:
    r = menv.r
    h = r[901].superblock_height()
    raw_p, h_p = transfer(901, 3, 0, tip=5 * GWEI, fee_cap=30 * GWEI)
    r[901].call("eth_sendRawTransaction", raw_p)
    raw_a, h_a = increment(menv, 901, 1, 0)
    raw_b, h_b = increment(menv, 902, 1, 0)
    status = r[902].call("xr_sendBundle", {"txs": [raw_a, raw_b]})
    assert status["status"] == "pending"
    assert r[901].receipt(h_a) is None and r[901].receipt(h_p) is None
    r[902].call("evm_mine")
    numbers = {r[901].receipt(h_a)["blockNumber"], r[902].receipt(h_b)["blockNumber"], r[901].receipt(h_p)["blockNumber"]}
    assert numbers == {hex(h + 1)}
    assert r[901].call("xr_getBundleStatus", status["bundleHash"])["status"] == "included"
    assert menv.counters() == {901: 1, 902: 1}
