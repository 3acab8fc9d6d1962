"""Synchronous cross-rollup calls through the mailbox, seen by a web3.py client.

Success with return data, revert propagation (nothing happens on the far side), value
transfer, and who may call the mailbox's and the messenger's system entry points.
"""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3.exceptions import ContractLogicError

from tests.xrollup_calls.xcall_helpers import (
    A0,
    ATOMIC_BRIDGE,
    CHAIN_IDS,
    ETH,
    EXECUTE_SELECTOR,
    K0,
    K1,
    MAILBOX,
    MESSENGER,
    NOT_IN_ACCESS_LIST,
    NOT_IN_XCALL,
    ONLY_SEQUENCER,
    PUT_RESPONSE_SELECTOR,
    RESPONSE_STORED_TOPIC,
    SEQUENCER,
    SEQUENCER_KEY,
    XCALL_EXECUTED_TOPIC,
    XCALL_TOPIC,
    A,
    B,
    Net,
    decode_xcall_executed,
    error_string,
    logs_with,
    request_id,
    topic,
    tx_input,
    word,
)


def test_xcall_success_reaches_far_side_in_same_superblock(net: Net) -> None:
    inc = net.calldata("Counter", "increment")
    assert net.number(B) == 0
    hashes_before = net.mailbox_hashes(A, B)

    receipt = net.send(A, K0, MAILBOX, net.xcall_data(B, net.counter, inc))
    assert receipt["status"] == "0x1"
    assert net.number(B) == 1
    assert net.number(A) == 0  # the counter at the same address on 901 is untouched

    # The receipt names the cross-rollup call and its transaction on 902.
    rid = request_id(A, B, 0, A0, net.counter, 0, inc)
    [xc] = receipt["xcalls"]
    assert xc["destinationChainId"] == hex(B)
    assert xc["nonce"] == "0x0"
    assert xc["target"].lower() == net.counter.lower()
    assert xc["value"] == "0x0"
    assert xc["requestId"] == "0x" + rid.hex()
    assert xc["success"] is True
    dest = net.receipt(B, xc["destinationTxHash"])
    assert dest["status"] == "0x1"
    assert dest["from"].lower() == SEQUENCER.lower() and dest["to"].lower() == MAILBOX
    [executed] = logs_with(dest, MAILBOX, XCALL_EXECUTED_TOPIC)
    assert decode_xcall_executed(executed) == (A, 0, rid, True, b"")
    incremented = logs_with(dest, net.counter, topic("Incremented(address,uint256)"))
    assert [lg["topics"][1] for lg in incremented] == ["0x" + "00" * 12 + MAILBOX[2:]]  # msg.sender is the mailbox
    [xlog] = logs_with(receipt, MAILBOX, XCALL_TOPIC)
    assert int(xlog["topics"][1], 16) == B and int(xlog["topics"][2], 16) == 0

    # Both blocks belong to one superblock; 903 took no part (it did not advance).
    sb = net.superblock_of(A, receipt["blockNumber"])
    assert net.superblock_of(B, dest["blockNumber"]) == sb
    blocks = {int(b["chainId"], 16): b for b in sb["blocks"]}
    assert set(blocks) == {A, B}
    assert blocks[A]["hash"] == receipt["blockHash"]
    assert blocks[B]["hash"] == dest["blockHash"]
    assert blocks[A]["transactions"][-1] == receipt["transactionHash"]
    assert blocks[B]["transactions"] == [xc["destinationTxHash"]]
    assert 903 not in blocks

    # On 901 the pre-filled response sits before the user's transaction.
    [prefill_hash, user_hash] = blocks[A]["transactions"]
    assert user_hash == receipt["transactionHash"]
    prefill = net.rpc(A, "eth_getTransactionByHash", [prefill_hash])
    assert prefill["from"].lower() == SEQUENCER.lower() and prefill["to"].lower() == MAILBOX
    assert tx_input(prefill).startswith(PUT_RESPONSE_SELECTOR)
    stored = logs_with(net.receipt(A, prefill_hash), MAILBOX, RESPONSE_STORED_TOPIC)
    assert [lg["topics"][1:] for lg in stored] == [[word(B), "0x" + rid.hex()]]
    assert net.view(A, "Mailbox", MAILBOX, "responseConsumed", rid) is True

    # The rolling hashes moved, and they agree pairwise.
    after = net.mailbox_hashes(A, B)
    assert after["requestsOut"] != hashes_before["requestsOut"]
    assert after["requestsOut"] == keccak(encode(["bytes32", "bytes32"], [hashes_before["requestsOut"], rid]))
    assert after["responsesIn"] == keccak(encode(["bytes32", "bytes32", "bool", "bytes32"],
                                                 [hashes_before["responsesIn"], rid, True, keccak(b"")]))
    net.assert_mailboxes_agree()
    assert net.view(A, "Mailbox", MAILBOX, "outNonce", B) == 1


def test_xcall_return_value_reaches_the_source(net: Net) -> None:
    number = net.calldata("Counter", "number")
    net.tx(B, K0, "Counter", net.counter, "setNumber", 41)

    # eth_call of xcall: the far side's return data, ABI-wrapped as `bytes`.
    mailbox = net.contract(A, "Mailbox", MAILBOX)
    assert mailbox.functions.xcall(B, net.counter, number).call({"from": A0}) == bytes.fromhex(word(41)[2:])
    raw = net.rpc(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + net.xcall_data(B, net.counter, number).hex()},
                                  "latest"])
    assert raw == "0x" + encode(["bytes"], [bytes.fromhex(word(41)[2:])]).hex()

    # A contract on 901 receives the value in a mined transaction and stores it.
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "call", B, net.counter, number)
    assert receipt["status"] == "0x1"
    assert net.view(A, "XCallProbe", net.probe, "lastReturn") == bytes.fromhex(word(41)[2:])
    assert net.view(A, "XCallProbe", net.probe, "lastSuccess") is True

    # The far side sees the caller through xMsgSender / xMsgSourceChain.
    record = net.calldata("XCallProbe", "record")
    receipt = net.tx(A, K0, "XCallProbe", net.probe, "call", B, net.probe, record)
    assert receipt["status"] == "0x1"
    ret = net.view(A, "XCallProbe", net.probe, "lastReturn")
    assert decode(["address", "uint256", "uint256"], ret) == (net.probe.lower(), A, 0)
    assert net.view(B, "XCallProbe", net.probe, "lastXSender") == net.probe
    assert net.view(B, "XCallProbe", net.probe, "lastXSource") == A
    net.assert_mailboxes_agree()


def test_xcall_estimate_gas_is_enough(net: Net) -> None:
    data = net.calldata("XCallProbe", "call", B, net.counter, net.calldata("Counter", "increment"))
    estimate = int(net.rpc(A, "eth_estimateGas", [{"from": A0, "to": net.probe, "data": "0x" + data.hex()}]), 16)
    receipt = net.send(A, K0, net.probe, data, gas=estimate)
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) <= estimate
    assert net.number(B) == 1


def test_far_side_revert_propagates_and_nothing_happens_there(net: Net) -> None:
    fail = net.calldata("Counter", "failWithReason")
    data = net.xcall_data(B, net.counter, fail)
    boom = error_string("Counter: boom")

    # eth_call and eth_estimateGas: code 3, the far side's reason and data.
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    assert (err.code, err.message, err.data) == (3, "execution reverted: Counter: boom", boom)
    err = net.rpc_error(A, "eth_estimateGas", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}])
    assert (err.code, err.message, err.data) == (3, "execution reverted: Counter: boom", boom)
    with pytest.raises(ContractLogicError, match="Counter: boom") as info:
        net.contract(A, "Mailbox", MAILBOX).functions.xcall(B, net.counter, fail).call({"from": A0})
    assert info.value.data == boom

    net.tx(B, K0, "Counter", net.counter, "setNumber", 5)
    hashes = {cid: net.mailbox_hashes(cid, peer) for cid, peer in ((A, B), (B, A))}
    seq_nonce_b = net.nonce(B, SEQUENCER)

    receipt = net.send(A, K0, MAILBOX, data, gas=500_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"] == {"chainId": hex(B), "reason": "Counter: boom"}
    assert "xcalls" not in receipt
    assert receipt["logs"] == []

    # Nothing of the request anywhere: no system transaction on 902, none on 901 either.
    blocks = {int(b["chainId"], 16): b for b in net.superblock_of(A, receipt["blockNumber"])["blocks"]}
    assert B not in blocks  # the far side did not even advance
    assert blocks[A]["transactions"] == [receipt["transactionHash"]]
    assert net.number(B) == 5
    assert net.nonce(B, SEQUENCER) == seq_nonce_b
    assert {cid: net.mailbox_hashes(cid, peer) for cid, peer in ((A, B), (B, A))} == hashes
    assert net.view(A, "Mailbox", MAILBOX, "outNonce", B) == 0
    rid = request_id(A, B, 0, A0, net.counter, 0, fail)
    assert net.view(B, "Mailbox", MAILBOX, "executed", rid) is False
    assert net.view(A, "Mailbox", MAILBOX, "getResponse", rid) == [False, False, b""]


def test_far_side_custom_error_bubbles_verbatim(net: Net) -> None:
    fail = net.calldata("Counter", "failWithCustom", 7)
    # CustomFailure(x, msg.sender): on 902 the caller of the target is the mailbox.
    expected = "0x" + keccak(text="CustomFailure(uint256,address)")[:4].hex() + encode(["uint256", "address"], [7, MAILBOX]).hex()
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + net.xcall_data(B, net.counter, fail).hex()},
                                        "latest"])
    assert err.code == 3 and err.data == expected
    receipt = net.send(A, K0, MAILBOX, net.xcall_data(B, net.counter, fail), gas=500_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"]["chainId"] == hex(B)


def test_value_moves_between_mailboxes(net: Net) -> None:
    recipient = to_checksum_address("0x" + "be" * 20)
    amount = 3 * ETH
    before = {cid: (net.balance(cid, MAILBOX), net.balance(cid, recipient)) for cid in (A, B)}
    sender_before = net.balance(A, A0)

    receipt = net.tx(A, K0, "AtomicBridge", ATOMIC_BRIDGE, "bridgeETH", recipient, B, value=amount)
    assert receipt["status"] == "0x1"
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert net.balance(A, A0) == sender_before - amount - fee
    assert net.balance(A, MAILBOX) == before[A][0] + amount  # locked in the source mailbox
    assert net.balance(B, MAILBOX) == before[B][0] - amount  # paid out of the destination's pool
    assert net.balance(B, recipient) == amount
    assert net.balance(A, recipient) == 0
    assert net.balance(A, ATOMIC_BRIDGE) == net.balance(B, ATOMIC_BRIDGE) == 0
    [xc] = receipt["xcalls"]
    assert (xc["value"], xc["target"].lower(), xc["success"]) == (hex(amount), ATOMIC_BRIDGE, True)
    dest = net.receipt(B, xc["destinationTxHash"])
    received = logs_with(dest, ATOMIC_BRIDGE, topic("ReceivedETH(address,address,uint256,uint256)"))
    assert len(received) == 1
    assert decode(["uint256", "uint256"], bytes.fromhex(received[0]["data"][2:])) == (amount, A)

    # Plain xcall with value to a contract's receive(): msg.sender there is the mailbox.
    receipt = net.send(A, K0, MAILBOX, net.xcall_data(B, net.counter, b""), value=ETH)
    assert receipt["status"] == "0x1"
    assert net.balance(B, net.counter) == ETH
    assert net.balance(A, MAILBOX) == before[A][0] + amount + ETH
    assert net.balance(B, MAILBOX) == before[B][0] - amount - ETH
    dest = net.receipt(B, receipt["xcalls"][0]["destinationTxHash"])
    [got] = logs_with(dest, net.counter, topic("Received(address,uint256)"))
    assert got["topics"][1] == "0x" + "00" * 12 + MAILBOX[2:] and int(got["data"], 16) == ETH
    net.assert_mailboxes_agree()


def test_value_to_a_target_that_refuses_it_stays_home(net: Net) -> None:
    """increment() is not payable: the far call fails, so the value never leaves 901."""
    mailbox_a, mailbox_b = net.balance(A, MAILBOX), net.balance(B, MAILBOX)
    sender_before = net.balance(A, A0)
    receipt = net.send(A, K0, MAILBOX, net.xcall_data(B, net.counter, net.calldata("Counter", "increment")),
                       value=ETH, gas=500_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"]["chainId"] == hex(B)
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert net.balance(A, A0) == sender_before - fee
    assert (net.balance(A, MAILBOX), net.balance(B, MAILBOX)) == (mailbox_a, mailbox_b)
    assert net.balance(B, net.counter) == 0 and net.number(B) == 0


SYSTEM_CALLS = {
    "putResponse": lambda net, rid: net.calldata("Mailbox", "putResponse", B, rid, True, b"\x01"),
    "execute": lambda net, rid: net.calldata("Mailbox", "execute", B, 0, A0, net.counter, 0,
                                             net.calldata("Counter", "increment")),
    "clearResponse": lambda net, rid: net.calldata("Mailbox", "clearResponse", rid),
}


@pytest.mark.parametrize("name", sorted(SYSTEM_CALLS))
def test_mailbox_system_entry_points_refuse_users(net: Net, name: str) -> None:
    rid = request_id(A, B, 0, A0, net.counter, 0, b"")
    data = "0x" + SYSTEM_CALLS[name](net, rid).hex()
    if name == "execute":
        assert data.startswith(EXECUTE_SELECTOR)
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": data}, "latest"])
    assert (err.code, err.data) == (3, ONLY_SEQUENCER)
    receipt = net.send(A, K0, MAILBOX, data, gas=300_000)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    assert net.view(A, "Mailbox", MAILBOX, "getResponse", rid) == [False, False, b""]
    assert net.number(A) == 0


def test_messenger_relay_refuses_users(net: Net) -> None:
    """Relaying is permissionless (as on OP), but a relay must declare its log for CrossL2Inbox:
    a forged relay that does not is refused by the inbox with OP's NotInAccessList()."""
    payload = bytes.fromhex(topic("SentMessage(uint256,address,uint256,address,bytes)")[2:]) + encode(
        ["uint256", "address", "uint256", "address", "bytes"], [A, net.counter, 0, A0, net.calldata("Counter", "increment")])
    data = net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", (MESSENGER, 1, 0, 1, B), payload)
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MESSENGER, "data": "0x" + data.hex()}, "latest"])
    assert (err.code, err.data) == (3, NOT_IN_ACCESS_LIST)
    receipt = net.send(A, K0, MESSENGER, data, gas=300_000)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    assert net.number(A) == 0


def test_sequencer_key_cannot_send_user_transactions(net: Net) -> None:
    assert Account.from_key(SEQUENCER_KEY).address == SEQUENCER
    rid = request_id(A, B, 0, A0, net.counter, 0, b"")
    forged = net.calldata("Mailbox", "putResponse", B, rid, True, b"\x01")
    for cid in CHAIN_IDS:
        raw = net.sign(cid, SEQUENCER_KEY, MAILBOX, forged, gas=300_000)
        err = net.rpc_error(cid, "eth_sendRawTransaction", [raw])
        assert err.code == -32003, err
        assert "system address" in err.message
    assert net.view(A, "Mailbox", MAILBOX, "getResponse", rid) == [False, False, b""]

    # Impersonation does not open a way around it either.
    net.rpc(A, "anvil_impersonateAccount", [SEQUENCER])
    try:
        err = net.rpc_error(A, "eth_sendTransaction", [{"from": SEQUENCER, "to": MAILBOX, "data": "0x" + forged.hex(),
                                                        "gas": hex(300_000)}])
        assert err.code == -32003, err
    finally:
        net.rpc(A, "anvil_stopImpersonatingAccount", [SEQUENCER])
    assert net.view(A, "Mailbox", MAILBOX, "getResponse", rid) == [False, False, b""]


@pytest.mark.parametrize("fn", ["xMsgSender", "xMsgSourceChain"])
def test_xmsg_context_outside_execute_reverts(net: Net, fn: str) -> None:
    data = net.calldata("Mailbox", fn)
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    assert (err.code, err.data) == (3, NOT_IN_XCALL)
    # A contract asking for it outside a cross-rollup call: reverted transaction.
    receipt = net.tx(A, K1, "XCallProbe", net.probe, "record", gas=300_000)
    assert receipt["status"] == "0x0"
    assert net.view(A, "XCallProbe", net.probe, "hops") == 0


def test_xcall_to_own_chain_or_unknown_chain(net: Net) -> None:
    data = net.xcall_data(A, net.counter, net.calldata("Counter", "increment"))
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    invalid = "0x" + keccak(text="InvalidDestination(uint256)")[:4].hex() + word(A)[2:]
    assert (err.code, err.data) == (3, invalid)

    data = net.xcall_data(999, net.counter, net.calldata("Counter", "increment"))
    err = net.rpc_error(A, "eth_call", [{"from": A0, "to": MAILBOX, "data": "0x" + data.hex()}, "latest"])
    assert err.code == 3
    assert err.data == error_string("xrollup: unknown destination chain 999")
    receipt = net.send(A, K0, MAILBOX, data, gas=500_000)
    assert receipt["status"] == "0x0"
    assert receipt["xrollupError"]["reason"] == "xrollup: unknown destination chain 999"


def test_sequencer_key_cannot_sign_eip7702_authorizations(net: Net) -> None:
    """The key is public: an authorization signed with it would let anyone run code as the
    system address. Refused at submission, like its transactions."""
    seq_nonce = net.nonce(A, SEQUENCER)
    auth = Account.sign_authorization({"chainId": A, "address": net.probe, "nonce": seq_nonce}, SEQUENCER_KEY)
    tx = {"chainId": A, "nonce": net.nonce(A, A0), "gas": 200_000, "maxFeePerGas": 50 * 10**9,
          "maxPriorityFeePerGas": 10**9, "to": A0, "value": 0, "data": "0x", "type": 4, "authorizationList": [auth]}
    raw = "0x" + bytes(Account.sign_transaction(tx, K0).raw_transaction).hex()
    err = net.rpc_error(A, "eth_sendRawTransaction", [raw])
    assert err.code == -32003, err
    assert "system address" in err.message
    assert net.code(A, SEQUENCER) == b""
    assert net.nonce(A, SEQUENCER) == seq_nonce
