"""Admission against the real server: every transaction Prague calls invalid at inclusion is
refused by eth_sendRawTransaction with -32003 and geth's text, and nothing one sender submits
can stop the others' blocks.

A transaction that turns invalid between admission and inclusion (a dev method changed its
sender) is dropped from the pool with a log line, its receipt stays null, and the block goes
on without it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak

from tests.e2e.e2e_helpers import A1, A2, GWEI, K0, K1, K2, nonce, sign

MAX_INITCODE = 49_152
DELEGATION = "0xef0100" + "44" * 20


def _fund(rpc: Any, chain_id: int, address: str, wei: int = 10**20) -> None:
    rpc.ok(chain_id, "anvil_setBalance", [address, hex(wei)])


def _tx(chain_id: int, **fields: Any) -> dict[str, Any]:
    tx = {"type": 2, "chainId": chain_id, "nonce": 0, "gas": 21_000, "maxFeePerGas": 10 * GWEI,
          "maxPriorityFeePerGas": GWEI, "to": A1, "value": 1, "data": b""}
    tx.update(fields)
    return tx


def _fresh(rpc: Any, chain_id: int) -> Any:
    account = Account.create()
    _fund(rpc, chain_id, account.address)
    return account


def _refused(rpc: Any, chain_id: int, raw: str) -> str:
    error = rpc.err(chain_id, "eth_sendRawTransaction", [raw])
    assert error["code"] == -32003, error
    return str(error["message"])


def _mined(rpc: Any, chain_id: int, raw: str) -> dict[str, Any]:
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [raw])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt is not None, f"no receipt for {tx_hash}"
    return dict(receipt)


def _sign_typed(tx_type: int, fields: list[Any], key: bytes) -> str:
    """A typed transaction eth_account will not build, signed by hand."""
    private = keys.PrivateKey(bytes(key))
    signature = private.sign_msg_hash(keccak(bytes((tx_type,)) + rlp.encode(fields)))
    return "0x" + (bytes((tx_type,)) + rlp.encode([*fields, signature.v, signature.r, signature.s])).hex()


def test_oversized_initcode_is_refused_and_everyone_keeps_mining(rpc: Any, chain_id: int, other_chain: int) -> None:
    heights = {c: int(rpc.ok(c, "eth_blockNumber"), 16) for c in (chain_id, other_chain)}
    oversized = sign(_tx(chain_id, to=None, value=0, gas=1_000_000, data=b"\x00" * (MAX_INITCODE + 1)), K0)
    assert _refused(rpc, chain_id, oversized) == "max initcode size exceeded"
    assert rpc.ok(chain_id, "eth_getTransactionByHash", ["0x" + keccak(bytes.fromhex(oversized[2:])).hex()]) is None
    # another account on another chain, then the same sender on the same chain: both mined
    transfer = _mined(rpc, other_chain, sign(_tx(other_chain, nonce=nonce(rpc, other_chain, Account.from_key(K1).address)), K1))
    assert transfer["status"] == "0x1" and int(transfer["blockNumber"], 16) > heights[other_chain]
    again = _mined(rpc, chain_id, sign(_tx(chain_id, nonce=nonce(rpc, chain_id, Account.from_key(K0).address)), K0))
    assert again["status"] == "0x1" and int(again["blockNumber"], 16) > heights[chain_id]
    # exactly at the limit is a valid creation
    account = _fresh(rpc, chain_id)
    at_limit = _mined(rpc, chain_id, sign(_tx(chain_id, to=None, value=0, gas=600_000, data=b"\x00" * MAX_INITCODE),
                                          account.key))
    assert at_limit["status"] == "0x1" and at_limit["contractAddress"] is not None


def _auth(chain_id: int) -> Any:
    return Account.from_key(K2).sign_authorization({"chainId": chain_id, "address": A2, "nonce": 0})


RULES: dict[str, tuple[dict[str, Any], str]] = {
    # EIP-7623: 1,000 non-zero bytes cost 37,000 gas of calldata but a floor of 61,000
    "calldata-floor": ({"data": b"\x01" * 1000, "gas": 37_000}, "insufficient gas for floor data gas cost"),
    "intrinsic-access-list": ({"gas": 21_000, "accessList": [{"address": A2, "storageKeys": []}]},
                              "intrinsic gas too low"),
    "intrinsic-initcode-words": ({"to": None, "value": 0, "data": b"\x00" * 64, "gas": 53_000 + 256 + 3},
                                 "intrinsic gas too low"),
    "tip-above-cap": ({"maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": 2 * GWEI + 1},
                      "max priority fee per gas higher than max fee per gas"),
    "cap-below-base-fee": ({"maxFeePerGas": 1, "maxPriorityFeePerGas": 1}, "max fee per gas less than block base fee"),
    "above-block-gas-limit": ({"gas": 30_000_001}, "exceeds block gas limit"),
    "funds-for-gas-times-cap": ({"maxFeePerGas": 10**20 // 21_000 + 1}, "insufficient funds for gas * price + value"),
    "funds-for-value": ({"value": 10**20}, "insufficient funds for gas * price + value"),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_is_refused_with_geths_text(rpc: Any, chain_id: int, rule: str) -> None:
    fields, message = RULES[rule]
    account = _fresh(rpc, chain_id)
    assert _refused(rpc, chain_id, sign(_tx(chain_id, **fields), account.key)) == message
    assert nonce(rpc, chain_id, account.address, "pending") == 0


def test_set_code_authorizations_count_in_intrinsic_gas(rpc: Any, chain_id: int) -> None:
    account = _fresh(rpc, chain_id)
    tx = _tx(chain_id, type=4, gas=21_000 + 25_000 - 1, accessList=[], authorizationList=[_auth(chain_id)])
    assert _refused(rpc, chain_id, sign(tx, account.key)) == "intrinsic gas too low"
    tx["gas"] = 21_000 + 25_000
    assert _mined(rpc, chain_id, sign(tx, account.key))["status"] == "0x1"


def test_set_code_without_authorizations_or_as_creation_is_refused(rpc: Any, chain_id: int) -> None:
    account = _fresh(rpc, chain_id)
    fields = [chain_id, 0, GWEI, 10 * GWEI, 100_000, bytes.fromhex(A1[2:]), 0, b"", [], []]
    assert "authorization" in _refused(rpc, chain_id, _sign_typed(4, fields, account.key))
    auth = _auth(chain_id)
    creation = [chain_id, 0, GWEI, 10 * GWEI, 100_000, b"", 0, b"", [],
                [[auth.chain_id, auth.address, auth.nonce, auth.y_parity, auth.r, auth.s]]]
    _refused(rpc, chain_id, _sign_typed(4, creation, account.key))
    assert nonce(rpc, chain_id, account.address, "pending") == 0


def test_blob_transactions_are_not_supported_on_a_rollup(rpc: Any, chain_id: int) -> None:
    account = _fresh(rpc, chain_id)
    fields = [chain_id, 0, GWEI, 10 * GWEI, 100_000, bytes.fromhex(A1[2:]), 0, b"", [], 1, [b"\x01" + b"\x00" * 31]]
    assert _refused(rpc, chain_id, _sign_typed(3, fields, account.key)) == "transaction type not supported: received type 3"


def test_sender_with_code_is_refused_but_a_delegated_eoa_sends(rpc: Any, chain_id: int) -> None:
    contract = _fresh(rpc, chain_id)
    rpc.ok(chain_id, "anvil_setCode", [contract.address, "0x6000"])
    assert _refused(rpc, chain_id, sign(_tx(chain_id), contract.key)) == "sender not an eoa"
    delegated = _fresh(rpc, chain_id)
    rpc.ok(chain_id, "anvil_setCode", [delegated.address, DELEGATION])
    assert _mined(rpc, chain_id, sign(_tx(chain_id), delegated.key))["status"] == "0x1"


def test_impersonated_contract_still_sends(rpc: Any, chain_id: int) -> None:
    """anvil lifts EIP-3607 for impersonated accounts: impersonating a contract is the point."""
    contract = _fresh(rpc, chain_id)
    rpc.ok(chain_id, "anvil_setCode", [contract.address, "0x6000"])
    rpc.ok(chain_id, "anvil_impersonateAccount", [contract.address])
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [{"from": contract.address, "to": A1, "value": "0x1",
                                                         "gas": hex(21_000)}])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


@pytest.mark.parametrize("change", ["code", "balance"])
def test_invalid_at_inclusion_is_dropped_and_reported(rpc: Any, chain_id: int, change: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    victim, bystander = _fresh(rpc, chain_id), _fresh(rpc, chain_id)
    rpc.ok(chain_id, "evm_setAutomine", [False])
    doomed = rpc.ok(chain_id, "eth_sendRawTransaction", [sign(_tx(chain_id), victim.key)])
    fine = rpc.ok(chain_id, "eth_sendRawTransaction", [sign(_tx(chain_id), bystander.key)])
    if change == "code":
        rpc.ok(chain_id, "anvil_setCode", [victim.address, "0x6000"])
    else:
        rpc.ok(chain_id, "anvil_setBalance", [victim.address, "0x0"])
    height = int(rpc.ok(chain_id, "eth_blockNumber"), 16)
    with caplog.at_level(logging.WARNING, logger="shared_sequencer.sequencer"):
        rpc.ok(chain_id, "evm_mine")
    assert int(rpc.ok(chain_id, "eth_blockNumber"), 16) == height + 1
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [fine])["status"] == "0x1"
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [doomed]) is None
    assert rpc.ok(chain_id, "eth_getTransactionByHash", [doomed]) is None  # not pending any more
    reason = "sender not an eoa" if change == "code" else "insufficient funds for gas * price + value"
    assert any(doomed[2:] in r.getMessage() and reason in r.getMessage() for r in caplog.records), caplog.text
    # and the chain keeps mining for everyone
    rpc.ok(chain_id, "evm_setAutomine", [True])
    assert _mined(rpc, chain_id, sign(_tx(chain_id, nonce=1), bystander.key))["status"] == "0x1"
