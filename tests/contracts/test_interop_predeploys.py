"""OP interop predeploys on plain py-evm: CrossL2Inbox, the permissionless messenger relay,
SuperchainETHBridge with ETHLiquidity, supersim's L2NativeSuperchainERC20, version().

Relays here are sent by ordinary accounts with the CrossL2Inbox access list that OP's tools
build (``shared_sequencer.interop.access_list``); identifiers are those of the real logs of
the source chain's mined blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_canonical_address, to_checksum_address

import bridge_contracts
from shared_sequencer.interop import Identifier, access_list, checksum
from tests.contracts.evm_harness import (
    ALICE,
    ALICE_KEY,
    ATOMIC_BRIDGE,
    BOB,
    BOB_KEY,
    ETH_BRIDGE,
    ETH_LIQUIDITY,
    ETHER,
    GAS_PRICE,
    INBOX,
    MESSENGER,
    NATIVE_TOKEN,
    PREDEPLOYS,
    TOKEN_BRIDGE,
    Abi,
    MiniChain,
    Result,
)

A, B = 901, 902
INBOX_ABI = Abi("CrossL2Inbox")
MESSENGER_ABI = Abi("L2ToL2CrossDomainMessenger")
ETH_BRIDGE_ABI = Abi("SuperchainETHBridge")
LIQUIDITY_ABI = Abi("ETHLiquidity")
TOKEN_BRIDGE_ABI = Abi("SuperchainTokenBridge")
NATIVE_ABI = Abi("L2NativeSuperchainERC20")
GATED = Abi("GatedReceiver")
ATOMIC = Abi("AtomicBridge")


@dataclass(frozen=True)
class SentLog:
    """A SentMessage log of a mined block, with the identifier OP's relayers build for it."""

    ident: Identifier
    payload: bytes

    def relay_data(self, ident: Identifier | None = None) -> bytes:
        i = ident or self.ident
        return MESSENGER_ABI.encode_call("relayMessage", i.as_abi(), self.payload)

    def declared(self) -> Any:
        return access_list(self.ident, self.payload)


def view(chain: MiniChain, abi: Abi, to: str, fn: str, *args: object) -> Any:
    res = chain.call(ALICE, to, abi.encode_call(fn, *args))
    assert res.ok, res.output.hex()
    out = abi.decode_output(fn, res.output)
    return out[0] if len(out) == 1 else out


def sent_logs(chain: MiniChain, res: Result) -> list[SentLog]:
    """The SentMessage logs of the transaction just mined (one transaction per block)."""
    assert res.ok, res.output.hex()
    head = chain.chain.get_canonical_head()
    out = []
    for index, (address, topics, data) in enumerate(res.logs()):
        if address == to_checksum_address(MESSENGER) and topics[0] == MESSENGER_ABI.event_topic("SentMessage"):
            ident = Identifier(to_canonical_address(MESSENGER), head.block_number, index, head.timestamp,
                               chain.chain_id)
            out.append(SentLog(ident, b"".join(topics) + data))
    return out


def events(res: Result, address: str, abi: Abi, name: str) -> list[tuple[list[bytes], bytes]]:
    topic = abi.event_topic(name)
    return [(t, d) for (a, t, d) in res.logs() if a == to_checksum_address(address) and t and t[0] == topic]


def message_hash(dst: int, src: int, nonce: int, sender: str, target: str, message: bytes) -> bytes:
    return keccak(encode(["uint256", "uint256", "uint256", "address", "address", "bytes"],
                         [dst, src, nonce, sender, target, message]))


# ------------------------------------------------------------------------------ CrossL2Inbox


def test_inbox_checksum_is_ops_and_the_sequencers() -> None:
    chain = MiniChain(A)
    # OP's own test vector (@eth-optimism/viem encodeAccessList.spec.ts)
    payload = bytes.fromhex(
        "382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320"
        "0000000000000000000000000000000000000000000000000000000000000386"
        "0000000000000000000000004200000000000000000000000000000000000028"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000004200000000000000000000000000000000000028"
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000084"
        "7cfd6dbc000000000000000000000000420beef00000000000000000000000000000000100000000"
        "0000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb9226600000000000000000000000"
        "0f39fd6e51aad88f6f4ce6ab8827279cfffb9226600000000000000000000000000000000000000"
        "000000000000000000000003e800000000000000000000000000000000000000000000000000000000"
    )
    ident = Identifier(to_canonical_address(MESSENGER), 14, 2, 1743801675, 901)
    expected = bytes.fromhex("03c6d2648cef120ce1d7ccf9f8d4042d6b25ff30a02e22d9ea2a47d2677ccb8d")
    assert checksum(ident, keccak(payload)) == expected
    assert view(chain, INBOX_ABI, INBOX, "calculateChecksum", ident.as_abi(), keccak(payload)) == expected
    wide = replace(ident, chain_id=2**64 - 1 + 20)
    assert view(chain, INBOX_ABI, INBOX, "calculateChecksum", wide.as_abi(), keccak(payload)) == bytes.fromhex(
        "03ffd9bcc97d1c56ae1e5727287611dc92241680d1e32e590d919b5b458c9204")
    for field, error in (("block_number", "BlockNumberTooHigh"), ("log_index", "LogIndexTooHigh"),
                         ("timestamp", "TimestampTooHigh")):
        too_high = replace(ident, **{field: 2**64})
        res = chain.call(ALICE, INBOX, INBOX_ABI.encode_call("calculateChecksum", too_high.as_abi(), keccak(payload)))
        assert res.revert_data == INBOX_ABI.error_data(error)


def test_inbox_accepts_a_declared_real_log_and_refuses_each_wrong_field() -> None:
    a, b = MiniChain(A), MiniChain(B)
    res = a.transact(ALICE_KEY, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, BOB, b"hello"))
    [sent] = sent_logs(a, res)
    assert sent.ident.block_number == 1 and sent.ident.chain_id == A
    msg_hash = keccak(sent.payload)

    ok = b.transact(BOB_KEY, INBOX, INBOX_ABI.encode_call("validateMessage", sent.ident.as_abi(), msg_hash),
                    access_list=sent.declared())
    assert ok.ok, ok.output.hex()
    [(topics, data)] = events(ok, INBOX, INBOX_ABI, "ExecutingMessage")
    assert topics[1] == msg_hash
    assert decode(["(address,uint256,uint256,uint256,uint256)"], data)[0] == (
        MESSENGER.lower(), sent.ident.block_number, sent.ident.log_index, sent.ident.timestamp, A)

    # Not declared at all, or any field other than the declared one: NotInAccessList.
    not_in_list = INBOX_ABI.error_data("NotInAccessList")
    assert b.call(BOB, INBOX, INBOX_ABI.encode_call("validateMessage", sent.ident.as_abi(), msg_hash)).revert_data \
        == not_in_list
    wrong = {
        "origin": (replace(sent.ident, origin=to_canonical_address(ALICE)), msg_hash),
        "block number": (replace(sent.ident, block_number=2), msg_hash),
        "log index": (replace(sent.ident, log_index=1), msg_hash),
        "timestamp": (replace(sent.ident, timestamp=sent.ident.timestamp + 1), msg_hash),
        "chain id": (replace(sent.ident, chain_id=B), msg_hash),
        "payload hash": (sent.ident, keccak(b"another payload")),
    }
    for field, (ident, h) in wrong.items():
        res = b.call(BOB, INBOX, INBOX_ABI.encode_call("validateMessage", ident.as_abi(), h),
                     access_list=sent.declared())
        assert res.revert_data == not_in_list, field


# --------------------------------------------------------------------- messenger relaying


def test_relay_is_permissionless_and_a_replay_is_refused() -> None:
    a, b = MiniChain(A), MiniChain(B)
    gated = b.deploy(ALICE_KEY, "GatedReceiver")
    b.transact(ALICE_KEY, gated, GATED.encode_call("setOpen", True))
    message = GATED.encode_call("receiveMessage", 5)
    res = a.transact(ALICE_KEY, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, gated, message))
    (returned,) = decode(["bytes32"], res.output)
    [sent] = sent_logs(a, res)
    h = message_hash(B, A, 0, ALICE, gated, message)
    assert returned == h
    assert view(a, MESSENGER_ABI, MESSENGER, "sentMessages", h) is True
    assert view(b, MESSENGER_ABI, MESSENGER, "sentMessages", h) is False

    # BOB, an ordinary account, relays it.
    relay = b.transact(BOB_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert relay.ok, relay.output.hex()
    assert decode(["bytes"], relay.output)[0] == encode(["uint256"], [1])  # the target's return data
    [(topics, data)] = events(relay, MESSENGER, MESSENGER_ABI, "RelayedMessage")
    assert topics[1:] == [encode(["uint256"], [A]), encode(["uint256"], [0]), h]
    assert data == keccak(encode(["uint256"], [1]))
    assert events(relay, INBOX, INBOX_ABI, "ExecutingMessage")
    assert view(b, MESSENGER_ABI, MESSENGER, "successfulMessages", h) is True
    assert view(b, GATED, gated, "deliveries") == 1

    # Anyone relaying it again: MessageAlreadyRelayed, nothing delivered twice.
    again = b.transact(ALICE_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert again.revert_data == MESSENGER_ABI.error_data("MessageAlreadyRelayed")
    assert view(b, GATED, gated, "deliveries") == 1

    # OP's other relay checks, in OP's order.
    bad_origin = replace(sent.ident, origin=to_canonical_address(ALICE))
    res = b.call(BOB, MESSENGER, sent.relay_data(bad_origin), access_list=sent.declared())
    assert res.revert_data == MESSENGER_ABI.error_data("IdOriginNotL2ToL2CrossDomainMessenger")
    res = a.call(BOB, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert res.revert_data == MESSENGER_ABI.error_data("MessageDestinationNotRelayChain")
    not_sent = SentLog(sent.ident, b"\x00" * 32 + sent.payload[32:])
    res = b.call(BOB, MESSENGER, not_sent.relay_data(), access_list=not_sent.declared())
    assert res.revert_data == MESSENGER_ABI.error_data("EventPayloadNotSentMessage")
    for target in (INBOX, MESSENGER):
        res = a.call(ALICE, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, target, b""))
        name = "MessageTargetCrossL2Inbox" if target == INBOX else "MessageTargetL2ToL2CrossDomainMessenger"
        assert res.revert_data == MESSENGER_ABI.error_data(name)
    assert not [e for e in MESSENGER_ABI.abi if e.get("name") == "OnlySequencer"]  # OP's error set only


def test_failed_relay_fixed_by_its_target_is_delivered_exactly_once() -> None:
    a, b = MiniChain(A), MiniChain(B)
    gated = b.deploy(ALICE_KEY, "GatedReceiver")  # closed: deliveries revert Closed()
    message = GATED.encode_call("receiveMessage", 7)
    [sent] = sent_logs(a, a.transact(ALICE_KEY, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, gated, message)))
    h = message_hash(B, A, 0, ALICE, gated, message)

    failed = b.transact(BOB_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert failed.revert_data == GATED.error_data("Closed")  # the target's own revert data, as OP
    assert view(b, MESSENGER_ABI, MESSENGER, "successfulMessages", h) is False

    # resendMessage re-emits the same SentMessage on the source (for relayers to pick it up).
    resent = a.transact(BOB_KEY, MESSENGER, MESSENGER_ABI.encode_call("resendMessage", B, 0, ALICE, gated, message))
    assert decode(["bytes32"], resent.output)[0] == h
    [again] = sent_logs(a, resent)
    assert again.payload == sent.payload and again.ident.block_number == sent.ident.block_number + 1
    unknown = a.call(BOB, MESSENGER, MESSENGER_ABI.encode_call("resendMessage", B, 1, ALICE, gated, message))
    assert unknown.revert_data == MESSENGER_ABI.error_data("InvalidMessage")

    # The target is fixed; the same relay (either log) now delivers, once.
    b.transact(ALICE_KEY, gated, GATED.encode_call("setOpen", True))
    ok = b.transact(BOB_KEY, MESSENGER, again.relay_data(), access_list=again.declared())
    assert ok.ok, ok.output.hex()
    assert view(b, MESSENGER_ABI, MESSENGER, "successfulMessages", h) is True
    late = b.transact(BOB_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert late.revert_data == MESSENGER_ABI.error_data("MessageAlreadyRelayed")
    assert (view(b, GATED, gated, "deliveries"), view(b, GATED, gated, "total")) == (1, 7)


# ------------------------------------------------------------------- SuperchainETHBridge


def test_send_eth_and_relay_eth_conserve_eth() -> None:
    a, b = MiniChain(A), MiniChain(B)
    pool = bridge_contracts.ETH_LIQUIDITY_BALANCE
    assert a.balance(ETH_LIQUIDITY) == b.balance(ETH_LIQUIDITY) == pool
    amount = 3 * ETHER
    alice_before, bob_before = a.balance(ALICE), b.balance(BOB)

    res = a.transact(ALICE_KEY, ETH_BRIDGE, ETH_BRIDGE_ABI.encode_call("sendETH", BOB, B), value=amount)
    [sent] = sent_logs(a, res)
    gas_paid = res.receipt.gas_used * GAS_PRICE if res.receipt else 0
    assert a.balance(ALICE) == alice_before - amount - gas_paid
    assert a.balance(ETH_LIQUIDITY) == pool + amount and a.balance(ETH_BRIDGE) == 0
    [(topics, data)] = events(res, ETH_BRIDGE, ETH_BRIDGE_ABI, "SendETH")
    assert topics[1:] == [encode(["address"], [ALICE]), encode(["address"], [BOB])]
    assert decode(["uint256", "uint256"], data) == (amount, B)
    assert events(res, ETH_LIQUIDITY, LIQUIDITY_ABI, "LiquidityBurned")
    message = ETH_BRIDGE_ABI.encode_call("relayETH", ALICE, BOB, amount)
    assert decode(["bytes32"], res.output)[0] == message_hash(B, A, 0, ETH_BRIDGE, ETH_BRIDGE, message)

    # Relayed on B by a third party: BOB receives exactly `amount`, out of B's liquidity.
    relay = b.transact(ALICE_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert relay.ok, relay.output.hex()
    assert b.balance(BOB) == bob_before + amount
    assert b.balance(ETH_LIQUIDITY) == pool - amount and b.balance(ETH_BRIDGE) == 0
    [(topics, data)] = events(relay, ETH_BRIDGE, ETH_BRIDGE_ABI, "RelayETH")
    assert topics[1:] == [encode(["address"], [ALICE]), encode(["address"], [BOB])]
    assert decode(["uint256", "uint256"], data) == (amount, A)
    assert events(relay, ETH_LIQUIDITY, LIQUIDITY_ABI, "LiquidityMinted")
    # Conservation: what left ALICE on A is what BOB got on B; the two pools together are unchanged.
    assert a.balance(ETH_LIQUIDITY) + b.balance(ETH_LIQUIDITY) == 2 * pool

    # Only the messenger relaying the bridge's own message may pay out; only the bridge uses the pool.
    res = b.call(ALICE, ETH_BRIDGE, ETH_BRIDGE_ABI.encode_call("relayETH", ALICE, ALICE, ETHER))
    assert res.revert_data == ETH_BRIDGE_ABI.error_data("Unauthorized")
    forged = a.transact(ALICE_KEY, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, ETH_BRIDGE, message))
    [fake] = sent_logs(a, forged)
    res = b.call(ALICE, MESSENGER, fake.relay_data(), access_list=fake.declared())
    assert res.revert_data == ETH_BRIDGE_ABI.error_data("InvalidCrossDomainSender")
    assert b.call(ALICE, ETH_LIQUIDITY, LIQUIDITY_ABI.encode_call("mint", ETHER)).revert_data == \
        LIQUIDITY_ABI.error_data("Unauthorized")
    assert b.call(ALICE, ETH_LIQUIDITY, LIQUIDITY_ABI.encode_call("burn"), value=1).revert_data == \
        LIQUIDITY_ABI.error_data("Unauthorized")
    res = a.call(ALICE, ETH_BRIDGE, ETH_BRIDGE_ABI.encode_call("sendETH", "0x" + "00" * 20, B), value=1)
    assert res.revert_data == ETH_BRIDGE_ABI.error_data("ZeroAddress")


# ------------------------------------------------------------ supersim's test token


def test_l2_native_superchain_erc20_mint_and_bridge() -> None:
    a, b = MiniChain(A), MiniChain(B)
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "name") == "L2NativeSuperchainERC20"
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "symbol") == "MOCK"
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "decimals") == 18
    for iface in ("0x33331994", "0x36372b07", "0x01ffc9a7"):  # ERC-7802, ERC-20, ERC-165
        assert view(a, NATIVE_ABI, NATIVE_TOKEN, "supportsInterface", bytes.fromhex(iface[2:])) is True

    # Open mint, as supersim's first steps use it.
    res = a.transact(ALICE_KEY, NATIVE_TOKEN, NATIVE_ABI.encode_call("mint", ALICE, 1000))
    assert res.ok and events(res, NATIVE_TOKEN, NATIVE_ABI, "Mint")
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "balanceOf", ALICE) == 1000

    # OP's token bridge burns on A, the relay mints on B.
    res = a.transact(ALICE_KEY, TOKEN_BRIDGE, TOKEN_BRIDGE_ABI.encode_call("sendERC20", NATIVE_TOKEN, BOB, 400, B))
    [sent] = sent_logs(a, res)
    assert events(res, NATIVE_TOKEN, NATIVE_ABI, "CrosschainBurn")
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "balanceOf", ALICE) == 600
    relay = b.transact(BOB_KEY, MESSENGER, sent.relay_data(), access_list=sent.declared())
    assert relay.ok, relay.output.hex()
    assert events(relay, NATIVE_TOKEN, NATIVE_ABI, "CrosschainMint")
    assert view(b, NATIVE_ABI, NATIVE_TOKEN, "balanceOf", BOB) == 400
    assert view(a, NATIVE_ABI, NATIVE_TOKEN, "totalSupply") + view(b, NATIVE_ABI, NATIVE_TOKEN, "totalSupply") == 1000

    # xrollup's atomic bridge may move it too (synchronously, through the mailbox).
    res = a.call(ALICE, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeERC20", NATIVE_TOKEN, BOB, 1, B))
    assert res.revert_data[:4] == bytes.fromhex("79a0e91d")  # MissingResponse: the sequencer's cue
    # Nobody else may crosschainMint/Burn; plain ERC-20 errors are solady's, as OP's.
    res = a.call(ALICE, NATIVE_TOKEN, NATIVE_ABI.encode_call("crosschainMint", ALICE, 1))
    assert res.revert_data == NATIVE_ABI.error_data("Unauthorized")
    res = a.call(ALICE, NATIVE_TOKEN, NATIVE_ABI.encode_call("transfer", BOB, 601))
    assert res.revert_data == NATIVE_ABI.error_data("InsufficientBalance")
    res = a.call(BOB, NATIVE_TOKEN, NATIVE_ABI.encode_call("transferFrom", ALICE, BOB, 1))
    assert res.revert_data == NATIVE_ABI.error_data("InsufficientAllowance")
    res = a.call(ALICE, NATIVE_TOKEN, NATIVE_ABI.encode_call("mint", "0x" + "00" * 20, 1))
    assert res.revert_data == NATIVE_ABI.error_data("ZeroAddress")


# ------------------------------------------------------------------------------ version()

VERSIONS = {
    "CrossL2Inbox": "1.0.0",
    "L2ToL2CrossDomainMessenger": "1.1.0",
    "SuperchainETHBridge": "1.0.1",
    "ETHLiquidity": "1.0.1",
    "SuperchainTokenBridge": "1.0.0",
    "L2NativeSuperchainERC20": "1.0.2",
    "Mailbox": "1.0.0",
    "AtomicBridge": "1.0.0",
}


@pytest.mark.parametrize("address", sorted(PREDEPLOYS))
def test_every_predeploy_has_a_version(address: str) -> None:
    name = PREDEPLOYS[address]
    chain = MiniChain(A)
    abi = Abi(name)
    assert view(chain, abi, address, "version") == VERSIONS[name]
    assert chain.code(address), name
