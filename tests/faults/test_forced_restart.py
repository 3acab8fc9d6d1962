"""The sequencing window's bookkeeping survives a restart, a dump and a load: xr_getForcedInclusion
answers for deposits sent through the L1 portal and included before a restart from --state-dir
(or before anvil_dumpState, loaded into another devnet) exactly as it did before, by the sequencer
or by force, with the hand-off; a log written before the window records replays as ever."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from chains.errors import XRollupError
from settlement.contracts import portal_address
from shared_sequencer.log import HEAD_FILE, LOG_FILE
from shared_sequencer.records import ZERO_HASH, seal
from tests.support import Rpc, served

WINDOW = 2
USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
PAYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # dev account 0
SINK = to_checksum_address("0x00000000000000000000000000000000000f0e1d")
PORTAL = load_artifact("OptimismPortal")["abi"]


def _config(state_dir: Path | None = None) -> dict[str, Any]:
    # the L1 makes blocks only when told (evm_mine on its endpoint)
    return {"l1": True, "l1_block_time": 3600, "admin_port": 0, "sequencing_window": WINDOW,
            **({"state_dir": str(state_dir)} if state_dir is not None else {})}


def _deposit(l1_url: str, sender: str, value: int) -> str:
    """``sender`` sends ``value`` wei to SINK on 902 through 902's portal; returns the L1 tx hash."""
    w3 = Web3(Web3.HTTPProvider(l1_url))
    portal = w3.eth.contract(address=to_checksum_address(portal_address(902)), abi=PORTAL)
    tx_hash = portal.functions.depositTransaction(SINK, value, 100_000, False, b"").transact({"from": sender})
    assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    return tx_hash.to_0x_hex()


def _reports(rollup: Rpc, l1_txs: list[str]) -> list[dict[str, Any]]:
    """Each L1 transaction's deposit report, without the L1 head (it moves on)."""
    out = []
    for l1_tx in l1_txs:
        report = rollup.call("xr_getForcedInclusion", l1_tx)
        assert report is not None
        (deposit,) = report["deposits"]
        out.append(deposit)
    return out


def _sequenced_and_forced(l1: Rpc, l1_url: str, rollup: Rpc) -> list[str]:
    """A deposit the sequencer takes at once, and one it censors that is forced at its deadline,
    with a transfer to the censored user in between (the hand-off). Returns the L1 tx hashes."""
    plain = _deposit(l1_url, PAYER, 5)
    fault = rollup.call("xr_setFault", {"kind": "censor", "senders": [USER]})
    censored = _deposit(l1_url, USER, 7)
    rollup.call("eth_sendTransaction", {"from": PAYER, "to": USER, "value": "0x3"})
    for _ in range(WINDOW):
        l1.call("evm_mine")
    rollup.call("xr_clearFault", fault["id"])
    return [plain, censored]


def _reseal(state: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Apply ``change`` to every record of the log in ``state`` and seal them again (as the
    log would have been written so), without the head marker."""
    prev, lines = ZERO_HASH, []
    for line in (state / LOG_FILE).read_text().splitlines():
        entry = json.loads(line)
        del entry["prev"], entry["h"]
        change(entry)
        text, prev = seal(prev, entry)
        lines.append(text)
    (state / LOG_FILE).write_text("\n".join(lines) + "\n")
    (state / HEAD_FILE).unlink()


def _first_run(state: Path) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """A devnet on ``state``: one deposit taken by the sequencer and one forced. Returns their
    L1 transactions, their xr_getForcedInclusion reports and xr_faults' forced list."""
    with served((901, 902), **_config(state)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1, rollup = Rpc(dt.devnet.l1.url), Rpc(dt.urls[902])
        try:
            l1_txs = _sequenced_and_forced(l1, dt.devnet.l1.url, rollup)
            return l1_txs, _reports(rollup, l1_txs), rollup.call("xr_faults")["forced"]
        finally:
            l1.close()
            rollup.close()


def test_window_survives_a_restart_from_the_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "state"
    l1_txs, before, forced_before = _first_run(state)
    sequenced, forced = before
    assert (sequenced["status"], sequenced["includedBy"]) == ("included", "sequencer")
    assert (forced["status"], forced["includedBy"]) == ("included", "force")
    assert [h["to"] for h in forced["handoff"]] == [USER.lower()]
    assert forced_before and forced_before[0]["hash"] == forced["depositHash"]
    # the log's superblock records carry the deposits' windows
    records = [json.loads(line) for line in (state / LOG_FILE).read_text().splitlines()]
    logged = [d for r in records if r["t"] == "superblock" for d in r.get("deposits", [])]
    assert [(d["hash"], d["forced"]) for d in logged] == [(sequenced["depositHash"], False),
                                                         (forced["depositHash"], True)]

    with served((901, 902), **_config(state)) as dt:
        rollup = Rpc(dt.urls[902])
        try:
            assert _reports(rollup, l1_txs) == before
            assert rollup.call("xr_faults")["forced"] == forced_before
            # and a dump of the restarted devnet, loaded into another one, answers the same
            dump = rollup.call("anvil_dumpState")
        finally:
            rollup.close()

    with served((901, 902), **_config()) as other:
        rollup = Rpc(other.urls[902])
        try:
            assert rollup.call("xr_getForcedInclusion", l1_txs[0]) is None  # a fresh L1 has none of them
            assert rollup.call("anvil_loadState", dump) is True
            assert _reports(rollup, l1_txs) == before
        finally:
            rollup.close()


def test_a_log_without_window_records_still_replays(tmp_path: Path) -> None:
    """A log written before the window records (the same superblocks without ``deposits``,
    sealed again) restarts as it did then: the deposits are there, how they came is not known."""
    state = tmp_path / "state"
    l1_txs, before, _ = _first_run(state)
    _reseal(state, lambda entry: entry.pop("deposits", None))
    with served((901, 902), **_config(state)) as dt:
        rollup = Rpc(dt.urls[902])
        try:
            after = _reports(rollup, l1_txs)
        finally:
            rollup.close()
    for old, new in zip(before, after, strict=True):
        assert (new["status"], new["rollupBlock"], new["superblock"]) == ("included", old["rollupBlock"],
                                                                         old["superblock"])
        assert new["includedBy"] is None and new["l1HeadAtInclusion"] is None


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d.update(forced="yes"), "malformed 'deposits' field"),
    (lambda d: d.update(hash="0x" + "ab" * 32), "deposit window mismatch"),
])
def test_a_window_record_that_does_not_match_is_refused(tmp_path: Path, change: Callable[[dict[str, Any]], object],
                                                        reason: str) -> None:
    state = tmp_path / "state"
    with served((901, 902), **_config(state)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        _deposit(dt.devnet.l1.url, PAYER, 5)

    def tamper(entry: dict[str, Any]) -> None:
        for item in entry.get("deposits", []):
            change(item)

    _reseal(state, tamper)
    with pytest.raises(XRollupError, match=reason):
        served((901, 902), **_config(state))
