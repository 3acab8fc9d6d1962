"""Saved state (anvil_dumpState / anvil_loadState / anvil_reset and the CLI flags), access lists,
and how automine groups work into superblocks, against real servers."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from rpc.server import find_free_port
from tests.e2e.e2e_helpers import (
    A0,
    A1,
    ANVIL_KEYS,
    COUNTER,
    ETH,
    ZERO_HASH,
    balance,
    block_number,
    calldata,
    deploy_counter,
    send_tx,
    sign,
)
from tests.support import ChainRpc, served
from xrollup.testing import DevnetThread

CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c"


@pytest.fixture(scope="module")
def own() -> Iterator[tuple[DevnetThread, ChainRpc]]:
    """A devnet of this module's own: reset and load replace its whole state."""
    with served((901, 902)) as dt:
        rpc = ChainRpc(dt.urls)
        try:
            yield dt, rpc
        finally:
            rpc.close()


def test_dump_reset_load_round_trip(own: tuple[DevnetThread, ChainRpc]) -> None:
    _, rpc = own
    counter = deploy_counter(rpc, 902, initial=5)
    receipt = send_tx(rpc, 901, {"from": A0, "to": A1, "value": hex(3 * ETH)})
    height = rpc.ok(901, "xr_blockNumber")
    superblock = rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False])
    logs = rpc.ok(902, "eth_getLogs", [{"fromBlock": "0x0", "address": counter}])

    blob = rpc.ok(901, "anvil_dumpState")
    assert gzip.decompress(bytes.fromhex(blob[2:]))[:1] == b"{"  # gzipped JSON, as anvil's

    assert rpc.ok(902, "hardhat_reset") is None
    assert rpc.ok(901, "xr_blockNumber") == "0x0"
    assert balance(rpc, 901, A1) == 10_000 * ETH
    assert rpc.ok(901, "eth_getTransactionReceipt", [receipt["transactionHash"]]) is None

    assert rpc.ok(902, "anvil_loadState", [blob]) is True
    assert rpc.ok(901, "xr_blockNumber") == height
    assert rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False]) == superblock
    assert balance(rpc, 901, A1) == 10_003 * ETH
    assert rpc.ok(901, "eth_getTransactionReceipt", [receipt["transactionHash"]]) == receipt
    assert rpc.ok(902, "eth_getLogs", [{"fromBlock": "0x0", "address": counter}]) == logs
    number = rpc.ok(902, "eth_call", [{"to": counter, "data": calldata("number()")}, "latest"])
    assert int(number, 16) == 5
    # and the devnet goes on from there
    send_tx(rpc, 901, {"from": A0, "to": A1, "value": hex(ETH)})
    assert int(rpc.ok(901, "xr_blockNumber"), 16) == int(height, 16) + 1


def test_bad_state_files_are_refused_and_nothing_changes(own: tuple[DevnetThread, ChainRpc]) -> None:
    _, rpc = own
    send_tx(rpc, 901, {"from": A0, "to": A1, "value": "0x1"})
    before = rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False])
    body = json.loads(gzip.decompress(bytes.fromhex(rpc.ok(901, "anvil_dumpState")[2:])))

    def blob(obj: object) -> str:
        return "0x" + gzip.compress(json.dumps(obj).encode()).hex()

    other_version = dict(body, version=body["version"] + 1)
    other_chains = json.loads(json.dumps(body))
    other_chains["entries"][0]["config"]["chain_ids"] = [901, 903]
    forged = json.loads(json.dumps(body))
    forged["entries"][-1]["blocks"][0]["stateRoot"] = "0x" + "11" * 32
    cases = {
        "0x1f8b0000": "not an xrollup state file",
        "0x" + b'{"format": "anvil"}'.hex(): "not an xrollup state file",
        blob(other_version): "version",
        blob(other_chains): "chains [901, 903]",
        blob(forged): "does not replay",
    }
    for state, words in cases.items():
        error = rpc.err(901, "anvil_loadState", [state])
        assert error["code"] == -32602 and words in error["message"], (words, error)
        assert rpc.ok(901, "xr_getSuperblockByNumber", ["latest", False]) == before
    error = rpc.err(901, "anvil_reset", [{"forking": {"jsonRpcUrl": "http://x"}}])
    assert error["code"] == -32602 and "forking" in error["message"]


def _cli(port: int, *args: str) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("xrollup")
    return subprocess.Popen([str(exe), "--chains", "901", "--port", str(port), "--admin.port", "0", "--l1.port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_serving(proc: subprocess.Popen[str], rpc: ChainRpc) -> None:
    for _ in range(300):
        assert proc.poll() is None, proc.communicate()
        try:
            rpc.ok(901, "eth_chainId")
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the devnet did not come up")


def test_state_flag_keeps_the_devnet_across_restarts_and_logs_json(tmp_path: Path) -> None:
    state = tmp_path / "state.json.gz"
    port = find_free_port()
    for run in range(2):
        proc = _cli(port, "--state", str(state), "--log-format", "json")
        rpc = ChainRpc({901: f"http://127.0.0.1:{port}"})
        try:
            _wait_serving(proc, rpc)
            assert block_number(rpc, 901) == run  # the first run's block came back
            send_tx(rpc, 901, {"from": A0, "to": A1, "value": hex(ETH)})
        finally:
            rpc.close()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert state.exists()
        logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert any(entry["message"].endswith("eth_sendTransaction") for entry in logged), err
    proc = _cli(port, "--load-state", str(tmp_path / "missing-dir" / "nope"))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"garbage")
    proc = _cli(port, "--load-state", str(bad), "--silent")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "not an xrollup state file" in err


def test_create_access_list_names_what_the_call_touches(rpc: ChainRpc) -> None:
    initcode = COUNTER["bytecode"][2:] + (7).to_bytes(32, "big").hex()
    salt = "11" * 32
    created = to_checksum_address(keccak(bytes.fromhex("ff" + CREATE2_DEPLOYER[2:] + salt)
                                         + keccak(bytes.fromhex(initcode)))[12:])
    result = rpc.ok(901, "eth_createAccessList", [{"from": A0, "to": CREATE2_DEPLOYER, "data": "0x" + salt + initcode},
                                                  "latest"])
    assert [to_checksum_address(e["address"]) for e in result["accessList"]] == [created]
    assert int(result["gasUsed"], 16) > 100_000
    # a plain call to one contract: the recipient is warm anyway, but its slots are not (geth
    # and anvil list the contract with slot 0 for a counter)
    counter = deploy_counter(rpc, 901)
    plain = rpc.ok(901, "eth_createAccessList", [{"from": A0, "to": counter, "data": calldata("increment()")}])
    assert plain["accessList"] == [{"address": counter.lower(), "storageKeys": [ZERO_HASH]}]
    error = rpc.err(901, "eth_createAccessList", [{"from": A0, "to": counter, "data": calldata("failWithReason()")}])
    assert error["code"] == 3 and error["message"] == "execution reverted: Counter: boom"


def test_automine_mines_nothing_for_what_includes_nothing(rpc: ChainRpc) -> None:
    height = rpc.ok(901, "xr_blockNumber")
    gap = {"to": A1, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
           "nonce": int(rpc.ok(901, "eth_getTransactionCount", [A0, "latest"]), 16) + 5, "chainId": 901}
    rpc.ok(901, "eth_sendRawTransaction", [sign(gap, ANVIL_KEYS[0])])  # waits behind a nonce gap
    assert rpc.ok(901, "xr_blockNumber") == height
    overdraw = {"to": A1, "value": 20_000 * ETH, "gas": 21_000, "maxFeePerGas": 10**10,
                "maxPriorityFeePerGas": 10**9, "nonce": 0, "chainId": 902}
    ok_leg = dict(overdraw, value=1, chainId=901, nonce=int(rpc.ok(901, "eth_getTransactionCount", [A1, "latest"]), 16))
    error = rpc.err(901, "xr_sendBundle", [{"txs": [sign(ok_leg, ANVIL_KEYS[1]), sign(overdraw, ANVIL_KEYS[1])]}])
    assert error["data"]["failedLeg"] == 1
    assert rpc.ok(901, "xr_blockNumber") == height


def test_concurrent_submissions_share_a_superblock(xrollup_server: DevnetThread, rpc: ChainRpc) -> None:
    """Automine batching: submissions the server reads in one tick are mined together, while a
    lone submission still gets its own superblock (every other test checks that)."""
    raws = []
    for i in range(3):
        sender_key = ANVIL_KEYS[1 + i]
        sender = Account.from_key(sender_key).address
        n = int(rpc.ok(901, "eth_getTransactionCount", [sender, "latest"]), 16)
        raws.append(sign({"to": A0, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10,
                          "maxPriorityFeePerGas": 10**9, "nonce": n, "chainId": 901}, sender_key))
    dispatcher = xrollup_server.devnet.dispatchers[901]

    async def together() -> list[object]:
        return list(await asyncio.gather(*(dispatcher.call("eth_sendRawTransaction", [r]) for r in raws)))

    height = int(rpc.ok(901, "xr_blockNumber"), 16)
    hashes = asyncio.run_coroutine_threadsafe(together(), xrollup_server.loop).result(30)
    blocks = {rpc.ok(901, "eth_getTransactionReceipt", [h])["blockNumber"] for h in hashes}
    assert blocks == {hex(height + 1)} and int(rpc.ok(901, "xr_blockNumber"), 16) == height + 1
