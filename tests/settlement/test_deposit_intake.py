"""Deposits through the sequencer's intake (``Sequencer.submit_deposits``), on a real server
read with web3.py and raw JSON-RPC: they land first in the next superblock, several rollups'
together, with OP's transaction and receipt JSON, and the log rebuilds them (``xrollup
replay``, and a restart from the state dir)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import HTTPProvider, Web3

from chains.deposits import Deposit, L1Origin, user_deposit_source_hash
from chains.errors import InvalidInput, UnknownChain
from chains.genesis import dev_accounts
from chains.txbuild import decode_raw
from tests.sequencer.seq_helpers import run_replay
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

ACCOUNTS = dev_accounts()
H = bytes.fromhex
L1_HASH = b"\x5a" * 32
ORIGIN = L1Origin(1234, 1_700_000_123, 7 * 10**9, L1_HASH, sequence_number=0, blob_base_fee=3)
L1_BLOCK = "0x4200000000000000000000000000000000000015"
FRESH = H("00000000000000000000000000000000000f4e54")


def _deposit(log_index: int, to: bytes | None, mint: int, value: int = 0, gas: int = 100_000,
             data: bytes = b"", sender: bytes = FRESH) -> Deposit:
    return Deposit(user_deposit_source_hash(L1_HASH, log_index), sender, to, mint, value, gas, False, data)


FAILING = _deposit(1, ACCOUNTS[1].address, mint=5, value=10**20, gas=30_000)  # value above balance + mint


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[DevnetThread, Path]]:
    state_dir = tmp_path / "state"
    thread = DevnetThread(DevnetConfig(chain_ids=(901, 902), port=0, admin_port=0, silent=True,
                                       state_dir=str(state_dir))).start()
    try:
        yield thread, state_dir
    finally:
        thread.stop()


def _w3(thread: DevnetThread, chain_id: int) -> Web3:
    return Web3(HTTPProvider(thread.urls[chain_id], request_kwargs={"timeout": 30}))


def _raw(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def test_deposits_land_first_in_one_superblock_with_ops_json(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    thread = DevnetThread(DevnetConfig(chain_ids=(901, 902), port=0, admin_port=0, silent=True,
                                       state_dir=str(state_dir))).start()
    try:
        roots = _deposit_scenario(thread)
    finally:
        thread.stop()
    result = run_replay(state_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replay OK" in result.stdout
    restarted = DevnetThread(DevnetConfig(chain_ids=(901, 902), port=0, admin_port=0, silent=True,
                                          state_dir=str(state_dir))).start()
    try:
        for cid in (901, 902):
            assert _raw(_w3(restarted, cid), "eth_getBlockByNumber", "latest", False)["stateRoot"] == roots[cid]
        receipt = _raw(_w3(restarted, 901), "eth_getTransactionReceipt", "0x" + FAILING.hash.hex())
        assert (receipt["type"], receipt["status"], receipt["depositNonce"]) == ("0x7e", "0x0", "0x1")
    finally:
        restarted.stop()


def _deposit_scenario(thread: DevnetThread) -> dict[int, str]:
    """Deposits to 901 (one failing) and 902 (a creation) queued in one tick with a user
    transaction; checks what web3.py and raw JSON-RPC read. Returns each chain's state root."""
    w3a, w3b = _w3(thread, 901), _w3(thread, 902)
    alice = Account.from_key(ACCOUNTS[0].private_key)
    user_tx = alice.sign_transaction({"chainId": 901, "nonce": 0, "to": Web3.to_checksum_address(FRESH), "value": 1, "gas": 21_000,
                                      "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})
    into_a = _deposit(0, ACCOUNTS[1].address, mint=10**18, value=10**17)
    failing = FAILING
    into_b = _deposit(2, None, mint=0, gas=200_000, data=H("600160005560016000f3"), sender=ACCOUNTS[2].address)

    def submit() -> dict[int, list[bytes]]:
        seq = thread.devnet.sequencer
        # a user transaction first, in the same tick: the deposits still come first in the block
        seq.submit(901, decode_raw(bytes(user_tx.raw_transaction)))
        return seq.submit_deposits({901: [into_a, failing], 902: [into_b]}, ORIGIN)

    hashes = thread.run(submit)
    user_receipt = w3a.eth.wait_for_transaction_receipt(user_tx.hash, timeout=30)
    assert user_receipt["transactionIndex"] == 2
    assert hashes == {901: [into_a.hash, failing.hash], 902: [into_b.hash]}

    receipt_a = w3a.eth.get_transaction_receipt(into_a.hash)
    receipt_f = w3a.eth.get_transaction_receipt(failing.hash)
    receipt_b = w3b.eth.get_transaction_receipt(into_b.hash)
    assert (receipt_a["transactionIndex"], receipt_f["transactionIndex"]) == (0, 1)
    assert receipt_a["status"] == 1 and receipt_f["status"] == 0 and receipt_b["status"] == 1
    assert receipt_b["contractAddress"] is not None
    raw_receipt = _raw(w3a, "eth_getTransactionReceipt", "0x" + failing.hash.hex())
    assert raw_receipt["depositNonce"] == "0x1" and raw_receipt["depositReceiptVersion"] == "0x1"
    assert raw_receipt["type"] == "0x7e" and raw_receipt["effectiveGasPrice"] == "0x0"
    assert raw_receipt["gasUsed"] == hex(30_000)
    # the deposits of both rollups are in one superblock
    blocks = {int(b["chainId"], 16): b for b in _raw(w3a, "xr_getSuperblockByNumber",
                                                    hex(_superblock_of(w3a, receipt_a)), True)["blocks"]}
    assert "0x" + into_b.hash.hex() in blocks[902]["transactions"]

    tx = _raw(w3a, "eth_getTransactionByHash", "0x" + into_a.hash.hex())
    assert tx["type"] == "0x7e" and tx["sourceHash"] == "0x" + into_a.source_hash.hex()
    assert tx["mint"] == hex(10**18) and tx["value"] == hex(10**17) and tx["nonce"] == "0x0"
    assert (tx["v"], tx["r"], tx["s"], tx["gasPrice"]) == ("0x0", "0x0", "0x0", "0x0")
    assert "yParity" not in tx and "isSystemTx" not in tx and "chainId" not in tx
    assert tx["from"] == "0x" + FRESH.hex() and tx["depositReceiptVersion"] == "0x1"
    assert _raw(w3a, "eth_getTransactionByHash", "0x" + failing.hash.hex())["nonce"] == "0x1"
    assert _raw(w3a, "eth_getRawTransactionByHash", "0x" + into_a.hash.hex()) == "0x" + into_a.encode().hex()
    block = w3a.eth.get_block(receipt_a["blockNumber"], full_transactions=True)
    assert block["transactions"][0]["hash"] == into_a.hash
    hashes_only = _raw(w3a, "eth_getBlockByNumber", hex(receipt_a["blockNumber"]), False)
    assert hashes_only["transactions"][:2] == ["0x" + into_a.hash.hex(), "0x" + failing.hash.hex()]
    assert int(hashes_only["size"], 16) > 0
    history = _raw(w3a, "eth_feeHistory", "0x1", hex(receipt_a["blockNumber"]), [0, 50, 100])
    assert all(not tip.startswith("-") for tip in history["reward"][0])  # a deposit tips nothing
    # the mint is kept by the failed deposit; no gas was bought
    assert w3a.eth.get_balance(Web3.to_checksum_address(FRESH)) >= 10**18 - 10**17 + 5
    trace = _raw(w3a, "debug_traceTransaction", "0x" + into_a.hash.hex(), {"tracer": "callTracer"})
    assert trace["from"] == "0x" + FRESH.hex() and int(trace["value"], 16) == 10**17
    # L1Block holds the L1 origin on both rollups
    number = keccak(text="number()")[:4]
    for w3 in (w3a, w3b):
        assert int(w3.eth.call({"to": L1_BLOCK, "data": "0x" + number.hex()}).hex(), 16) == 1234

    return {cid: _raw(w, "eth_getBlockByNumber", "latest", False)["stateRoot"] for cid, w in ((901, w3a), (902, w3b))}


def _superblock_of(w3: Web3, receipt: Any) -> int:
    block = _raw(w3, "eth_getBlockByNumber", hex(receipt["blockNumber"]), False)
    for number in range(1, 1 + int(_raw(w3, "xr_getSuperblockByNumber", "latest", False)["number"], 16)):
        superblock = _raw(w3, "xr_getSuperblockByNumber", hex(number), False)
        if any(b["hash"] == block["hash"] for b in superblock["blocks"]):
            return number
    raise AssertionError("no superblock holds the block")


def test_intake_refuses_what_could_never_land(served: tuple[DevnetThread, Path]) -> None:
    thread, _ = served
    seq = thread.devnet.sequencer
    with pytest.raises(UnknownChain):
        thread.run(lambda: seq.submit_deposits({999: [_deposit(0, FRESH, 1)]}))
    with pytest.raises(InvalidInput):
        thread.run(lambda: seq.submit_deposits({901: [_deposit(0, FRESH, 1, gas=10**9)]}))
    assert thread.run(lambda: dict(seq.deposits)) == {}


def test_manual_mining_waits_and_revert_forgets_queued_deposits() -> None:
    thread = DevnetThread(DevnetConfig(chain_ids=(901, 902), port=0, admin_port=0, silent=True,
                                       no_mining=True)).start()
    try:
        seq = thread.devnet.sequencer
        w3 = _w3(thread, 901)
        snap = _raw(w3, "evm_snapshot")
        queued = _deposit(7, FRESH, mint=10**18, value=1, gas=30_000, sender=ACCOUNTS[5].address)
        thread.run(lambda: seq.submit_deposits({901: [queued]}, ORIGIN))
        assert _raw(w3, "eth_getTransactionReceipt", "0x" + queued.hash.hex()) is None  # manual: nothing mined
        assert _raw(w3, "evm_revert", snap) is True
        assert thread.run(lambda: (dict(seq.deposits), dict(seq.l1_origins))) == ({}, {})
        thread.run(lambda: seq.submit_deposits({901: [queued]}, ORIGIN))
        _raw(w3, "evm_mine")
        receipt = _raw(w3, "eth_getTransactionReceipt", "0x" + queued.hash.hex())
        assert receipt["status"] == "0x1" and receipt["transactionIndex"] == "0x0"
        assert thread.run(lambda: (dict(seq.deposits), dict(seq.l1_origins))) == ({}, {})
    finally:
        thread.stop()
