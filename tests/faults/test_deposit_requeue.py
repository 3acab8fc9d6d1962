"""Nothing is lost at a restart: a deposit made on the L1 while the sequencer held it back
(censor, down) and still waiting when the devnet stopped is queued again when the devnet starts
from the same --state-dir (the ``xrollup`` CLI in a subprocess, stopped with SIGTERM or killed),
with its original L1 block and deadline; it lands (by the sequencer at once, or forced when the
window passes under a fault the restart starts with) and xr_getForcedInclusion reports it. A
deposit included before the restart is not included again, and the L1 alone still rebuilds the
rollups. The same holds for anvil_loadState: a dump's waiting deposit lands in the devnet that
loads it, and an L1 loaded alone brings its deposits to the rollups, those past their deadline
forced at once. A reset of the rollups re-derives nothing from the L1's earlier blocks."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import portal_address
from tests.sequencer.seq_helpers import ROOT, CliDevnet, run_replay, xrollup_cmd
from tests.support import Rpc, served

WINDOW = 2
USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
PAYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # dev account 0
SINK = to_checksum_address("0x00000000000000000000000000000000000f0e1d")
PORTAL = load_artifact("OptimismPortal")["abi"]
L1_BLOCK = "0x4200000000000000000000000000000000000015"
FLAGS = ("--l1.block-time", "3600", "--sequencing-window", str(WINDOW))  # the L1 mines when told


def _deposit(l1_url: str, sender: str, value: int, chain_id: int = 902) -> str:
    """``sender`` sends ``value`` wei of its rollup balance to SINK on ``chain_id`` through its
    portal (the L1 mines it at once); returns the L1 transaction hash."""
    w3 = Web3(Web3.HTTPProvider(l1_url))
    portal = w3.eth.contract(address=to_checksum_address(portal_address(chain_id)), abi=PORTAL)
    tx_hash = portal.functions.depositTransaction(SINK, value, 100_000, False, b"").transact({"from": sender})
    assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    return tx_hash.to_0x_hex()


def _report(rollup: Rpc, l1_tx: str) -> dict[str, Any]:
    report = rollup.call("xr_getForcedInclusion", l1_tx)
    assert report is not None
    (deposit,) = report["deposits"]
    return deposit


def _l1_url(net: CliDevnet) -> str:
    (entry, *_rest) = net.rpc(902).call("xr_chains")
    return str(entry["l1"]["rpcUrl"])


def _deposits_on(rollup: Rpc) -> list[str]:
    """The hashes of every deposit transaction (type 0x7e) of the rollup's blocks."""
    out = []
    for number in range(int(rollup.call("eth_blockNumber"), 16) + 1):
        block = rollup.call("eth_getBlockByNumber", hex(number), True)
        out += [tx["hash"] for tx in block["transactions"] if tx["type"] == "0x7e"]
    return out


def _origin(rollup: Rpc) -> int:
    """The L1 origin number the rollup's head holds (L1Block.number())."""
    return int(rollup.call("eth_call", {"to": L1_BLOCK, "data": "0x" + keccak(text="number()")[:4].hex()},
                           "latest"), 16)


def _sink(rollup: Rpc) -> int:
    return int(rollup.call("eth_getBalance", SINK, "latest"), 16)


@pytest.mark.parametrize("fault", [{"kind": "censor", "senders": [USER]}, {"kind": "down"}],
                         ids=["censor", "down"])
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_deposit_waiting_at_a_restart_lands_after_it(tmp_path: Path, fault: dict[str, Any], stop: int) -> None:
    state = tmp_path / "state"
    with CliDevnet(*FLAGS, state_dir=state) as net:
        l1_url, rollup = _l1_url(net), net.rpc(902)
        included = _deposit(l1_url, PAYER, 5)  # the sequencer takes it at once
        before = _report(rollup, included)
        assert before["status"] == "included"
        rollup.call("xr_setFault", fault)
        waiting = _deposit(l1_url, USER, 7)
        held = _report(rollup, waiting)
        assert (held["status"], held["includedBy"]) == ("waiting", None)
        assert _sink(rollup) == 5
        net.kill(stop)

    with CliDevnet(*FLAGS, state_dir=state) as net:  # no fault: faults are not saved
        l1_url, rollup = _l1_url(net), net.rpc(902)
        assert _report(rollup, included) == before  # not included twice
        landed = _report(rollup, waiting)
        assert (landed["status"], landed["includedBy"]) == ("included", "sequencer")
        assert (landed["l1Block"], landed["deadline"]) == (held["l1Block"], held["deadline"])
        assert landed["rollupBlock"] > before["rollupBlock"]
        assert _sink(rollup) == 12
        hashes = _deposits_on(rollup)
        assert sorted(hashes) == sorted({before["depositHash"], landed["depositHash"]})
        Rpc(l1_url).call("evm_mine")  # its batch goes out: the L1 alone rebuilds the rollups
        heads = {cid: net.rpc(cid).call("eth_getBlockByNumber", "latest", False)["hash"] for cid in (901, 902)}

    with CliDevnet(*FLAGS, state_dir=state) as net:  # once more: nothing is queued again
        rollup = net.rpc(902)
        assert _report(rollup, waiting) == landed
        assert _deposits_on(rollup) == hashes
        assert {cid: net.rpc(cid).call("eth_getBlockByNumber", "latest", False)["hash"] for cid in (901, 902)} == heads
    done = run_replay(state)
    assert done.returncode == 0 and "replay OK" in done.stdout, done.stderr
    done = subprocess.run(xrollup_cmd("replay", "--from-l1", str(state)), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "deposits: 2 on the L1" in done.stdout and "2 included" in done.stdout
    for block_hash in heads.values():
        assert block_hash in done.stdout


def test_a_deposit_waiting_at_a_restart_under_a_fault_is_forced_at_its_original_deadline(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with CliDevnet(*FLAGS, state_dir=state) as net:
        l1_url, rollup = _l1_url(net), net.rpc(902)
        rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
        waiting = _deposit(l1_url, USER, 7)
        rollup.call("eth_sendTransaction", {"from": PAYER, "to": USER, "value": "0x3"})  # the hand-off
        held = _report(rollup, waiting)
        assert held["status"] == "waiting" and [h["to"] for h in held["handoff"]] == [USER.lower()]

    with CliDevnet(*FLAGS, "--fault", f"censor:{USER}", state_dir=state) as net:
        rollup, l1 = net.rpc(902), Rpc(_l1_url(net))
        again = _report(rollup, waiting)
        assert (again["status"], again["deadline"], again["l1Block"]) == ("waiting", held["deadline"], held["l1Block"])
        assert [h["hash"] for h in rollup.call("xr_faults")["held"]] == [again["depositHash"]]
        while int(l1.call("eth_blockNumber"), 16) < held["deadline"] - 1:
            l1.call("evm_mine")
            assert _report(rollup, waiting)["status"] == "waiting"
        l1.call("evm_mine")  # the deadline block: derivation forces it in before it is built
        forced = _report(rollup, waiting)
        assert (forced["status"], forced["includedBy"]) == ("included", "force")
        assert forced["l1HeadAtInclusion"] == held["deadline"] - 1
        assert [h["hash"] for h in forced["handoff"]] == [h["hash"] for h in held["handoff"]]
        assert _sink(rollup) == 7
        assert [f["hash"] for f in rollup.call("xr_faults")["forced"]] == [forced["depositHash"]]


def test_a_dump_loads_with_its_waiting_deposit() -> None:
    """anvil_loadState of a dump taken while a deposit waited: the loading devnet takes the
    dump's L1 and rollups, and the deposit lands there (it is not censored there)."""
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        rollup = Rpc(dt.urls[902])
        rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
        waiting = _deposit(dt.devnet.l1.url, USER, 7)
        held = _report(rollup, waiting)
        dump = rollup.call("anvil_dumpState")
        rollup.close()
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as other:
        rollup = Rpc(other.urls[902])
        try:
            assert rollup.call("anvil_loadState", dump) is True
            landed = _report(rollup, waiting)
            assert (landed["status"], landed["includedBy"]) == ("included", "sequencer")
            assert (landed["l1Block"], landed["deadline"]) == (held["l1Block"], held["deadline"])
            assert _sink(rollup) == 7
            assert _deposits_on(rollup) == [landed["depositHash"]]
        finally:
            rollup.close()


def test_an_l1_loaded_alone_brings_its_deposits_and_forces_the_overdue_at_once() -> None:
    """The L1's own dump (its endpoint's anvil_dumpState), loaded on another devnet's L1
    endpoint: its rollups include none of its deposits, whose deadlines the L1 passed already
    (it went on past them), so they are forced in at once, in L1 order; one included there
    before is not taken twice."""
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1 = Rpc(dt.devnet.l1.url)
        first = _deposit(dt.devnet.l1.url, PAYER, 5)
        second = _deposit(dt.devnet.l1.url, USER, 7)
        for _ in range(WINDOW + 1):
            l1.call("evm_mine")
        l1_dump = l1.call("anvil_dumpState")
        l1.close()
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as other:
        assert other.devnet.l1 is not None and other.devnet.l1.url
        l1, rollup = Rpc(other.devnet.l1.url), Rpc(other.urls[902])
        try:
            assert rollup.call("xr_getForcedInclusion", first) is None
            for _ in range(8):  # this L1 runs ahead of the loaded one: the rollups' origin is newer
                l1.call("evm_mine")
            rollup.call("eth_sendTransaction", {"from": PAYER, "to": PAYER, "value": "0x0"})
            origin = _origin(rollup)
            assert origin > int(l1.call("eth_blockNumber"), 16) - 2
            assert l1.call("anvil_loadState", l1_dump) is True
            assert int(l1.call("eth_blockNumber"), 16) < origin
            reports = [_report(rollup, first), _report(rollup, second)]
            assert _origin(rollup) == origin  # never backwards
            assert [(r["status"], r["includedBy"]) for r in reports] == [("included", "force")] * 2
            assert reports[0]["rollupBlock"] <= reports[1]["rollupBlock"]
            assert _deposits_on(rollup) == [r["depositHash"] for r in reports]  # in L1 order
            assert _sink(rollup) == 12
            l1.call("anvil_loadState", l1_dump)  # once more: both are included already
            assert _deposits_on(rollup) == [r["depositHash"] for r in reports]
        finally:
            l1.close()
            rollup.close()


def test_a_reset_of_the_rollups_follows_the_l1_from_its_head() -> None:
    """anvil_reset on a rollup: fresh rollups; the deposits of earlier L1 blocks, included or
    waiting, went with the chains they were for, and the next ones land on the new chains."""
    with served((901, 902), l1=True, l1_block_time=3600, admin_port=0, sequencing_window=WINDOW) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1_url = dt.devnet.l1.url
        l1, rollup = Rpc(l1_url), Rpc(dt.urls[902])
        try:
            _deposit(l1_url, PAYER, 5)
            rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
            waiting = _deposit(l1_url, USER, 7)
            rollup.call("anvil_reset")
            for _ in range(WINDOW + 1):
                l1.call("evm_mine")
            assert _report(rollup, waiting)["status"] == "unknown"
            assert _deposits_on(rollup) == [] and _sink(rollup) == 0
            after = _deposit(l1_url, USER, 3)
            assert _report(rollup, after)["status"] == "included"
            assert _sink(rollup) == 3
        finally:
            l1.close()
            rollup.close()
