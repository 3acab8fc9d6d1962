"""Faults from the command line, and a reorg that survives a restart: the ``xrollup`` CLI in a
subprocess with ``--fault`` flags and a ``--state-dir``, then ``xrollup replay`` of that log."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from shared_sequencer.faults import Censor, Delay, Down, Halt, parse_fault_flag
from tests.sequencer.seq_helpers import ADDRS, CliDevnet, run_replay, transfer, xrollup_cmd


def test_flag_grammar() -> None:
    sender, contract = ADDRS[1].lower(), ADDRS[2].lower()
    assert parse_fault_flag("down") == Down()
    assert parse_fault_flag("halt:902") == Halt(902)
    censor = parse_fault_flag(f"censor:{sender},to={contract},903")
    assert censor == Censor(frozenset({bytes.fromhex(sender[2:])}), frozenset({bytes.fromhex(contract[2:])}),
                            frozenset({903}))
    assert parse_fault_flag("delay:902:3") == Delay(chains=frozenset({902}), superblocks=3)
    assert parse_fault_flag(f"delay:{sender}:10s") == Delay(senders=frozenset({bytes.fromhex(sender[2:])}), seconds=10)
    assert parse_fault_flag("delay:messages:5s") == Delay(messages=True, seconds=5)
    for bad in ("sleep", "halt:", "halt:x", "censor:", "delay:902", "delay:902:0", "down:1", "censor:0x12"):
        with pytest.raises(ValueError):
            parse_fault_flag(bad)


def test_cli_refuses_a_bad_fault() -> None:
    done = subprocess.run(xrollup_cmd("--fault", "halt:999", "--port", "0", "--admin.port", "0", "--silent"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "999" in done.stderr


def test_cli_starts_halted_and_a_reorg_survives_restart_and_replay(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with CliDevnet("--fault", "halt:902", "--fault", f"censor:{ADDRS[3]}", state_dir=state) as net:
        a, b = net.rpc(901), net.rpc(902)
        active = {f["kind"] for f in a.call("xr_faults")["active"]}
        assert active == {"halt", "censor"}
        on_b = b.call("eth_sendRawTransaction", transfer(902, 0, 0)[0])
        censored = a.call("eth_sendRawTransaction", transfer(901, 3, 0)[0])
        assert b.receipt(on_b) is None and a.receipt(censored) is None
        a.call("xr_clearFault", "halt")
        assert b.receipt(on_b)["status"] == "0x1"
        kept = [a.call("eth_sendRawTransaction", transfer(901, 1, n)[0]) for n in range(3)]
        head = a.superblock_height()
        result = a.call("xr_reorg", 2)
        assert result["fork"] == head - 2
        assert all(a.receipt(h)["status"] == "0x1" for h in kept)  # sequenced again
        after = {cid: net.rpc(cid).call("eth_getBlockByNumber", "latest", False)["hash"] for cid in (901, 902)}
        roots = [a.call("xr_getSuperblockByNumber", hex(n), False)["hash"] for n in range(a.superblock_height() + 1)]
        net.kill(signal.SIGTERM)
    with CliDevnet(state_dir=state) as again:
        a = again.rpc(901)
        assert [a.call("xr_getSuperblockByNumber", hex(n), False)["hash"] for n in range(len(roots))] == roots
        assert {cid: again.rpc(cid).call("eth_getBlockByNumber", "latest", False)["hash"] for cid in (901, 902)} == after
        reorgs = a.call("xr_faults")["reorgs"]
        assert len(reorgs) == 1 and reorgs[0]["fork"] == head - 2 and reorgs[0]["depth"] == 2
    done = run_replay(state)
    assert done.returncode == 0, done.stderr
    assert "replay OK" in done.stdout
