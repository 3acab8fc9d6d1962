"""Reads are bounded and do not block the writer: the time limit, the gas cap, list caps and
the evm_mine cap, against a real devnet (see conftest.py for its limits)."""

from __future__ import annotations

import threading
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from tests.reads.conftest import BOUNDED_TIMEOUT, GAS_CAP
from tests.support import ChainRpc

A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
LOOP = "0x5b5f56"  # JUMPDEST PUSH0 JUMP: never ends
GAS_LEFT = "0x5a5f5260205ff3"  # GAS PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: returns the gas it has
INVALID_PARAMS = -32602
SERVER_ERROR = -32000


def _set_code(rpc: ChainRpc, chain_id: int, tag: int, code: str) -> str:
    address = "0x" + f"{tag:02x}" * 20
    rpc.ok(chain_id, "anvil_setCode", [address, code])
    return address


def test_an_endless_call_times_out_while_others_are_served(bounded: ChainRpc) -> None:
    """While an eth_call of an endless loop runs, a transfer on the same chain is mined and
    its receipt arrives, and other reads on every chain are answered; the call then ends
    with geth's timeout error."""
    loop = _set_code(bounded, 901, 0xE1, LOOP)
    reply: dict[str, Any] = {}
    caller = ChainRpc(bounded.urls, timeout=60)

    def endless() -> None:
        reply.update(caller(901, "eth_call", [{"to": loop, "gas": hex(2**63)}, "latest"]))

    running = threading.Thread(target=endless)
    running.start()
    try:
        tx_hash = bounded.ok(901, "eth_sendTransaction", [{"from": A0, "to": "0x" + "ab" * 20, "value": "0x1"}])
        receipt = bounded.ok(901, "eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None and receipt["status"] == "0x1"
        assert int(bounded.ok(902, "eth_blockNumber"), 16) >= 0
        assert int(bounded.ok(901, "eth_getBalance", ["0x" + "ab" * 20, "latest"]), 16) >= 1
        still_running = running.is_alive()
    finally:
        running.join(timeout=60)
        caller.close()
    assert still_running, "the transfer's receipt should arrive while the endless call still runs"
    assert reply["error"] == {"code": SERVER_ERROR, "message": f"execution aborted (timeout = {BOUNDED_TIMEOUT:g}s)"}


def test_gas_above_the_cap_is_lowered_to_it(bounded: ChainRpc) -> None:
    probe = _set_code(bounded, 901, 0xE2, GAS_LEFT)
    at_cap = int(bounded.ok(901, "eth_call", [{"to": probe, "gas": hex(2**63)}, "latest"]), 16)
    below = int(bounded.ok(901, "eth_call", [{"to": probe, "gas": hex(100_000)}, "latest"]), 16)
    # what is left after the intrinsic 21,000 and the GAS opcode's 2
    assert at_cap == GAS_CAP - 21_002
    assert below == 100_000 - 21_002
    estimate = int(bounded.ok(901, "eth_estimateGas", [{"from": A0, "to": "0x" + "ab" * 20, "gas": hex(2**63)}]), 16)
    assert estimate == 21_000


def test_fee_history_percentiles_are_capped(bounded: ChainRpc) -> None:
    hundred = [i * 1.0 for i in range(100)]
    history = bounded.ok(901, "eth_feeHistory", ["0x2", "latest", hundred])
    assert all(len(row) == 100 for row in history["reward"])
    error = bounded.err(901, "eth_feeHistory", ["0x2", "latest", hundred + [100.0]])
    assert error["code"] == INVALID_PARAMS
    assert "over the query limit 100" in error["message"]
    many_blocks = bounded.ok(901, "eth_feeHistory", [hex(100_000), "latest", []])
    assert len(many_blocks["gasUsedRatio"]) <= 1024


def test_log_queries_are_capped(bounded: ChainRpc) -> None:
    addresses = ["0x" + f"{i:040x}" for i in range(1_001)]
    assert bounded.ok(901, "eth_getLogs", [{"address": addresses[:1_000]}]) == []
    error = bounded.err(901, "eth_getLogs", [{"address": addresses}])
    assert (error["code"], "exceed max addresses" in error["message"]) == (INVALID_PARAMS, True)
    topic = "0x" + "00" * 32
    error = bounded.err(901, "eth_getLogs", [{"topics": [topic] * 5}])
    assert (error["code"], "exceed max topics" in error["message"]) == (INVALID_PARAMS, True)
    error = bounded.err(901, "eth_newFilter", [{"topics": [[topic] * 1_001]}])
    assert (error["code"], "exceed max topics" in error["message"]) == (INVALID_PARAMS, True)


def test_a_calls_access_list_is_capped(bounded: ChainRpc) -> None:
    key = "0x" + "00" * 32
    big = [{"address": "0x" + "cd" * 20, "storageKeys": [key] * 10_000}]
    error = bounded.err(901, "eth_call", [{"to": "0x" + "ab" * 20, "accessList": big}, "latest"])
    assert error["code"] == INVALID_PARAMS
    assert "at most 10000 addresses and storage keys" in error["message"]
    fits = [{"address": "0x" + "cd" * 20, "storageKeys": [key] * 9_999}]
    assert bounded.ok(901, "eth_call", [{"to": "0x" + "ab" * 20, "accessList": fits}, "latest"]) == "0x"


def test_a_bundle_has_at_most_100_legs(bounded: ChainRpc) -> None:
    raw = Account.sign_transaction({"chainId": 901, "nonce": 0, "to": to_checksum_address("0x" + "ab" * 20), "value": 1, "gas": 21_000,
                                    "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "type": 2},
                                   Account.create().key)
    leg = "0x" + bytes(raw.raw_transaction).hex()
    for method in ("xr_simulateBundle", "xr_sendBundle"):
        error = bounded.err(901, method, [{"txs": [leg] * 101}])
        assert error["code"] == INVALID_PARAMS
        assert "at most 100 transactions" in error["message"]


def test_evm_mine_is_capped_like_anvil_mine(bounded: ChainRpc) -> None:
    before = bounded.ok(901, "eth_blockNumber")
    for method, params in (("evm_mine", [{"blocks": hex(100_001)}]), ("anvil_mine", [hex(100_001)])):
        error = bounded.err(901, method, params)
        assert error["code"] == INVALID_PARAMS
        assert "at most 100000 blocks" in error["message"]
    assert bounded.ok(901, "eth_blockNumber") == before
    bounded.ok(901, "evm_mine", [{"blocks": "0x2"}])
    assert int(bounded.ok(901, "eth_blockNumber"), 16) == int(before, 16) + 2
