"""OP-style asynchronous messages (L2ToL2CrossDomainMessenger) and SuperchainTokenBridge:
sent in one superblock, relayed by the sequencer in the next one, before
eth_sendRawTransaction returns (automine)."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

from tests.xrollup_calls.xcall_helpers import (
    A0,
    A2,
    ETH,
    K0,
    MESSENGER,
    RELAY_MESSAGE_SELECTOR,
    RELAYED_MESSAGE_TOPIC,
    SENT_MESSAGE_TOPIC,
    SEQUENCER,
    TOKEN_BRIDGE,
    TRANSFER_TOPIC,
    A,
    B,
    Net,
    logs_with,
    topic,
    tx_input,
    word,
)

IDENTIFIER = "(address,uint256,uint256,uint256,uint256)"


def addr_word(address: str) -> str:
    return "0x" + "00" * 12 + address.lower()[2:]


def message_hash(dst: int, src: int, nonce: int, sender: str, target: str, message: bytes) -> bytes:
    """OP's hashing: keccak256(abi.encode(destination, source, nonce, sender, target, message))."""
    return keccak(encode(["uint256", "uint256", "uint256", "address", "address", "bytes"],
                         [dst, src, nonce, sender, target, message]))


def relays_in(net: Net, cid: int, superblock: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(transaction, receipt) of every relayMessage system transaction of chain ``cid``'s block in
    superblock number ``superblock`` (none if the chain did not advance in it)."""
    out = []
    block = net.block_in(net.superblock(superblock), cid)
    for tx in block["transactions"] if block is not None else []:
        if tx["from"].lower() == SEQUENCER.lower() and tx_input(tx).startswith(RELAY_MESSAGE_SELECTOR):
            out.append((tx, net.receipt(cid, tx["hash"])))
    return out


def heads(net: Net) -> dict[int, int]:
    return {cid: int(net.rpc(cid, "eth_blockNumber"), 16) for cid in net.w3}


def test_message_is_relayed_before_send_returns(net: Net) -> None:
    message = net.calldata("XCallProbe", "onMessage", 7)
    expected_hash = message_hash(B, A, 0, A0, net.probe, message)
    # The hash sendMessage returns (eth_call) is OP's formula.
    sent = net.rpc(A, "eth_call", [{"from": A0, "to": MESSENGER, "data": "0x" + net.calldata(
        "L2ToL2CrossDomainMessenger", "sendMessage", B, net.probe, message).hex()}, "latest"])
    assert sent == "0x" + expected_hash.hex()

    before = heads(net)
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, net.probe, message)
    assert receipt["status"] == "0x1"
    n = int(receipt["blockNumber"], 16)
    assert n == before[A] + 1
    # Automine mined the follow-up superblock with the relay before the call returned: it
    # advanced 902 alone (the only chain with work in it).
    assert heads(net) == {**before, A: n, B: before[B] + 1}
    s = int(net.superblock_of(A, receipt["blockNumber"])["number"], 16)
    [sent_log] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    assert sent_log["topics"] == [SENT_MESSAGE_TOPIC, word(B), addr_word(net.probe), word(0)]
    assert decode(["address", "bytes"], bytes.fromhex(sent_log["data"][2:])) == (A0.lower(), message)

    # The relay: at the top of 902's next block, built from the log as OP's relayers do.
    assert relays_in(net, B, s) == []
    [(relay_tx, relay)] = relays_in(net, B, s + 1)
    assert relay_tx["to"].lower() == MESSENGER and int(relay_tx["transactionIndex"], 16) == 0
    assert int(relay_tx["value"], 16) == 0
    ident, payload = decode([IDENTIFIER, "bytes"], bytes.fromhex(tx_input(relay_tx)[10:]))
    block_a = net.block(A, n, full=False)
    assert ident == (MESSENGER, n, int(sent_log["logIndex"], 16), int(block_a["timestamp"], 16), A)
    assert payload == b"".join(bytes.fromhex(t[2:]) for t in sent_log["topics"]) + bytes.fromhex(sent_log["data"][2:])
    assert relay["status"] == "0x1"
    [relayed] = logs_with(relay, MESSENGER, RELAYED_MESSAGE_TOPIC)
    assert relayed["topics"] == [RELAYED_MESSAGE_TOPIC, word(A), word(0), "0x" + expected_hash.hex()]
    assert relayed["data"] == "0x" + keccak(bytes.fromhex(word(8)[2:])).hex()  # onMessage returned 7 + 1

    # The target ran with OP's context, and the message is marked relayed on 902 only.
    assert net.view(B, "XCallProbe", net.probe, "lastMessageValue") == 7
    assert net.view(B, "XCallProbe", net.probe, "lastMessageSender") == A0
    assert net.view(B, "XCallProbe", net.probe, "lastMessageSource") == A
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", expected_hash) is True
    assert net.view(A, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", expected_hash) is False
    assert net.view(A, "L2ToL2CrossDomainMessenger", MESSENGER, "messageNonce") == 1
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "messageNonce") == 0

    # A second message gets nonce 1 and its own relay.
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, net.probe,
                     net.calldata("XCallProbe", "onMessage", 9))
    [(_, relay)] = relays_in(net, B, int(net.superblock_of(A, receipt["blockNumber"])["number"], 16) + 1)
    assert logs_with(relay, MESSENGER, RELAYED_MESSAGE_TOPIC)[0]["topics"][2] == word(1)
    assert net.view(B, "XCallProbe", net.probe, "lastMessageValue") == 9


def test_failing_relay_does_not_touch_the_source(net: Net) -> None:
    message = net.calldata("XCallProbe", "failMessage")
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, net.probe, message)
    assert receipt["status"] == "0x1"  # the source transaction is unaffected
    assert len(logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)) == 1
    n = int(net.superblock_of(A, receipt["blockNumber"])["number"], 16)
    [(_, relay)] = relays_in(net, B, n + 1)
    assert relay["status"] == "0x0" and relay["logs"] == []
    h = message_hash(B, A, 0, A0, net.probe, message)
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", h) is False
    assert net.view(A, "L2ToL2CrossDomainMessenger", MESSENGER, "messageNonce") == 1
    # Not retried: the next superblock has no relay for it.
    before = heads(net)
    net.rpc(A, "evm_mine")
    assert heads(net) == {cid: before[cid] + 1 for cid in net.w3}  # evm_mine: every chain
    assert relays_in(net, B, n + 2) == []


def test_superchain_token_bridge_send_erc20(net: Net) -> None:
    supply = 1_000 * ETH
    token = net.create2((A, B), K0, "SuperchainERC20", "Super", "SUP", A0, supply,
                        salt=keccak(b"xrollup tests: sendERC20"))
    amount = 50 * ETH
    receipt = net.tx(A, K0, "SuperchainTokenBridge", TOKEN_BRIDGE, "sendERC20", token, A2, amount, B)
    assert receipt["status"] == "0x1"
    burns = [lg for lg in logs_with(receipt, token, TRANSFER_TOPIC) if lg["topics"][2] == word(0)]
    assert [(lg["topics"][1], int(lg["data"], 16)) for lg in burns] == [(addr_word(A0), amount)]

    # Relayed in the next superblock: minted on 902.
    [(_, relay)] = relays_in(net, B, int(net.superblock_of(A, receipt["blockNumber"])["number"], 16) + 1)
    assert relay["status"] == "0x1"
    relayed = logs_with(relay, TOKEN_BRIDGE, topic("RelayERC20(address,address,address,uint256,uint256)"))
    assert [lg["topics"][1:] for lg in relayed] == [[addr_word(token), addr_word(A0), addr_word(A2)]]
    assert decode(["uint256", "uint256"], bytes.fromhex(relayed[0]["data"][2:])) == (amount, A)
    assert net.view(A, "SuperchainERC20", token, "balanceOf", A0) == supply - amount
    assert net.view(B, "SuperchainERC20", token, "balanceOf", A2) == amount
    assert net.view(B, "SuperchainERC20", token, "balanceOf", A0) == supply
    totals = [net.view(cid, "SuperchainERC20", token, "totalSupply") for cid in (A, B)]
    assert totals == [supply - amount, supply + amount] and sum(totals) == 2 * supply
