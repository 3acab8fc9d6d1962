"""OP interop against the real devnet: SuperchainETHBridge through the sequencer's auto-relay,
a user's own relay (with OP's CrossL2Inbox access list) of a message whose auto-relay failed,
``resendMessage``, supersim's first steps with L2NativeSuperchainERC20, and the sequencer-side
check of an executing message against the source chain's real logs."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address

from chains.errors import InvalidExecutingMessage
from chains.txbuild import decode_raw
from shared_sequencer.interop import (
    CROSS_L2_INBOX,
    Identifier,
    check_identifier,
    check_pending,
    check_transaction,
    storage_keys,
)
from tests.xrollup_calls.xcall_helpers import (
    A0,
    A1,
    A2,
    ETH,
    GWEI,
    K0,
    K1,
    MESSENGER,
    RELAY_MESSAGE_SELECTOR,
    RELAYED_MESSAGE_TOPIC,
    SENT_MESSAGE_TOPIC,
    SEQUENCER,
    TOKEN_BRIDGE,
    A,
    B,
    Net,
    logs_with,
    tx_input,
)
from xrollup.testing import DevnetThread

ETH_BRIDGE = "0x4200000000000000000000000000000000000024"
ETH_LIQUIDITY = "0x4200000000000000000000000000000000000025"
NATIVE_TOKEN = "0x420beeF000000000000000000000000000000001"
INBOX = "0x" + CROSS_L2_INBOX.hex()
MESSAGE_ALREADY_RELAYED = "0x" + keccak(b"MessageAlreadyRelayed()")[:4].hex()
CLOSED = "0x" + keccak(b"Closed()")[:4].hex()


def relays_after(net: Net, cid: int, source: dict[str, Any], source_chain: int = A,
                 ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(transaction, receipt) of every relayMessage system transaction on chain ``cid`` in the
    superblock after the one holding ``source`` (a receipt on ``source_chain``): relays go at
    the top of the next superblock."""
    sb = net.superblock_of(source_chain, int(source["blockNumber"], 16), full=False)
    block = net.block_in(net.superblock(int(sb["number"], 16) + 1, full=False), cid)
    out = []
    for tx in block["transactions"] if block is not None else []:
        if tx["from"].lower() == SEQUENCER.lower() and tx_input(tx).startswith(RELAY_MESSAGE_SELECTOR):
            out.append((tx, net.receipt(cid, tx["hash"])))
    return out


def executing_message(net: Net, cid: int, log: dict[str, Any]) -> tuple[Identifier, bytes]:
    """(identifier, payload) of a log, built as @eth-optimism/viem's buildExecutingMessage does."""
    block = net.block(cid, int(log["blockNumber"], 16), full=False)
    ident = Identifier(to_canonical_address(log["address"]), int(log["blockNumber"], 16), int(log["logIndex"], 16),
                       int(block["timestamp"], 16), cid)
    payload = b"".join(bytes.fromhex(t[2:]) for t in log["topics"]) + bytes.fromhex(log["data"][2:])
    return ident, payload


def rpc_access_list(ident: Identifier, payload: bytes) -> list[dict[str, Any]]:
    return [{"address": to_checksum_address(INBOX),
             "storageKeys": ["0x" + k.hex() for k in storage_keys(ident, payload)]}]


def send_relay(net: Net, cid: int, key: str, ident: Identifier, payload: bytes, gas: int = 1_000_000) -> dict[str, Any]:
    """A user's own relayMessage transaction with OP's CrossL2Inbox access list."""
    data = "0x" + net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), payload).hex()
    sender = Account.from_key(key).address
    tx = {"chainId": cid, "nonce": net.nonce(cid, sender), "gas": gas, "maxFeePerGas": 50 * GWEI,
          "maxPriorityFeePerGas": GWEI, "to": to_checksum_address(MESSENGER), "value": 0, "data": data,
          "type": 2, "accessList": rpc_access_list(ident, payload)}
    raw = "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()
    tx_hash = net.rpc(cid, "eth_sendRawTransaction", [raw])
    return net.receipt(cid, tx_hash)


def relay_call(ident: Identifier, payload: bytes, net: Net, sender: str) -> dict[str, Any]:
    return {"from": sender, "to": MESSENGER, "accessList": rpc_access_list(ident, payload),
            "data": "0x" + net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), payload).hex()}


def test_send_eth_arrives_through_the_auto_relay(net: Net) -> None:
    amount = 2 * ETH
    pool_a, pool_b = net.balance(A, ETH_LIQUIDITY), net.balance(B, ETH_LIQUIDITY)
    assert pool_a == pool_b == (2**248 - 1) // ETH * ETH
    before = net.balance(B, A2)
    data = net.calldata("SuperchainETHBridge", "sendETH", A2, B)
    receipt = net.send(A, K0, ETH_BRIDGE, data, value=amount, gas=500_000)
    assert receipt["status"] == "0x1"
    [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)

    [(relay_tx, relay)] = relays_after(net, B, receipt)
    assert relay["status"] == "0x1"
    # The sequencer's relay declares the log for CrossL2Inbox exactly as a user's relay does.
    ident, payload = executing_message(net, A, sent)
    assert relay_tx["accessList"] == [{"address": INBOX,
                                        "storageKeys": ["0x" + k.hex() for k in storage_keys(ident, payload)]}]
    assert len(logs_with(relay, INBOX, "0x" + keccak(
        b"ExecutingMessage(bytes32,(address,uint256,uint256,uint256,uint256))").hex())) == 1
    assert net.balance(B, A2) == before + amount
    assert net.balance(A, ETH_LIQUIDITY) == pool_a + amount
    assert net.balance(B, ETH_LIQUIDITY) == pool_b - amount
    assert net.balance(A, ETH_BRIDGE) == net.balance(B, ETH_BRIDGE) == 0
    relay_eth = logs_with(relay, ETH_BRIDGE, "0x" + keccak(b"RelayETH(address,address,uint256,uint256)").hex())
    assert decode(["uint256", "uint256"], bytes.fromhex(relay_eth[0]["data"][2:])) == (amount, A)
    assert net.view(A, "SuperchainETHBridge", ETH_BRIDGE, "version") == "1.0.1"


def test_user_relays_a_message_whose_auto_relay_failed(net: Net) -> None:
    gated = net.deploy(B, K1, "GatedReceiver")  # closed: every delivery reverts Closed()
    message = net.calldata("GatedReceiver", "receiveMessage", 11)
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, gated, message)
    [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    [(_, auto)] = relays_after(net, B, receipt)
    assert auto["status"] == "0x0"
    msg_hash = net.rpc(A, "eth_call", [{"from": A0, "to": MESSENGER, "data": "0x" + net.calldata(
        "L2ToL2CrossDomainMessenger", "resendMessage", B, 0, A0, gated, message).hex()}, "latest"])
    h = bytes.fromhex(msg_hash[2:])
    assert net.view(A, "L2ToL2CrossDomainMessenger", MESSENGER, "sentMessages", h) is True
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", h) is False

    ident, payload = executing_message(net, A, sent)
    # Still closed: a user's relay reverts with the target's error, as OP's does.
    err = net.rpc_error(B, "eth_call", [relay_call(ident, payload, net, A1), "latest"])
    assert (err.code, err.data) == (3, CLOSED)

    # The target is fixed; the user relays it, with OP's access list, and it is delivered once.
    assert net.tx(B, K1, "GatedReceiver", gated, "setOpen", True)["status"] == "0x1"
    gas = int(net.rpc(B, "eth_estimateGas", [relay_call(ident, payload, net, A1)]), 16)
    relay = send_relay(net, B, K1, ident, payload, gas=gas + 50_000)
    assert relay["status"] == "0x1"
    [relayed] = logs_with(relay, MESSENGER, RELAYED_MESSAGE_TOPIC)
    assert relayed["topics"][3] == msg_hash
    assert net.view(B, "GatedReceiver", gated, "deliveries") == 1
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", h) is True

    # Relaying again, or re-emitting it with resendMessage, delivers nothing more.
    err = net.rpc_error(B, "eth_call", [relay_call(ident, payload, net, A1), "latest"])
    assert (err.code, err.data) == (3, MESSAGE_ALREADY_RELAYED)
    resent = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "resendMessage", B, 0, A0, gated, message)
    [(_, second)] = relays_after(net, B, resent)
    assert second["status"] == "0x0"
    assert net.view(B, "GatedReceiver", gated, "deliveries") == 1
    assert net.view(B, "GatedReceiver", gated, "total") == 11


def test_resend_message_gets_a_failed_message_relayed_again(net: Net) -> None:
    gated = net.deploy(B, K1, "GatedReceiver")
    message = net.calldata("GatedReceiver", "receiveMessage", 4)
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, gated, message)
    [(_, auto)] = relays_after(net, B, receipt)
    assert auto["status"] == "0x0"
    net.tx(B, K1, "GatedReceiver", gated, "setOpen", True)

    # Anyone may ask: resendMessage re-emits the SentMessage, which the sequencer relays anew.
    resent = net.tx(A, K1, "L2ToL2CrossDomainMessenger", MESSENGER, "resendMessage", B, 0, A0, gated, message)
    assert resent["status"] == "0x1"
    [log] = logs_with(resent, MESSENGER, SENT_MESSAGE_TOPIC)
    [original] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    assert (log["topics"], log["data"]) == (original["topics"], original["data"])
    [(_, relay)] = relays_after(net, B, resent)
    assert relay["status"] == "0x1"
    assert net.view(B, "GatedReceiver", gated, "deliveries") == 1
    # A message this chain never sent cannot be resent.
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MESSENGER, "data": "0x" + net.calldata(
        "L2ToL2CrossDomainMessenger", "resendMessage", B, 9, A0, gated, message).hex()}, "latest"])
    assert (err.code, err.data) == (3, "0x" + keccak(b"InvalidMessage()")[:4].hex())


def test_supersim_first_steps_mint_and_send_erc20(net: Net) -> None:
    """supersim's first steps: mint L2NativeSuperchainERC20 on 901, sendERC20 to 902 through the
    SuperchainTokenBridge, and the balance arrives on 902 (auto-relayed)."""
    assert net.code(A, NATIVE_TOKEN) and net.code(B, NATIVE_TOKEN)
    start_a = net.view(A, "L2NativeSuperchainERC20", NATIVE_TOKEN, "balanceOf", A0)
    start_b = net.view(B, "L2NativeSuperchainERC20", NATIVE_TOKEN, "balanceOf", A0)
    minted = net.tx(A, K0, "L2NativeSuperchainERC20", NATIVE_TOKEN, "mint", A0, 1000)
    assert minted["status"] == "0x1"
    assert net.view(A, "L2NativeSuperchainERC20", NATIVE_TOKEN, "balanceOf", A0) == start_a + 1000

    sent = net.tx(A, K0, "SuperchainTokenBridge", TOKEN_BRIDGE, "sendERC20", NATIVE_TOKEN, A0, 1000, B)
    assert sent["status"] == "0x1"
    [(_, relay)] = relays_after(net, B, sent)
    assert relay["status"] == "0x1"
    assert net.view(A, "L2NativeSuperchainERC20", NATIVE_TOKEN, "balanceOf", A0) == start_a
    assert net.view(B, "L2NativeSuperchainERC20", NATIVE_TOKEN, "balanceOf", A0) == start_b + 1000
    assert net.view(B, "SuperchainTokenBridge", TOKEN_BRIDGE, "version") == "1.0.0"
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "version") == "1.1.0"


def test_executing_message_check_against_the_real_logs(net: Net, xrollup_server: DevnetThread) -> None:
    """The sequencer-side check (shared_sequencer.interop) of an executing message: the real
    log passes, each wrong field is named."""
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, A2, b"\x01\x02")
    [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    ident, payload = executing_message(net, A, sent)
    devnet = xrollup_server.devnet

    def lookup(cid: int, number: int) -> Any:
        return devnet.sequencer.chain(cid).block(number)

    def field_of(i: Identifier, payload_hash: bytes) -> str | None:
        def run() -> str | None:
            try:
                check_identifier(i, payload_hash, lookup)
            except InvalidExecutingMessage as exc:
                return f"{exc.field}: {exc}"
            return None
        result: str | None = xrollup_server.run(run)
        return result

    assert field_of(ident, keccak(payload)) is None
    cases = {
        "chain id": Identifier(ident.origin, ident.block_number, ident.log_index, ident.timestamp, 999),
        "block number": Identifier(ident.origin, ident.block_number + 50, ident.log_index, ident.timestamp, A),
        "timestamp": Identifier(ident.origin, ident.block_number, ident.log_index, ident.timestamp + 1, A),
        "log index": Identifier(ident.origin, ident.block_number, ident.log_index + 9, ident.timestamp, A),
        "origin": Identifier(to_canonical_address(A0), ident.block_number, ident.log_index, ident.timestamp, A),
    }
    for field, wrong in cases.items():
        found = field_of(wrong, keccak(payload))
        assert found is not None and found.startswith(field + ":"), (field, found)
    found = field_of(ident, keccak(payload + b"\x00"))
    assert found is not None and found.startswith("payload hash:"), found

    # The access-list form (what check_transaction sees for any transaction).
    relay_data = net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), payload)
    good = ((CROSS_L2_INBOX, tuple(int.from_bytes(k, "big") for k in storage_keys(ident, payload))),)
    assert xrollup_server.run(lambda: check_transaction(to_canonical_address(MESSENGER), relay_data, good, lookup)) \
        is None
    forged_payload = payload[:-1] + b"\x07"
    forged = ((CROSS_L2_INBOX, tuple(int.from_bytes(k, "big") for k in storage_keys(ident, forged_payload))),)

    def refused(to: bytes, data: bytes, entries: Any) -> str:
        def run() -> str:
            with pytest.raises(InvalidExecutingMessage) as info:
                check_transaction(to, data, entries, lookup)
            return info.value.field
        result: str = xrollup_server.run(run)
        return result

    forged_relay = net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), forged_payload)
    assert refused(to_canonical_address(MESSENGER), forged_relay, forged) == "payload hash"
    assert refused(to_canonical_address(A1), b"", forged) == "origin or payload hash"
    lone = ((CROSS_L2_INBOX, (good[0][1][0],)),)
    assert refused(to_canonical_address(A1), b"", lone) == "access list"

    # A signed transaction as the sequencer receives it (check_pending, the admission hook).
    def signed(data: bytes, declared: list[dict[str, Any]]) -> Any:
        tx = {"chainId": B, "nonce": 0, "gas": 500_000, "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI,
              "to": to_checksum_address(MESSENGER), "value": 0, "data": "0x" + data.hex(), "type": 2,
              "accessList": declared}
        return decode_raw(bytes(Account.sign_transaction(tx, K1).raw_transaction))

    assert xrollup_server.run(lambda: check_pending(signed(relay_data, rpc_access_list(ident, payload)), lookup)) \
        is None

    def pending_refused() -> str:
        with pytest.raises(InvalidExecutingMessage) as info:
            check_pending(signed(forged_relay, rpc_access_list(ident, forged_payload)), lookup)
        return str(info.value)

    message = xrollup_server.run(pending_refused)
    assert message.startswith("invalid executing message: payload hash mismatch: log "), message


def test_a_forged_relay_is_refused_at_submission(net: Net) -> None:
    """A user's relayMessage whose access list declares a log that does not exist (a payload
    the source chain never emitted) never reaches the pool: -32003 naming the field."""
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, A2, b"\x05")
    [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    ident, payload = executing_message(net, A, sent)
    forged = payload[:-1] + b"\x09"
    data = "0x" + net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), forged).hex()
    sender = Account.from_key(K1).address
    tx = {"chainId": B, "nonce": net.nonce(B, sender), "gas": 1_000_000, "maxFeePerGas": 50 * GWEI,
          "maxPriorityFeePerGas": GWEI, "to": to_checksum_address(MESSENGER), "value": 0, "data": data,
          "type": 2, "accessList": rpc_access_list(ident, forged)}
    raw = "0x" + bytes(Account.sign_transaction(tx, K1).raw_transaction).hex()
    error = net.rpc_error(B, "eth_sendRawTransaction", [raw])
    assert error.code == -32003, error
    assert error.message.startswith("invalid executing message: payload hash mismatch"), error
    assert net.nonce(B, sender) == tx["nonce"]  # nothing pooled, nothing mined
