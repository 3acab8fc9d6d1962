"""A damaged superblock log (--state-dir), with the real ``xrollup`` command.

A module fixture runs a devnet that writes every kind of record (superblocks, a bundle, a
cross-rollup error, balance and code edits, an evm_revert truncation) and stops it. Each test
damages a copy of that log the way a disk, an editor or a crash would, then starts ``xrollup``
on it: the damage is either cut with a warning naming the file, line, offset and what was cut
(and the devnet serves the last valid superblock), or start-up is refused with ``file:line:
reason``, exit code 1 and no traceback. A property test damages the log at random (in process,
for speed): the devnet either refuses it or serves exactly the state of a prefix of the log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from chains.errors import XRollupError
from shared_sequencer.log import HEAD_FILE, LOG_FILE
from tests.sequencer.log_forge import read_records, write_resealed
from tests.sequencer.seq_helpers import (
    ADDRS,
    ROOT,
    CliDevnet,
    Rpc,
    free_port_block,
    run_replay,
    sign,
    transfer,
    xrollup_cmd,
)
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

CHAINS = (901, 902)
ETH = 10**18
MAILBOX = "0x4200000000000000000000000000000000000100"
REVERTER = "0x" + "ab" * 20
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]
EDITED_BALANCE = 12_345 * ETH


@dataclass
class Pristine:
    state_dir: Path
    superblocks: dict[int, str] = field(default_factory=dict)  # number -> hash
    xcall_tx: str = ""
    bundle: str = ""

    @property
    def height(self) -> int:
        return max(self.superblocks)


def _mined(client: Rpc, raw_hash: tuple[str, str]) -> dict[str, Any]:
    raw, tx_hash = raw_hash
    client.call("eth_sendRawTransaction", raw)
    receipt = client.receipt(tx_hash)
    assert receipt is not None
    return receipt


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pristine]:
    state_dir = tmp_path_factory.mktemp("xr-damage") / "state"
    node = CliDevnet(chains=CHAINS, state_dir=state_dir)
    run = Pristine(state_dir)
    try:
        a, b = node.rpc(901), node.rpc(902)
        for n in range(3):
            _mined(a, transfer(901, 1, n, value=n + 1))
        _mined(b, transfer(902, 2, 0))
        assert a.call("anvil_setBalance", ADDRS[7], hex(EDITED_BALANCE)) is None
        assert b.call("anvil_setCode", REVERTER, "0x60006000fd") is None  # always reverts
        data = "0x" + (XCALL + abi_encode(["uint256", "address", "bytes"], [902, REVERTER, b""])).hex()
        receipt = _mined(a, sign(901, 3, 0, to=MAILBOX, data=data, gas=500_000))
        assert receipt["status"] == "0x0" and "xrollupError" in receipt, receipt
        run.xcall_tx = receipt["transactionHash"]
        status = b.call("xr_sendBundle", {"txs": [transfer(901, 4, 0)[0], transfer(902, 4, 0)[0]]})
        run.bundle = status["bundleHash"]
        snap = a.call("evm_snapshot")
        _mined(a, transfer(901, 5, 0))
        assert a.call("evm_revert", snap) is True
        _mined(b, transfer(902, 2, 1))
        _mined(a, transfer(901, 1, 3))
        for n in range(a.superblock_height() + 1):
            run.superblocks[n] = a.call("xr_getSuperblockByNumber", hex(n), False)["hash"]
        a.close()
        b.close()
    finally:
        node.kill(signal.SIGTERM)
    kinds = [r["t"] for r in read_records(state_dir)]
    assert {"genesis", "superblock", "edit", "truncate"} <= set(kinds), kinds
    yield run


# -- helpers ------------------------------------------------------------------------------------------


def copy_of(run: Pristine, tmp_path: Path) -> Path:
    target = tmp_path / "state"
    shutil.copytree(run.state_dir, target)
    return target


def lines_of(state_dir: Path) -> list[bytes]:
    """The log's lines, each with its newline."""
    return (state_dir / LOG_FILE).read_bytes().splitlines(keepends=True)


def line_of(state_dir: Path, predicate: Any) -> int:
    """The 1-based line number of the first record ``predicate`` accepts."""
    for number, line in enumerate(lines_of(state_dir), 1):
        if predicate(json.loads(line)):
            return number
    raise AssertionError("no such record")


def edit_line(state_dir: Path, number: int, old: bytes, new: bytes) -> None:
    lines = lines_of(state_dir)
    assert old in lines[number - 1], (old, lines[number - 1][:200])
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    (state_dir / LOG_FILE).write_bytes(b"".join(lines))


def refused(state_dir: Path) -> str:
    """Start ``xrollup`` on ``state_dir``; it must exit 1 without a traceback. Returns stderr."""
    port = free_port_block(len(CHAINS))
    done = subprocess.run(xrollup_cmd("--chains", "901,902", "--port", str(port), "--admin.port", "0", "--l1.port", "0", "--silent", "--state-dir",
                                      str(state_dir)), cwd=ROOT, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert done.stderr.startswith("error: "), output[-3000:]
    return done.stderr


def serve(state_dir: Path) -> tuple[CliDevnet, Rpc]:
    node = CliDevnet(chains=CHAINS, state_dir=state_dir)
    return node, node.rpc(901)


def stop(node: CliDevnet, client: Rpc) -> str:
    """Stop the devnet cleanly; its stderr."""
    client.close()
    node.proc.send_signal(signal.SIGTERM)
    _, err = node.proc.communicate(timeout=30)
    assert node.proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    return err


def assert_serves_prefix(client: Rpc, run: Pristine, height: int) -> None:
    assert client.superblock_height() == height
    for n in range(height + 1):
        assert client.call("xr_getSuperblockByNumber", hex(n), False)["hash"] == run.superblocks[n], n


def restart_cleanly(state_dir: Path, run: Pristine, height: int) -> None:
    """A second restart on what the first left: no warning, the same height, and it goes on."""
    node, client = serve(state_dir)
    try:
        assert_serves_prefix(client, run, height)
        nonce = client.nonce(ADDRS[6], "pending")
        receipt = _mined(client, transfer(901, 6, nonce))
        assert client.superblock_of(receipt) == height + 1
    finally:
        err = stop(node, client)
    assert "cut" not in err, err
    result = run_replay(state_dir)
    assert result.returncode == 0 and "replay OK" in result.stdout, result.stderr


# -- recovered: the damage is a tail no valid record follows ----------------------------------------------


def test_appended_garbage_is_cut_with_a_warning_and_the_next_restart_works(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    path = state_dir / LOG_FILE
    size, count = path.stat().st_size, len(lines_of(state_dir))
    garbage = b'garbage\n{"t": "superblock"}\n'
    with open(path, "ab") as f:
        f.write(garbage)
    checked = run_replay(state_dir)  # reads, warns, and leaves the file alone
    assert checked.returncode == 0 and "replay OK" in checked.stdout, checked.stderr
    assert f"warning: {path}:{count + 1}: cut {len(garbage)} bytes" in checked.stderr, checked.stderr
    assert path.stat().st_size == size + len(garbage)
    node, client = serve(state_dir)
    try:
        assert_serves_prefix(client, pristine, pristine.height)
        balance = client.balance(ADDRS[7])
    finally:
        err = stop(node, client)
    assert balance == EDITED_BALANCE
    assert f"{path}:{count + 1}: cut {len(garbage)} bytes (2 lines) from byte offset {size} to the end" in err, err
    assert "not a log record" in err and f"goes on from superblock {pristine.height}" in err, err
    assert path.stat().st_size == size
    restart_cleanly(state_dir, pristine, pristine.height)


def test_torn_last_write_is_cut_with_a_warning(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    path = state_dir / LOG_FILE
    lines = lines_of(state_dir)
    assert json.loads(lines[-1])["t"] == "superblock"
    keep = b"".join(lines[:-1])
    path.write_bytes(keep + lines[-1][: len(lines[-1]) // 2])
    node, client = serve(state_dir)
    try:
        assert_serves_prefix(client, pristine, pristine.height - 1)
    finally:
        err = stop(node, client)
    assert f"{path}:{len(lines)}: cut {len(lines[-1]) // 2} bytes (1 line) from byte offset {len(keep)}" in err, err
    assert "an incomplete record" in err, err
    restart_cleanly(state_dir, pristine, pristine.height - 1)


def test_an_empty_log_file_is_a_fresh_devnet_that_writes_its_genesis(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / LOG_FILE).write_bytes(b"")
    node, client = serve(state_dir)
    try:
        assert client.superblock_height() == 0
        _mined(client, transfer(901, 1, 0))
    finally:
        stop(node, client)
    assert [r["t"] for r in read_records(state_dir)] == ["genesis", "superblock"]
    node, client = serve(state_dir)
    try:
        assert client.superblock_height() == 1
        assert client.nonce(ADDRS[1]) == 1
    finally:
        stop(node, client)


# -- refused: damage inside the log, or acknowledged records gone -------------------------------------------


def test_a_changed_edit_record_is_refused(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    number = line_of(state_dir, lambda r: r["t"] == "edit" and r["kind"] == "balance")
    edit_line(state_dir, number, b'"value":12345', b'"value":99345')
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:{number}: the record does not match its hash" in err, err
    assert "damage inside the log" in err


def test_a_changed_bundle_record_is_refused(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    number = line_of(state_dir, lambda r: r["t"] == "superblock" and r["bundleLegs"])
    edit_line(state_dir, number, b'[[901,"0x', b'[[902,"0x')  # the leg now claims the other chain
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:{number}: the record does not match its hash" in err, err


def test_a_changed_cross_rollup_error_is_refused(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    number = line_of(state_dir, lambda r: r["t"] == "superblock" and r["xrollupErrors"])
    record = json.loads(lines_of(state_dir)[number - 1])
    [(_, reason)] = record["xrollupErrors"].values()
    edit_line(state_dir, number, json.dumps(reason).encode(), b'"all fine"')
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:{number}: the record does not match its hash" in err, err


def test_a_forged_bundle_leg_is_refused_by_replay(pristine: Pristine, tmp_path: Path) -> None:
    """Hashes recomputed: replay itself checks that each leg is a transaction of its block."""
    state_dir = copy_of(pristine, tmp_path)
    records = read_records(state_dir)
    forged = next(r for r in records if r["t"] == "superblock" and r["bundleLegs"])
    [legs] = forged["bundleLegs"].values()
    legs[0][1] = "0x" + "77" * 32
    write_resealed(state_dir, records)
    err = refused(state_dir)
    assert f"chain 901 block {forged['number']}: bundle leg mismatch" in err, err


def test_a_record_with_a_missing_field_is_refused_with_its_line(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    number = line_of(state_dir, lambda r: r["t"] == "superblock" and r["number"] == 2)
    lines = lines_of(state_dir)
    record = json.loads(lines[number - 1])
    del record["timestamp"]
    lines[number - 1] = json.dumps(record, separators=(",", ":")).encode() + b"\n"
    (state_dir / LOG_FILE).write_bytes(b"".join(lines))
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:{number}: the record does not match its hash" in err, err
    assert "KeyError" not in err
    # the same record sealed as if valid: the schema names the field
    records = read_records(state_dir)
    assert "timestamp" not in records[number - 1]
    write_resealed(state_dir, records)
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:{number}: superblock record has no 'timestamp' field" in err, err


def test_a_log_cut_at_a_record_boundary_is_refused_naming_both_heights(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    lines = lines_of(state_dir)
    half = len(lines) // 2
    kept = read_records(state_dir)[:half]
    height = max((r["number"] for r in kept if r["t"] == "superblock"), default=0)
    (state_dir / LOG_FILE).write_bytes(b"".join(lines[:half]))
    err = refused(state_dir)
    assert (f"{state_dir / LOG_FILE}: the log ends at superblock {height} (line {half}), but {HEAD_FILE} says it "
            f"reached superblock {pristine.height} (line {len(lines)})") in err, err


def test_a_log_cut_mid_record_is_refused_naming_both_heights(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    data = (state_dir / LOG_FILE).read_bytes()
    (state_dir / LOG_FILE).write_bytes(data[: len(data) // 2])
    err = refused(state_dir)
    assert f"but {HEAD_FILE} says it reached superblock {pristine.height}" in err, err
    assert "an incomplete record" not in err


def test_an_emptied_log_with_a_head_marker_is_refused(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    (state_dir / LOG_FILE).write_bytes(b"")
    err = refused(state_dir)
    assert f"the log is empty, but {HEAD_FILE} says it reached superblock {pristine.height}" in err, err


def test_a_file_that_is_not_a_log_is_refused_and_left_alone(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / LOG_FILE).write_bytes(b"hello\nworld\n")
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:1: not an xrollup superblock log" in err, err
    assert (state_dir / LOG_FILE).read_bytes() == b"hello\nworld\n"


def test_a_log_of_the_previous_format_is_refused_naming_both_versions(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    genesis = read_records(pristine.state_dir)[0]
    old = json.dumps(dict(genesis, version=1), separators=(",", ":"))
    (state_dir / LOG_FILE).write_text(old + "\n")
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:1: log format version 1, this xrollup reads version 3" in err, err


def test_a_version_2_log_is_refused_naming_both_versions(pristine: Pristine, tmp_path: Path) -> None:
    """Version 2 (every superblock held every chain) is sealed like version 3: its genesis
    record says which it is."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    records = read_records(pristine.state_dir)
    records[0]["version"] = 2
    write_resealed(state_dir, records)
    err = refused(state_dir)
    assert f"{state_dir / LOG_FILE}:1: log format version 2, this xrollup reads version 3" in err, err


def test_replay_command_refuses_damage_with_file_and_line(pristine: Pristine, tmp_path: Path) -> None:
    state_dir = copy_of(pristine, tmp_path)
    number = line_of(state_dir, lambda r: r["t"] == "edit" and r["kind"] == "code")
    edit_line(state_dir, number, b"60006000fd", b"60016000fd")
    result = run_replay(state_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"replay FAILED: {state_dir / LOG_FILE}:{number}: the record does not match its hash" in result.stderr


# -- random damage: refused, or the state of a prefix of the log ---------------------------------------

Fingerprint = tuple[Any, ...]


def fingerprint_of(state_dir: Path) -> Fingerprint:
    """What the devnet started on ``state_dir`` serves: superblocks, head states (edits
    included), cross-rollup errors and bundle statuses. Raises XRollupError when refused."""
    devnet = Devnet(DevnetConfig(silent=True, chain_ids=CHAINS, state_dir=str(state_dir)))
    try:
        seq = devnet.sequencer
        return (tuple(sb.hash for sb in seq.superblocks),
                tuple(sorted((cid, chain.head_state_root) for cid, chain in seq.chains.items())),
                tuple(sorted(seq.xcall_errors.items())),
                tuple(sorted((h, s.state) for h, s in seq.bundles.statuses.items())))
    finally:
        devnet.sequencer.log.close()


@pytest.fixture(scope="module")
def prefixes(pristine: Pristine, tmp_path_factory: pytest.TempPathFactory) -> set[Fingerprint]:
    """The state of each prefix of the pristine log, one record or more (a log with no head
    marker, read by a devnet of its own)."""
    lines = lines_of(pristine.state_dir)
    out = set()
    for count in range(1, len(lines) + 1):
        state_dir = tmp_path_factory.mktemp("xr-prefix")
        (state_dir / LOG_FILE).write_bytes(b"".join(lines[:count]))
        out.add(fingerprint_of(state_dir))
    return out


damage_st = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**32), st.integers(1, 255)),
    st.tuples(st.just("delete"), st.integers(0, 2**32), st.integers(1, 300)),
    st.tuples(st.just("insert"), st.integers(0, 2**32), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("overwrite"), st.integers(0, 2**32), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("truncate"), st.integers(0, 2**32), st.just(b"")),
    st.tuples(st.just("append"), st.just(0), st.binary(min_size=1, max_size=64)),
)


def damaged(data: bytes, damage: tuple[str, int, Any]) -> bytes:
    kind, at, arg = damage
    if kind == "append":
        return data + arg
    # half of the offsets fall in the last record, where a crash or an append would strike
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    offset = last + at % (len(data) - last) if at % 2 else at % len(data)
    if kind == "flip":
        return data[:offset] + bytes([data[offset] ^ arg]) + data[offset + 1:]
    if kind == "delete":
        return data[:offset] + data[offset + arg:]
    if kind == "insert":
        return data[:offset] + arg + data[offset:]
    if kind == "overwrite":
        return data[:offset] + arg + data[offset + len(arg):]
    return data[:offset]


@settings(max_examples=int(os.environ.get("XR_PROPERTY_EXAMPLES", "25")), deadline=None, database=None,
          derandomize=os.environ.get("XR_HYPOTHESIS_RANDOM") != "1", print_blob=True)
@given(damage=damage_st)
def test_random_damage_is_refused_or_serves_a_prefix_of_the_log(pristine: Pristine, prefixes: set[Fingerprint],
                                                                damage: tuple[str, int, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="xr-damage-") as tmp:
        state_dir = Path(tmp) / "state"
        shutil.copytree(pristine.state_dir, state_dir)
        path = state_dir / LOG_FILE
        data = damaged(path.read_bytes(), damage)
        note(f"damage {damage[0]}: {len(data)} bytes")
        path.write_bytes(data)
        try:
            served = fingerprint_of(state_dir)
        except XRollupError as exc:  # refused, with a reason (never a Python exception)
            note(str(exc))
            event("refused")
            return
        event("served a shorter prefix" if len(served[0]) <= pristine.height else "served every superblock")
        assert served in prefixes, "the devnet serves a state no prefix of the log had"
        assert fingerprint_of(state_dir) == served, "a second start serves something else"
