"""Durability of the superblock log (--state-dir), with the real ``xrollup`` command.

A client thread loads the devnet; the process is SIGKILLed mid-load; a restart on the same
directory must serve every acknowledged transaction (same block hashes, receipts, logs) and go
on. ``xrollup replay`` accepts the log, names the chain and block of a corrupted state root, and
a torn last line is tolerated on restart.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_utils import keccak

from shared_sequencer.log import LOG_FILE
from tests.sequencer.log_forge import read_records, write_resealed
from tests.sequencer.seq_helpers import (
    ADDRS,
    INCREMENT,
    CliDevnet,
    Rpc,
    counter_deploy_data,
    hex_int,
    run_replay,
    sign,
    transfer,
    wait_for,
)

CHAINS = (901, 902)
ACKS_BEFORE_KILL = 80
PRESIGNED = 400  # per chain; far more than can be sent before the kill
INCREMENTED = "0x" + keccak(text="Incremented(address,uint256)").hex()


@dataclass
class Ack:
    chain_id: int
    tx_hash: str
    kind: str  # increment | transfer | bundle-leg
    block_number: int | None = None
    block_hash: str | None = None


@dataclass
class KilledRun:
    state_dir: Path
    counter: str
    acks: list[Ack] = field(default_factory=list)
    superblocks: dict[int, str] = field(default_factory=dict)  # number -> hash, read before the kill
    bundles: list[tuple[str, int]] = field(default_factory=list)  # (bundle hash, superblock)


def _load(node: CliDevnet, counter: str, acks: list[Ack], bundles: list[tuple[str, int]], stop: threading.Event) -> None:
    """Send pre-signed transactions one after another; record each acknowledgement."""
    client = {cid: Rpc(node.urls[cid], timeout=10) for cid in CHAINS}
    incs = [sign(901, 1, n, to=counter, data=INCREMENT, gas=100_000) for n in range(PRESIGNED)]
    xfers = [transfer(902, 2, n, to_index=3, value=n + 1) for n in range(PRESIGNED)]
    legs = [(sign(901, 4, n, to=counter, data=INCREMENT, gas=100_000), transfer(902, 4, n, value=7))
            for n in range(PRESIGNED // 10)]
    try:
        for i in range(PRESIGNED):
            if stop.is_set():
                return
            for cid, (raw, h), kind in ((901, incs[i], "increment"), (902, xfers[i], "transfer")):
                assert client[cid].call("eth_sendRawTransaction", raw) == h
                ack = Ack(cid, h, kind)
                acks.append(ack)
                receipt = client[cid].receipt(h)
                ack.block_number, ack.block_hash = hex_int(receipt["blockNumber"]), receipt["blockHash"]
            if i % 10 == 5:
                (raw_a, h_a), (raw_b, h_b) = legs[i // 10]
                status = client[902].call("xr_sendBundle", {"txs": [raw_a, raw_b]})
                acks.extend([Ack(901, h_a, "bundle-leg"), Ack(902, h_b, "bundle-leg")])
                bundles.append((status["bundleHash"], hex_int(status["superblock"])))
    except Exception:  # the kill: connection refused / reset mid-request
        return
    finally:
        for c in client.values():
            c.close()


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KilledRun]:
    state_dir = tmp_path_factory.mktemp("xr-durable") / "state"
    node = CliDevnet(chains=CHAINS, state_dir=state_dir)
    try:
        setup = node.rpc(901)
        raw, h = sign(901, 9, 0, data=counter_deploy_data(0), gas=1_000_000)
        setup.call("eth_sendRawTransaction", raw)
        run = KilledRun(state_dir, setup.receipt(h)["contractAddress"])
        stop = threading.Event()
        loader = threading.Thread(target=_load, args=(node, run.counter, run.acks, run.bundles, stop), daemon=True)
        loader.start()
        wait_for(lambda: len(run.acks) >= ACKS_BEFORE_KILL or not loader.is_alive(), timeout=60, what="load")
        assert loader.is_alive(), "the load finished before the kill"
        height = setup.superblock_height()
        for n in range(height + 1):
            run.superblocks[n] = setup.call("xr_getSuperblockByNumber", hex(n), False)["hash"]
        setup.close()
        node.kill(signal.SIGKILL)  # mid-load: the loader is still sending
        loader.join(30)
        stop.set()
        assert not loader.is_alive()
        assert node.proc.returncode == -signal.SIGKILL
        assert len(run.acks) >= ACKS_BEFORE_KILL
        yield run
    finally:
        node.kill()


def as_int(value: int | str) -> int:
    return hex_int(value) if isinstance(value, str) else int(value)


def _copy(run: KilledRun, tmp_path: Path) -> Path:
    target = tmp_path / "state"
    shutil.copytree(run.state_dir, target)
    return target


def test_restart_after_sigkill_serves_every_acknowledged_transaction(killed: KilledRun, tmp_path: Path) -> None:
    state_dir = _copy(killed, tmp_path)
    with CliDevnet(chains=CHAINS, state_dir=state_dir) as node:
        r = {cid: node.rpc(cid) for cid in CHAINS}
        height = r[901].superblock_height()
        assert height >= max(n for n in killed.superblocks)
        assert all(c.height() <= height for c in r.values())  # chains advance only with work
        for n, sb_hash in killed.superblocks.items():
            assert r[902].call("xr_getSuperblockByNumber", hex(n), False)["hash"] == sb_hash, f"superblock {n}"

        increments = set()
        for ack in killed.acks:
            receipt = r[ack.chain_id].receipt(ack.tx_hash)
            assert receipt is not None, f"acknowledged {ack.kind} {ack.tx_hash} on {ack.chain_id} is gone"
            assert receipt["status"] == "0x1"
            if ack.block_hash is not None:
                assert receipt["blockHash"] == ack.block_hash
                assert hex_int(receipt["blockNumber"]) == ack.block_number
                block = r[ack.chain_id].call("eth_getBlockByNumber", hex(ack.block_number), False)
                assert block["hash"] == ack.block_hash and ack.tx_hash in block["transactions"]
            if ack.chain_id == 901 and ack.kind in ("increment", "bundle-leg"):
                increments.add(ack.tx_hash)
                assert len(receipt["logs"]) == 1 and receipt["logs"][0]["topics"][0] == INCREMENTED
        # logs are served from the replayed chain
        logs = r[901].call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": killed.counter})
        assert increments <= {entry["transactionHash"] for entry in logs}
        assert all(entry["topics"][0] == INCREMENTED for entry in logs)
        # bundles acknowledged before the kill are still in their superblock, both legs in it
        for bundle_hash, number in killed.bundles:
            sb = r[901].call("xr_getSuperblockByNumber", hex(number), True)
            assert bundle_hash in sb["bundles"]
        # the counter agrees with the logs
        assert r[901].counter(killed.counter) == len(logs)

        # the devnet goes on: new transactions from where each sender left off
        for cid, sender in ((901, 1), (902, 2)):
            nonce = r[cid].nonce(ADDRS[sender], "pending")
            raw, h = transfer(cid, sender, nonce, value=12345)
            r[cid].call("eth_sendRawTransaction", raw)
            receipt = r[cid].receipt(h)
            assert receipt is not None and r[cid].superblock_of(receipt) > height
        for c in r.values():
            c.close()
    # and what it wrote after the restart replays too
    result = run_replay(state_dir)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_bundle_status_survives_restart(killed: KilledRun, tmp_path: Path) -> None:
    """The superblock log carries each bundle's legs: statuses are rebuilt on restart."""
    assert killed.bundles, "the load sent no bundle before the kill"
    state_dir = _copy(killed, tmp_path)
    with CliDevnet(chains=CHAINS, state_dir=state_dir) as node:
        r = node.rpc(901)
        try:
            for bundle_hash, number in killed.bundles:
                status = r.call("xr_getBundleStatus", bundle_hash)
                assert status["status"] == "included"
                assert hex_int(status["superblock"]) == number
                legs = status["legs"]
                assert [as_int(leg["chainId"]) for leg in legs] == [901, 902]
                for leg in legs:  # each leg's block is in the bundle's superblock
                    sb = node.rpc(as_int(leg["chainId"])).call("xr_getSuperblockOfBlock", hex(as_int(leg["blockNumber"])), False)
                    assert hex_int(sb["number"]) == number
        finally:
            r.close()


def test_replay_command_accepts_the_log(killed: KilledRun) -> None:
    result = run_replay(killed.state_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replay OK" in result.stdout
    count = int(result.stdout.split("replay OK:")[1].split()[0])
    assert count >= max(killed.superblocks)


def test_replay_command_names_chain_and_block_of_a_corrupt_state_root(killed: KilledRun, tmp_path: Path) -> None:
    """A forged log: the state root changed and the hash chain recomputed, so that the record
    hashes verify and only replay's execution can tell (a plain edit is refused by its hash,
    tests/sequencer/test_seq_log_damage.py)."""
    state_dir = _copy(killed, tmp_path)
    records = read_records(state_dir)
    # corrupt chain 902's state root in its block of the 10th acknowledged transfer
    target = next(a.block_number for a in killed.acks[20:] if a.chain_id == 902 and a.block_number)
    for entry in records:
        if entry.get("t") == "superblock" and any(b["chainId"] == 902 and b["number"] == target for b in entry["blocks"]):
            for blk in entry["blocks"]:
                if blk["chainId"] == 902:
                    root = blk["stateRoot"]
                    blk["stateRoot"] = root[:-4] + ("0000" if root[-4:] != "0000" else "ffff")
            break
    else:
        raise AssertionError(f"block {target} of chain 902 not in the log")
    write_resealed(state_dir, records)
    result = run_replay(state_dir)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "OK" not in result.stdout
    assert f"chain 902 block {target}" in output, output[-2000:]
    assert "state root" in output


def test_torn_last_line_is_tolerated_on_restart(killed: KilledRun, tmp_path: Path) -> None:
    state_dir = _copy(killed, tmp_path)
    path = state_dir / LOG_FILE
    data = path.read_bytes().rstrip(b"\n")
    last_start = data.rfind(b"\n") + 1
    last = json.loads(data[last_start:])
    assert last["t"] == "superblock"
    path.write_bytes(data[: last_start + len(data[last_start:]) // 2])  # cut the last line mid-way
    with CliDevnet(chains=CHAINS, state_dir=state_dir) as node:
        r = node.rpc(901)
        height = r.superblock_height()
        assert height == last["number"] - 1, "only the torn superblock may be lost"
        for n in range(min(height, max(killed.superblocks)) + 1):
            assert r.call("xr_getSuperblockByNumber", hex(n), False)["hash"] == killed.superblocks[n]
        nonce = r.nonce(ADDRS[5], "pending")
        raw, h = transfer(901, 5, nonce)
        r.call("eth_sendRawTransaction", raw)
        assert r.superblock_of(r.receipt(h)) == height + 1
        r.close()
    # the appended superblock starts on a line of its own: a second restart and replay work
    text = path.read_text()
    assert text.endswith("\n")
    for line in text.split("\n"):
        if line:
            json.loads(line)
    with CliDevnet(chains=CHAINS, state_dir=state_dir) as node:
        r = node.rpc(902)
        assert r.superblock_height() == height + 1
        r.close()
    result = run_replay(state_dir)
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr
