"""EIP-7702 authorizations in transaction objects the server fills in (eth_sendTransaction,
eth_signTransaction) and in calls (eth_call, eth_estimateGas), as anvil takes them: a type 0x04
transaction built and signed by the server for a dev account, or sent from an impersonated one."""

from __future__ import annotations

from eth_abi import decode
from eth_account import Account

from tests.e2e.e2e_helpers import A0, K1, K2, calldata, deploy_counter, nonce, send_tx

A1 = Account.from_key(K1).address
A2 = Account.from_key(K2).address
STRANGER = "0x" + "5e" * 20


def _auth(chain_id: int, key: str, delegate: str, auth_nonce: int) -> dict[str, str]:
    signed = Account.sign_authorization({"chainId": chain_id, "address": delegate, "nonce": auth_nonce}, key)
    return {"chainId": hex(chain_id), "address": delegate, "nonce": hex(auth_nonce), "yParity": hex(signed.y_parity),
            "r": hex(signed.r), "s": hex(signed.s)}


def _code(rpc, chain_id, address):
    return rpc.ok(chain_id, "eth_getCode", [address, "latest"])


def test_send_transaction_with_an_authorization_list_delegates(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id, 7)
    auth = _auth(chain_id, K1, counter, nonce(rpc, chain_id, A1))
    receipt = send_tx(rpc, chain_id, {"from": A0, "to": A1, "data": calldata("setNumber(uint256)", ["uint256"], [42]),
                                      "authorizationList": [auth]})
    assert receipt["status"] == "0x1" and receipt["type"] == "0x4"
    assert _code(rpc, chain_id, A1) == "0xef0100" + counter[2:].lower()
    tx = rpc.ok(chain_id, "eth_getTransactionByHash", [receipt["transactionHash"]])
    assert tx["type"] == "0x4" and tx["authorizationList"][0]["address"].lower() == counter.lower()
    # the delegated account runs the counter's code on its own storage
    number = rpc.ok(chain_id, "eth_call", [{"to": A1, "data": calldata("number()")}, "latest"])
    assert int(number, 16) == 42
    assert int(rpc.ok(chain_id, "eth_call", [{"to": counter, "data": calldata("number()")}, "latest"]), 16) == 7


def test_an_impersonated_sender_sends_a_set_code_transaction(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    rpc.ok(chain_id, "anvil_setBalance", [STRANGER, hex(10**18)])
    rpc.ok(chain_id, "anvil_impersonateAccount", [STRANGER])
    auth = _auth(chain_id, K2, counter, nonce(rpc, chain_id, A2))
    receipt = send_tx(rpc, chain_id, {"from": STRANGER, "to": STRANGER, "authorizationList": [auth]})
    assert receipt["status"] == "0x1" and receipt["from"].lower() == STRANGER
    assert _code(rpc, chain_id, A2) == "0xef0100" + counter[2:].lower()


def test_sign_transaction_with_an_authorization_list(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    # the sender is its own authority: the authorization takes the nonce after the transaction's
    auth = _auth(chain_id, K1, counter, nonce(rpc, chain_id, A1) + 1)
    out = rpc.ok(chain_id, "eth_signTransaction", [{"from": A1, "to": A1, "gas": "0x20000", "authorizationList": [auth]}])
    assert out["raw"].startswith("0x04") and out["tx"]["type"] == "0x4"
    assert Account.recover_transaction(out["raw"]) == A1
    tx_hash = rpc.ok(chain_id, "eth_sendRawTransaction", [out["raw"]])
    assert rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
    assert _code(rpc, chain_id, A1) == "0xef0100" + counter[2:].lower()


def test_call_and_estimate_with_an_authorization_list_change_nothing(rpc, chain_id):
    counter = deploy_counter(rpc, chain_id)
    auth = _auth(chain_id, K2, counter, nonce(rpc, chain_id, A2))
    call = {"from": A0, "to": A2, "data": calldata("blockInfo()")}
    assert rpc.ok(chain_id, "eth_call", [call, "latest"]) == "0x"  # A2 has no code
    out = rpc.ok(chain_id, "eth_call", [{**call, "authorizationList": [auth]}, "latest"])
    _number, _timestamp, chain, _fee, _coinbase = decode(["uint256"] * 4 + ["address"], bytes.fromhex(out[2:]))
    assert chain == chain_id  # the delegation was in force for the call
    plain = int(rpc.ok(chain_id, "eth_estimateGas", [call, "latest"]), 16)
    delegated = int(rpc.ok(chain_id, "eth_estimateGas", [{**call, "authorizationList": [auth]}, "latest"]), 16)
    assert delegated > plain + 12_500  # at least the authorization's own cost (EIP-7702: 12,500 refunded at most)
    assert _code(rpc, chain_id, A2) == "0x"


def test_a_malformed_authorization_is_invalid_params(rpc, chain_id):
    error = rpc.err(chain_id, "eth_sendTransaction", [{"from": A0, "to": A1, "authorizationList": [{"chainId": "0x1"}]}])
    assert error["code"] == -32602 and "authorizationList" in error["message"]
