"""Every kind of read stops at the time limit with geth's error, and the devnet goes on:
eth_call across chains (the far side loops), eth_estimateGas, eth_createAccessList,
debug_traceCall, xr_simulateBundle, eth_simulateV1. Against a real devnet with a 0.3 s limit (conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from tests.reads.conftest import HASTY_TIMEOUT
from tests.support import ChainRpc

A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
K0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
MAILBOX = "0x4200000000000000000000000000000000000100"
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]
LOOP = "0x5b5f56"  # JUMPDEST PUSH0 JUMP
LOOP_ADDRESS = "0x" + "e4" * 20
TIMEOUT_ERROR = {"code": -32000, "message": f"execution aborted (timeout = {HASTY_TIMEOUT * 1000:g}ms)"}


@pytest.fixture(scope="module")
def loops(hasty: ChainRpc) -> ChainRpc:
    for chain_id in (901, 902):
        hasty.ok(chain_id, "anvil_setCode", [LOOP_ADDRESS, LOOP])
    return hasty


def _error(rpc: ChainRpc, method: str, params: list[Any]) -> dict[str, Any]:
    error = rpc.err(901, method, params)
    assert rpc.ok(901, "eth_chainId") == hex(901)  # and the devnet still answers
    return error


def test_a_cross_rollup_call_is_bounded_by_the_same_deadline(loops: ChainRpc) -> None:
    """The call on 901 needs 902's answer: the simulation on 902's scratch builder loops
    there until the request's deadline."""
    data = XCALL + encode(["uint256", "address", "bytes"], [902, LOOP_ADDRESS, b""])
    error = _error(loops, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    assert error == TIMEOUT_ERROR


@pytest.mark.parametrize("method", ["eth_call", "eth_estimateGas", "eth_createAccessList", "debug_traceCall"])
def test_each_read_stops_at_the_time_limit(loops: ChainRpc, method: str) -> None:
    call = {"from": A0, "to": LOOP_ADDRESS, "gas": hex(30_000_000)}
    assert _error(loops, method, [call, "latest"]) == TIMEOUT_ERROR


def test_a_bundle_simulation_stops_at_the_time_limit(loops: ChainRpc) -> None:
    nonce = int(loops.ok(901, "eth_getTransactionCount", [A0, "pending"]), 16)
    signed = Account.sign_transaction({"chainId": 901, "nonce": nonce, "to": to_checksum_address(LOOP_ADDRESS),
                                       "value": 0, "gas": 16_000_000, "maxFeePerGas": 10**11,
                                       "maxPriorityFeePerGas": 10**9, "type": 2}, K0)
    leg = "0x" + bytes(signed.raw_transaction).hex()
    assert _error(loops, "xr_simulateBundle", [{"txs": [leg]}]) == TIMEOUT_ERROR
    assert int(loops.ok(901, "eth_getTransactionCount", [A0, "pending"]), 16) == nonce  # nothing was sent


def test_a_block_simulation_stops_at_the_time_limit(loops: ChainRpc) -> None:
    """eth_simulateV1 is one read: its blocks share the request's deadline."""
    call = {"from": A0, "to": LOOP_ADDRESS, "gas": hex(10_000_000)}
    blocks = [{"calls": [call]}, {"calls": [call]}]
    assert _error(loops, "eth_simulateV1", [{"blockStateCalls": blocks}, "latest"]) == TIMEOUT_ERROR
