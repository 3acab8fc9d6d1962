"""Server-side signing (eth_sendTransaction's path) gives the transaction a wallet would sign."""

from __future__ import annotations

import pytest
from eth_account import Account

from chains.txbuild import TxRequest, decode_raw, sign

KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
SENDER = bytes.fromhex("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")


@pytest.mark.parametrize("to, data, value", [(b"\x11" * 20, b"", 7), (None, b"\x60\x00\x60\x00", 0),
                                             (b"\x22" * 20, b"\x01" * 300, 10**18)])
def test_type2_signature_bytes_and_hash_match_eth_account(to, data, value):
    req = TxRequest(901, SENDER, 5, 100_000, to, value, data, max_fee_per_gas=3 * 10**9,
                    max_priority_fee_per_gas=10**9)
    pending = sign(req, KEY)
    wallet = Account.sign_transaction({"type": 2, "chainId": 901, "nonce": 5, "gas": 100_000,
                                       "to": "0x" + to.hex() if to else b"", "value": value, "data": data,
                                       "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}, KEY)
    assert pending.raw == bytes(wallet.raw_transaction)
    assert pending.hash == bytes(wallet.hash)
    assert bytes(pending.tx.encode()) == pending.raw and bytes(pending.tx.hash) == pending.hash
    decoded = decode_raw(pending.raw)
    assert decoded.sender == SENDER and decoded.hash == pending.hash
