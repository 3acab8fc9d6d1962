"""The Solidity contracts on plain py-evm (Prague), without the devnet.

Chains are simulated by ``MiniChain`` (one py-evm chain per chain id, predeploys in genesis)
and cross-chain calls are resolved by ``ToySequencer``, the reference for how the real
sequencer must drive the mailbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_canonical_address, to_checksum_address

from shared_sequencer.interop import Identifier, access_list
from tests.contracts.evm_harness import (
    ALICE,
    ALICE_KEY,
    ATOMIC_BRIDGE,
    BOB,
    BOB_KEY,
    ETHER,
    MAILBOX,
    MAILBOX_ABI,
    MAILBOX_POOL,
    MESSENGER,
    SEQUENCER,
    SEQUENCER_KEY,
    TOKEN_BRIDGE,
    Abi,
    AccessList,
    MiniChain,
    Result,
    ToySequencer,
    error_string,
    find_missing_response,
    request_id,
)

A, B, C = 901, 902, 903
ZERO32 = b"\x00" * 32
COUNTER = Abi("Counter")
TOKEN = Abi("TestToken")
SUPER = Abi("SuperchainERC20")
MESSENGER_ABI = Abi("L2ToL2CrossDomainMessenger")
TOKEN_BRIDGE_ABI = Abi("SuperchainTokenBridge")
ATOMIC = Abi("AtomicBridge")
POOL = Abi("SimplePool")
ROUTER = Abi("CrossSwapRouter")
PANIC = bytes.fromhex("4e487b71")
INBOX_ABI = Abi("CrossL2Inbox")


def view(chain: MiniChain, abi: Abi, to: str, fn: str, *args: object) -> Any:
    res = chain.call(ALICE, to, abi.encode_call(fn, *args))
    assert res.ok, res.output.hex()
    out = abi.decode_output(fn, res.output)
    return out[0] if len(out) == 1 else out


def logs_of(res: Result, address: str, abi: Abi, event: str) -> list[tuple[list[bytes], bytes]]:
    topic = abi.event_topic(event)
    return [(t, d) for (a, t, d) in res.logs() if a == to_checksum_address(address) and t and t[0] == topic]


# ------------------------------------------------------------------------------ constants


def test_sequencer_address_is_derived_from_the_documented_key() -> None:
    import re

    from eth_account import Account

    import bridge_contracts

    key = keccak(text="xrollup sequencer")
    assert "0x" + key.hex() == bridge_contracts.SEQUENCER_PRIVATE_KEY
    assert Account.from_key(key).address == SEQUENCER
    # the Python constants mirror src/libraries/Predeploys.sol
    sol = (bridge_contracts.ARTIFACTS_DIR.parent / "src/libraries/Predeploys.sol").read_text()
    consts = dict(re.findall(r"address internal constant (\w+) = (0x[0-9a-fA-F]{40});", sol))
    assert consts == {
        "SEQUENCER": bridge_contracts.SEQUENCER_ADDRESS,
        "L2_TO_L2_CROSS_DOMAIN_MESSENGER": bridge_contracts.L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS,
        "SUPERCHAIN_TOKEN_BRIDGE": bridge_contracts.SUPERCHAIN_TOKEN_BRIDGE_ADDRESS,
        "CROSS_L2_INBOX": bridge_contracts.CROSS_L2_INBOX_ADDRESS,
        "SUPERCHAIN_ETH_BRIDGE": bridge_contracts.SUPERCHAIN_ETH_BRIDGE_ADDRESS,
        "ETH_LIQUIDITY": bridge_contracts.ETH_LIQUIDITY_ADDRESS,
        "L2_NATIVE_SUPERCHAIN_ERC20": bridge_contracts.L2_NATIVE_SUPERCHAIN_ERC20_ADDRESS,
        "MAILBOX": bridge_contracts.MAILBOX_ADDRESS,
        "ATOMIC_BRIDGE": bridge_contracts.ATOMIC_BRIDGE_ADDRESS,
    }
    assert SEQUENCER == "0x76D1A8fDB697ebacfB3727FD7D7B3ab7D481C35a"
    chain = MiniChain(A)
    assert view(chain, MAILBOX_ABI, MAILBOX, "SEQUENCER") == SEQUENCER


def test_sequencer_facing_signatures_are_stable() -> None:
    sigs = {
        MAILBOX_ABI.signature("function", "xcall"): "0x39193cfa",
        MAILBOX_ABI.signature("function", "putResponse"): "0xb393864f",
        MAILBOX_ABI.signature("function", "execute"): "0x8a91d404",
        MAILBOX_ABI.signature("error", "MissingResponse"): "0x79a0e91d",
        MAILBOX_ABI.signature("error", "OnlySequencer"): "0xbb625871",
        MESSENGER_ABI.signature("function", "relayMessage"): "0x8d1d298f",
        MESSENGER_ABI.signature("function", "sendMessage"): "0x7056f41f",
    }
    for sig, sel in sigs.items():
        assert "0x" + keccak(text=sig)[:4].hex() == sel, sig
    assert MAILBOX_ABI.signature("error", "MissingResponse") == (
        "MissingResponse(uint256,uint256,address,address,uint256,bytes)"
    )
    assert MESSENGER_ABI.signature("function", "relayMessage") == (
        "relayMessage((address,uint256,uint256,uint256,uint256),bytes)"
    )
    assert MESSENGER_ABI.event_topic("SentMessage") == view(
        MiniChain(A), MESSENGER_ABI, MESSENGER, "SENT_MESSAGE_EVENT_SELECTOR"
    )


# -------------------------------------------------------------------------------- Counter


@pytest.fixture(scope="module")
def counter_chain() -> tuple[MiniChain, str]:
    chain = MiniChain(A)
    return chain, chain.deploy(ALICE_KEY, "Counter", 41)


def test_counter_state_and_events(counter_chain: tuple[MiniChain, str]) -> None:
    chain, addr = counter_chain
    res = chain.transact(ALICE_KEY, addr, COUNTER.encode_call("increment"))
    assert res.ok
    ((topics, data),) = logs_of(res, addr, COUNTER, "Incremented")
    assert topics[1] == encode(["address"], [ALICE])
    n = decode(["uint256"], data)[0]
    assert view(chain, COUNTER, addr, "number") == n

    res = chain.transact(ALICE_KEY, addr, COUNTER.encode_call("setNumber", 1234))
    ((topics, data),) = logs_of(res, addr, COUNTER, "ValueSet")
    assert topics[1] == encode(["uint256"], [n])
    assert decode(["uint256", "string"], data) == (1234, "set")
    assert view(chain, COUNTER, addr, "number") == 1234


def test_counter_reverts(counter_chain: tuple[MiniChain, str]) -> None:
    chain, addr = counter_chain
    assert error_string(chain.call(ALICE, addr, COUNTER.encode_call("failWithReason")).revert_data) == "Counter: boom"
    data = chain.call(BOB, addr, COUNTER.encode_call("failWithCustom", 7)).revert_data
    assert data == COUNTER.error_data("CustomFailure", 7, BOB)
    assert COUNTER.selector("CustomFailure", "error") == keccak(text="CustomFailure(uint256,address)")[:4]
    data = chain.call(ALICE, addr, COUNTER.encode_call("failWithPanic")).revert_data
    assert data == PANIC + encode(["uint256"], [1])
    assert error_string(chain.call(ALICE, addr, COUNTER.encode_call("requirePositive", 0)).revert_data) == (
        "must be positive"
    )
    assert view(chain, COUNTER, addr, "requirePositive", 5) == 5
    # a mined reverting transaction: status 0, state unchanged
    before = view(chain, COUNTER, addr, "number")
    res = chain.transact(ALICE_KEY, addr, COUNTER.encode_call("failWithReason"))
    assert not res.ok and res.receipt is not None and res.receipt.state_root == b""  # status 0
    assert view(chain, COUNTER, addr, "number") == before


def test_counter_receive_blockinfo_burngas(counter_chain: tuple[MiniChain, str]) -> None:
    chain, addr = counter_chain
    res = chain.transact(BOB_KEY, addr, b"", value=5)
    assert res.ok and chain.balance(addr) >= 5
    number, timestamp, chain_id, basefee, coinbase = view(chain, COUNTER, addr, "blockInfo")
    assert chain_id == A and number >= 1 and timestamp > 1_700_000_000
    small = chain.transact(ALICE_KEY, addr, COUNTER.encode_call("burnGas", 1)).receipt
    big = chain.transact(ALICE_KEY, addr, COUNTER.encode_call("burnGas", 500)).receipt
    assert small is not None and big is not None
    assert big.gas_used > small.gas_used + 500 * 50


# ------------------------------------------------------------------------------ TestToken


def test_test_token() -> None:
    chain = MiniChain(A)
    tok = chain.deploy(ALICE_KEY, "TestToken", "Test", "TST")
    assert view(chain, TOKEN, tok, "name") == "Test" and view(chain, TOKEN, tok, "decimals") == 18
    res = chain.transact(BOB_KEY, tok, TOKEN.encode_call("mint", ALICE, 1000))
    ((topics, data),) = logs_of(res, tok, TOKEN, "Transfer")
    assert topics[1] == ZERO32 and decode(["uint256"], data)[0] == 1000
    assert chain.transact(ALICE_KEY, tok, TOKEN.encode_call("transfer", BOB, 300)).ok
    assert view(chain, TOKEN, tok, "balanceOf", ALICE) == 700
    assert view(chain, TOKEN, tok, "balanceOf", BOB) == 300
    assert view(chain, TOKEN, tok, "totalSupply") == 1000
    res = chain.call(ALICE, tok, TOKEN.encode_call("transfer", BOB, 701))
    assert error_string(res.revert_data) == "ERC20: insufficient balance"
    res = chain.transact(ALICE_KEY, tok, TOKEN.encode_call("approve", BOB, 100))
    assert logs_of(res, tok, TOKEN, "Approval")
    assert view(chain, TOKEN, tok, "allowance", ALICE, BOB) == 100
    res = chain.call(BOB, tok, TOKEN.encode_call("transferFrom", ALICE, BOB, 101))
    assert error_string(res.revert_data) == "ERC20: insufficient allowance"
    assert chain.transact(BOB_KEY, tok, TOKEN.encode_call("transferFrom", ALICE, BOB, 100)).ok
    assert view(chain, TOKEN, tok, "allowance", ALICE, BOB) == 0
    assert view(chain, TOKEN, tok, "balanceOf", BOB) == 400


# -------------------------------------------------------------------------------- Mailbox


def test_mailbox_access_control_and_errors() -> None:
    chain = MiniChain(A)
    put = MAILBOX_ABI.encode_call("putResponse", B, ZERO32, True, b"")
    ex = MAILBOX_ABI.encode_call("execute", B, 0, ALICE, ALICE, 0, b"")
    for data in (put, ex):
        assert chain.call(ALICE, MAILBOX, data).revert_data == MAILBOX_ABI.error_data("OnlySequencer")
    for fn in ("xMsgSender", "xMsgSourceChain"):
        assert chain.call(ALICE, MAILBOX, MAILBOX_ABI.encode_call(fn)).revert_data == MAILBOX_ABI.error_data(
            "NotInXCall"
        )
    for bad in (0, A):
        res = chain.call(ALICE, MAILBOX, MAILBOX_ABI.encode_call("xcall", bad, BOB, b""))
        assert res.revert_data == MAILBOX_ABI.error_data("InvalidDestination", bad)
        res = chain.call(SEQUENCER, MAILBOX, MAILBOX_ABI.encode_call("execute", bad, 0, ALICE, BOB, 0, b""))
        assert res.revert_data == MAILBOX_ABI.error_data("InvalidSource", bad)


def test_mailbox_missing_response_shape() -> None:
    chain = MiniChain(A)
    res = chain.call(ALICE, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, BOB, b"\x12\x34"), value=7)
    assert res.revert_data == MAILBOX_ABI.error_data("MissingResponse", B, 0, ALICE, BOB, 7, b"\x12\x34")
    assert res.revert_data[:4].hex() == "79a0e91d"
    assert find_missing_response(res) == (B, 0, ALICE, BOB, 7, b"\x12\x34")
    rid = request_id(A, B, 0, ALICE, BOB, 7, b"\x12\x34")
    on_chain = view(chain, MAILBOX_ABI, MAILBOX, "computeRequestId", A, B, 0, ALICE, BOB, 7, b"\x12\x34")
    assert on_chain == rid
    # nested: the revert comes from the mailbox deep in the tree (AtomicBridge -> Mailbox)
    res = chain.call(ALICE, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeETH", BOB, B), value=3)
    assert find_missing_response(res) == (
        B,
        0,
        ATOMIC_BRIDGE,
        ATOMIC_BRIDGE,
        3,
        ATOMIC.encode_call("receiveETH", ALICE, BOB),
    )


def _rolling(h: bytes, rid: bytes) -> bytes:
    return keccak(encode(["bytes32", "bytes32"], [h, rid]))


def _rolling_resp(h: bytes, rid: bytes, ok: bool, ret: bytes) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bool", "bytes32"], [h, rid, ok, keccak(ret)]))


def test_mailbox_round_trip_step_by_step() -> None:
    a, b = MiniChain(A), MiniChain(B)
    counter = b.deploy(BOB_KEY, "Counter", 10)
    call = COUNTER.encode_call("increment")
    xcall = MAILBOX_ABI.encode_call("xcall", B, counter, call)

    # 1. simulate on A: missing response for nonce 0
    missing = find_missing_response(a.call(ALICE, MAILBOX, xcall))
    assert missing == (B, 0, ALICE, counter, 0, call)
    rid = request_id(A, B, 0, ALICE, counter, 0, call)

    # 2. execute on B (sequencer system tx)
    res = b.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("execute", A, 0, ALICE, counter, 0, call))
    assert res.ok
    ok, ret = MAILBOX_ABI.decode_output("execute", res.output)
    assert ok and ret == b""
    assert view(b, COUNTER, counter, "number") == 11
    ((topics, data),) = logs_of(res, MAILBOX, MAILBOX_ABI, "XCallExecuted")
    assert topics[1:] == [encode(["uint256"], [A]), encode(["uint256"], [0]), rid]
    assert decode(["bool", "bytes"], data) == (True, b"")
    assert view(b, MAILBOX_ABI, MAILBOX, "executed", rid) is True
    again = b.call(SEQUENCER, MAILBOX, MAILBOX_ABI.encode_call("execute", A, 0, ALICE, counter, 0, call))
    assert again.revert_data == MAILBOX_ABI.error_data("AlreadyExecuted", rid)

    # 3. pre-fill A's inbox
    res = a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, ok, ret))
    assert res.ok and logs_of(res, MAILBOX, MAILBOX_ABI, "ResponseStored")
    assert view(a, MAILBOX_ABI, MAILBOX, "getResponse", rid) == (True, True, b"")

    # 4. the user's transaction now goes through
    res = a.transact(ALICE_KEY, MAILBOX, xcall)
    assert res.ok and MAILBOX_ABI.decode_output("xcall", res.output) == (b"",)
    ((topics, data),) = logs_of(res, MAILBOX, MAILBOX_ABI, "XCall")
    assert topics[1:] == [encode(["uint256"], [B]), encode(["uint256"], [0]), encode(["address"], [ALICE])]
    assert decode(["address", "uint256", "bytes32", "bool"], data) == (counter.lower(), 0, rid, True)
    assert view(a, MAILBOX_ABI, MAILBOX, "outNonce", B) == 1
    assert view(a, MAILBOX_ABI, MAILBOX, "responseConsumed", rid) is True

    # rolling hashes, by formula, on both sides
    req = _rolling(ZERO32, rid)
    resp = _rolling_resp(ZERO32, rid, True, b"")
    assert view(a, MAILBOX_ABI, MAILBOX, "requestsOut", B) == req == view(b, MAILBOX_ABI, MAILBOX, "requestsIn", A)
    assert view(b, MAILBOX_ABI, MAILBOX, "responsesOut", A) == resp == view(a, MAILBOX_ABI, MAILBOX, "responsesIn", B)

    # a consumed response cannot be overwritten; the next call gets a fresh nonce
    res = a.call(SEQUENCER, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, True, b""))
    assert res.revert_data == MAILBOX_ABI.error_data("ResponseAlreadyConsumed", rid)
    assert find_missing_response(a.call(ALICE, MAILBOX, xcall)) == (B, 1, ALICE, counter, 0, call)


def test_mailbox_return_data_and_failure_bubbling() -> None:
    a, b = MiniChain(A), MiniChain(B)
    seq = ToySequencer([a, b])
    counter = b.deploy(BOB_KEY, "Counter", 10)

    res = seq.send(
        A, ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, counter, COUNTER.encode_call("requirePositive", 9))
    )
    assert res.ok
    (ret,) = MAILBOX_ABI.decode_output("xcall", res.output)
    assert decode(["uint256"], ret) == (9,)
    seq.assert_consistent()
    hashes = seq.hashes(A, B)

    for fn, args in (("failWithReason", ()), ("failWithCustom", (5,)), ("failWithPanic", ())):
        call = COUNTER.encode_call(fn, *args)
        direct = b.call(MAILBOX, counter, call).revert_data
        res = seq.send(A, ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, counter, call))
        assert not res.ok
        assert res.revert_data == direct  # the far side's revert data, verbatim
        assert seq.executed[-1][3] is False
    # failed requests leave every rolling hash, and the nonce, untouched on both sides
    assert seq.hashes(A, B) == hashes
    assert view(a, MAILBOX_ABI, MAILBOX, "outNonce", B) == 1
    seq.assert_consistent()


def test_mailbox_value_and_xmsg_context_via_atomic_bridge_eth() -> None:
    a, b = MiniChain(A), MiniChain(B)
    seq = ToySequencer([a, b])
    carol = "0x000000000000000000000000000000000000CA01"
    res = seq.send(A, ALICE_KEY, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeETH", carol, B), value=2 * ETHER)
    assert res.ok
    assert a.balance(MAILBOX) == MAILBOX_POOL + 2 * ETHER  # locked on the source
    assert b.balance(MAILBOX) == MAILBOX_POOL - 2 * ETHER  # paid from the pool
    assert b.balance(carol) == 2 * ETHER
    assert logs_of(res, ATOMIC_BRIDGE, ATOMIC, "SentETH")
    seq.assert_consistent()

    # only the mailbox, executing a request from the AtomicBridge itself, may deliver
    res = b.call(ALICE, ATOMIC_BRIDGE, ATOMIC.encode_call("receiveETH", ALICE, ALICE))
    assert res.revert_data == ATOMIC.error_data("Unauthorized")
    forged = MAILBOX_ABI.encode_call(
        "execute", A, 99, ALICE, ATOMIC_BRIDGE, ETHER, ATOMIC.encode_call("receiveETH", ALICE, ALICE)
    )
    ok, ret = MAILBOX_ABI.decode_output("execute", b.call(SEQUENCER, MAILBOX, forged).output)
    assert not ok and ret == ATOMIC.error_data("InvalidCrossDomainSender")


def test_mailbox_nested_a_to_b_to_c() -> None:
    """A -> B -> C: on B the mailbox executes AtomicBridge.bridgeETH, which xcalls C."""
    chains = [MiniChain(A), MiniChain(B), MiniChain(C)]
    a, b, c = chains
    seq = ToySequencer(chains)
    dave = "0x000000000000000000000000000000000000DA7E"
    inner = ATOMIC.encode_call("bridgeETH", dave, C)
    res = seq.send(A, ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, ATOMIC_BRIDGE, inner), value=ETHER)
    assert res.ok
    assert c.balance(dave) == ETHER
    assert a.balance(MAILBOX) == MAILBOX_POOL + ETHER
    assert b.balance(MAILBOX) == MAILBOX_POOL  # paid out and locked again
    assert c.balance(MAILBOX) == MAILBOX_POOL - ETHER
    assert [(s, d, ok) for (s, d, _, ok) in seq.executed] == [(B, C, True), (A, B, True)]
    seq.assert_consistent()
    assert view(b, MAILBOX_ABI, MAILBOX, "requestsOut", C) != ZERO32


# ------------------------------------------------------- SuperchainERC20 and the bridges


DEPLOYER_KEY = SEQUENCER_KEY.__class__(b"\x33" * 32)
DEPLOYER = to_checksum_address(DEPLOYER_KEY.public_key.to_canonical_address())


def _chains_with_super_token(*ids: int, supply: int = 1000) -> tuple[list[MiniChain], str]:
    chains = [MiniChain(i, extra_accounts=[DEPLOYER]) for i in ids]
    addrs = {ch.deploy(DEPLOYER_KEY, "SuperchainERC20", "Super", "SUP", ALICE, supply) for ch in chains}
    assert len(addrs) == 1  # same deployer, same nonce: same address everywhere
    return chains, addrs.pop()


def test_superchain_erc20_permissions_and_erc165() -> None:
    (a,), tok = _chains_with_super_token(A)
    assert view(a, SUPER, tok, "balanceOf", ALICE) == 1000
    for fn in ("crosschainMint", "crosschainBurn"):
        assert a.call(ALICE, tok, SUPER.encode_call(fn, ALICE, 1)).revert_data == SUPER.error_data("Unauthorized")
    for bridge in (TOKEN_BRIDGE, ATOMIC_BRIDGE):
        assert a.call(bridge, tok, SUPER.encode_call("crosschainMint", BOB, 5)).ok
    assert view(a, SUPER, tok, "supportsInterface", bytes.fromhex("33331994")) is True
    assert view(a, SUPER, tok, "supportsInterface", bytes.fromhex("01ffc9a7")) is True
    assert view(a, SUPER, tok, "supportsInterface", bytes.fromhex("36372b07")) is True  # IERC20
    assert view(a, SUPER, tok, "supportsInterface", bytes.fromhex("ffffffff")) is False


def test_atomic_bridge_erc20() -> None:
    (a, b), tok = _chains_with_super_token(A, B)
    seq = ToySequencer([a, b])
    res = seq.send(A, ALICE_KEY, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeERC20", tok, BOB, 400, B))
    assert res.ok
    assert view(a, SUPER, tok, "balanceOf", ALICE) == 600 and view(a, SUPER, tok, "totalSupply") == 600
    assert view(b, SUPER, tok, "balanceOf", BOB) == 400 and view(b, SUPER, tok, "totalSupply") == 1400
    seq.assert_consistent()
    # burning more than the balance fails on A before any request is made
    res = seq.send(A, ALICE_KEY, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeERC20", tok, BOB, 601, B))
    assert error_string(res.revert_data) == "ERC20: burn amount exceeds balance"
    # a token that is not ERC-7802
    plain = a.deploy(ALICE_KEY, "TestToken", "T", "T")
    res = a.call(ALICE, ATOMIC_BRIDGE, ATOMIC.encode_call("bridgeERC20", plain, BOB, 1, B))
    assert res.revert_data == ATOMIC.error_data("InvalidERC7802")


def _relay_args(log: tuple[list[bytes], bytes], block_number: int, log_index: int, source: int) -> bytes:
    topics, data = log
    sent = b"".join(topics) + data
    ident = (MESSENGER, block_number, log_index, 1_700_000_000, source)
    return MESSENGER_ABI.encode_call("relayMessage", ident, sent)


def _relay_access(log: tuple[list[bytes], bytes], block_number: int, log_index: int, source: int) -> AccessList:
    """The CrossL2Inbox access list that declares the log that ``_relay_args`` names."""
    topics, data = log
    ident = Identifier(to_canonical_address(MESSENGER), block_number, log_index, 1_700_000_000, source)
    return access_list(ident, b"".join(topics) + data)


def test_messenger_and_superchain_token_bridge() -> None:
    (a, b, c), tok = _chains_with_super_token(A, B, C)
    assert view(a, MESSENGER_ABI, MESSENGER, "messageNonce") == 0
    res = a.transact(ALICE_KEY, TOKEN_BRIDGE, TOKEN_BRIDGE_ABI.encode_call("sendERC20", tok, BOB, 250, B))
    assert res.ok
    (msg_hash,) = decode(["bytes32"], res.output)
    assert view(a, SUPER, tok, "balanceOf", ALICE) == 750
    assert view(a, MESSENGER_ABI, MESSENGER, "messageNonce") == 1
    (log,) = logs_of(res, MESSENGER, MESSENGER_ABI, "SentMessage")
    topics, data = log
    assert topics[1:] == [encode(["uint256"], [B]), encode(["address"], [TOKEN_BRIDGE]), encode(["uint256"], [0])]
    sender, message = decode(["address", "bytes"], data)
    assert sender == TOKEN_BRIDGE.lower()
    assert message == TOKEN_BRIDGE_ABI.encode_call("relayERC20", tok, ALICE, BOB, 250)
    expected_hash = keccak(
        encode(
            ["uint256", "uint256", "uint256", "address", "address", "bytes"],
            [B, A, 0, TOKEN_BRIDGE, TOKEN_BRIDGE, message],
        )
    )
    assert msg_hash == expected_hash
    assert logs_of(res, TOKEN_BRIDGE, TOKEN_BRIDGE_ABI, "SendERC20")

    relay, declared = _relay_args(log, 1, 2, A), _relay_access(log, 1, 2, A)
    # a relay that does not declare its log for CrossL2Inbox is refused there
    assert b.call(ALICE, MESSENGER, relay).revert_data == INBOX_ABI.error_data("NotInAccessList")
    assert c.call(SEQUENCER, MESSENGER, relay, access_list=declared).revert_data == MESSENGER_ABI.error_data(
        "MessageDestinationNotRelayChain"
    )
    bad_origin = MESSENGER_ABI.encode_call("relayMessage", (ALICE, 1, 2, 3, A), b"".join(topics) + data)
    assert b.call(SEQUENCER, MESSENGER, bad_origin).revert_data == MESSENGER_ABI.error_data(
        "IdOriginNotL2ToL2CrossDomainMessenger"
    )
    res = b.transact(SEQUENCER_KEY, MESSENGER, relay, access_list=declared)
    assert res.ok
    assert view(b, SUPER, tok, "balanceOf", BOB) == 250
    assert view(b, MESSENGER_ABI, MESSENGER, "successfulMessages", expected_hash) is True
    ((rtopics, rdata),) = logs_of(res, MESSENGER, MESSENGER_ABI, "RelayedMessage")
    assert rtopics[1:] == [encode(["uint256"], [A]), encode(["uint256"], [0]), expected_hash]
    assert rdata == keccak(b"")
    assert logs_of(res, TOKEN_BRIDGE, TOKEN_BRIDGE_ABI, "RelayERC20")
    assert b.call(SEQUENCER, MESSENGER, relay, access_list=declared).revert_data == MESSENGER_ABI.error_data(
        "MessageAlreadyRelayed"
    )

    # context is only readable during a relay; relayERC20 only from the messenger
    assert b.call(ALICE, MESSENGER, MESSENGER_ABI.encode_call("crossDomainMessageSender")).revert_data == (
        MESSENGER_ABI.error_data("NotEntered")
    )
    res = b.call(ALICE, TOKEN_BRIDGE, TOKEN_BRIDGE_ABI.encode_call("relayERC20", tok, ALICE, ALICE, 1))
    assert res.revert_data == TOKEN_BRIDGE_ABI.error_data("Unauthorized")
    # a message from someone else than the bridge cannot mint through it
    res = a.transact(ALICE_KEY, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", B, TOKEN_BRIDGE, message))
    (forged,) = logs_of(res, MESSENGER, MESSENGER_ABI, "SentMessage")
    res = b.call(SEQUENCER, MESSENGER, _relay_args(forged, 2, 0, A), access_list=_relay_access(forged, 2, 0, A))
    assert res.revert_data == TOKEN_BRIDGE_ABI.error_data("InvalidCrossDomainSender")
    # sending to the own chain is refused
    res = a.call(ALICE, MESSENGER, MESSENGER_ABI.encode_call("sendMessage", A, BOB, b""))
    assert res.revert_data == MESSENGER_ABI.error_data("MessageDestinationSameChain")


# ------------------------------------------------------------------------------ AMM demo


def _pool_out(amount_in: int, r_in: int, r_out: int) -> int:
    return amount_in * 997 * r_out // (r_in * 1000 + amount_in * 997)


def test_simple_pool_math() -> None:
    chain = MiniChain(A)
    t0 = chain.deploy(ALICE_KEY, "TestToken", "Zero", "T0")
    t1 = chain.deploy(ALICE_KEY, "TestToken", "One", "T1")
    pool = chain.deploy(ALICE_KEY, "SimplePool", t0, t1)
    for t in (t0, t1):
        chain.transact(ALICE_KEY, t, TOKEN.encode_call("mint", ALICE, 10**24))
        chain.transact(ALICE_KEY, t, TOKEN.encode_call("approve", pool, 2**256 - 1))
    res = chain.transact(ALICE_KEY, pool, POOL.encode_call("addLiquidity", 10**21, 4 * 10**21))
    assert res.ok and POOL.decode_output("addLiquidity", res.output) == (2 * 10**21,)
    assert view(chain, POOL, pool, "getReserves") == (10**21, 4 * 10**21)

    amount = 10**19
    expected = _pool_out(amount, 10**21, 4 * 10**21)
    assert view(chain, POOL, pool, "getAmountOut", t0, amount) == expected
    res = chain.call(ALICE, pool, POOL.encode_call("swapExactIn", t0, amount, expected + 1, BOB))
    assert error_string(res.revert_data) == "SimplePool: slippage"
    res = chain.transact(ALICE_KEY, pool, POOL.encode_call("swapExactIn", t0, amount, expected, BOB))
    assert res.ok and POOL.decode_output("swapExactIn", res.output) == (expected,)
    assert view(chain, TOKEN, t1, "balanceOf", BOB) == expected
    assert view(chain, POOL, pool, "getReserves") == (10**21 + amount, 4 * 10**21 - expected)
    # k never decreases
    assert (10**21 + amount) * (4 * 10**21 - expected) >= 10**21 * 4 * 10**21
    # reverse direction uses the updated reserves
    back = _pool_out(expected, 4 * 10**21 - expected, 10**21 + amount)
    assert view(chain, POOL, pool, "getAmountOut", t1, expected) == back
    res = chain.call(ALICE, pool, POOL.encode_call("getAmountOut", BOB, 1))
    assert error_string(res.revert_data) == "SimplePool: unknown token"
    res = chain.transact(ALICE_KEY, pool, POOL.encode_call("removeLiquidity", 10**21))
    assert res.ok and view(chain, POOL, pool, "totalShares") == 10**21


def test_cross_swap_router() -> None:
    (a, b), mid = _chains_with_super_token(A, B, supply=10**24)
    seq = ToySequencer([a, b])
    # chain A: tokenIn/mid pool; chain B: mid/tokenOut pool; a router on each chain
    tin = a.deploy(ALICE_KEY, "TestToken", "In", "IN")
    tout = b.deploy(BOB_KEY, "TestToken", "Out", "OUT")
    pool_a = a.deploy(ALICE_KEY, "SimplePool", tin, mid)
    pool_b = b.deploy(ALICE_KEY, "SimplePool", mid, tout)
    router_a = a.deploy(ALICE_KEY, "CrossSwapRouter")
    router_b = b.deploy(BOB_KEY, "CrossSwapRouter")
    assert router_a != router_b  # the remote router is a parameter: no same-address needed
    a.transact(ALICE_KEY, tin, TOKEN.encode_call("mint", ALICE, 10**22))
    b.transact(ALICE_KEY, tout, TOKEN.encode_call("mint", ALICE, 10**22))
    for ch, tok, pool in ((a, tin, pool_a), (a, mid, pool_a), (b, mid, pool_b), (b, tout, pool_b)):
        ch.transact(ALICE_KEY, tok, TOKEN.encode_call("approve", pool, 2**256 - 1))
    assert a.transact(ALICE_KEY, pool_a, POOL.encode_call("addLiquidity", 10**21, 10**21)).ok
    assert b.transact(ALICE_KEY, pool_b, POOL.encode_call("addLiquidity", 10**21, 2 * 10**21)).ok
    a.transact(ALICE_KEY, tin, TOKEN.encode_call("approve", router_a, 2**256 - 1))

    amount = 10**19
    mid_amount = _pool_out(amount, 10**21, 10**21)
    expected = _pool_out(mid_amount, 10**21, 2 * 10**21)
    carol = "0x000000000000000000000000000000000000CA01"

    def swap(min_out: int) -> Result:
        data = ROUTER.encode_call("swapAcross", pool_a, tin, amount, mid, B, router_b, pool_b, tout, min_out, carol)
        return seq.send(A, ALICE_KEY, router_a, data)

    # slippage on B: the whole thing reverts on A with B's reason; nothing moved anywhere
    tin_before = view(a, TOKEN, tin, "balanceOf", ALICE)
    res = swap(expected + 1)
    assert error_string(res.revert_data) == "CrossSwap: slippage"
    assert view(a, TOKEN, tin, "balanceOf", ALICE) == tin_before
    assert view(a, POOL, pool_a, "getReserves") == (10**21, 10**21)
    assert view(b, POOL, pool_b, "getReserves") == (10**21, 2 * 10**21)
    assert view(b, TOKEN, tout, "balanceOf", carol) == 0
    seq.assert_consistent()

    res = swap(expected)
    assert res.ok
    assert ROUTER.decode_output("swapAcross", res.output) == (expected,)  # B's result, returned on A
    assert view(b, TOKEN, tout, "balanceOf", carol) == expected
    assert view(a, TOKEN, tin, "balanceOf", ALICE) == tin_before - amount
    assert view(a, POOL, pool_a, "getReserves") == (10**21 + amount, 10**21 - mid_amount)
    assert view(b, POOL, pool_b, "getReserves") == (10**21 + mid_amount, 2 * 10**21 - expected)
    assert view(a, SUPER, mid, "balanceOf", router_a) == 0 and view(b, SUPER, mid, "balanceOf", router_b) == 0
    assert view(a, SUPER, mid, "totalSupply") == 10**24 - mid_amount
    assert view(b, SUPER, mid, "totalSupply") == 10**24 + mid_amount
    seq.assert_consistent()

    # the hook is only for the AtomicBridge
    hook = ROUTER.encode_call("onAtomicBridgeERC20", mid, ALICE, 1, A, b"")
    assert error_string(b.call(ALICE, router_b, hook).revert_data) == "CrossSwap: only bridge"


def test_mailbox_storage_layout_is_genesis_free() -> None:
    """Predeploys work with empty storage; the mailbox only needs its ETH pool."""
    chain = MiniChain(A)
    assert view(chain, MAILBOX_ABI, MAILBOX, "outNonce", B) == 0
    assert view(chain, MAILBOX_ABI, MAILBOX, "requestsOut", B) == ZERO32
    assert to_canonical_address(MAILBOX) == bytes.fromhex("4200000000000000000000000000000000000100")


# --------------------------------------------------- Mailbox hot paths (assembly) in detail


def _storage(chain: MiniChain, slot: int) -> int:
    vm = chain.chain.get_vm(chain.chain.get_canonical_head())
    return int(vm.state.get_storage(to_canonical_address(MAILBOX), slot))


def _mapping_slot(key: bytes, slot: int) -> int:
    return int.from_bytes(keccak(key + slot.to_bytes(32, "big")), "big")


def test_mailbox_assembly_constants_match_the_abi_and_their_names() -> None:
    import re

    import bridge_contracts

    sol = (bridge_contracts.ARTIFACTS_DIR.parent / "src/Mailbox.sol").read_text()
    consts = {k: int(v, 16) for k, v in re.findall(r"uint256 internal constant (\w+) = (0x[0-9a-fA-F]+);", sol)}
    assert consts["XMSG_SENDER_SLOT"] == int.from_bytes(keccak(text="xrollup.mailbox.xMsgSender"), "big")
    assert consts["XMSG_SOURCE_SLOT"] == int.from_bytes(keccak(text="xrollup.mailbox.xMsgSourceChain"), "big")
    for name, error in (("MISSING_RESPONSE_SELECTOR", "MissingResponse"),
                        ("RESPONSE_ALREADY_CONSUMED_SELECTOR", "ResponseAlreadyConsumed"),
                        ("ALREADY_EXECUTED_SELECTOR", "AlreadyExecuted")):
        assert consts[name] == int.from_bytes(MAILBOX_ABI.selector(error, "error"), "big")
    for name, event in (("XCALL_TOPIC", "XCall"), ("XCALL_EXECUTED_TOPIC", "XCallExecuted"),
                        ("RESPONSE_STORED_TOPIC", "ResponseStored")):
        assert consts[name] == int.from_bytes(MAILBOX_ABI.event_topic(event), "big")
    # the storage layout the assembly writes is the one Solidity gives the mappings, and the
    # one chains.mailbox reads
    from chains import mailbox

    slots = dict(re.findall(r"uint256 internal constant SLOT_(\w+) = (\d+);", sol))
    assert {k: int(v) for k, v in slots.items()} == {
        "OUT_NONCE": 0, "REQUESTS_OUT": 1, "REQUESTS_IN": 2, "RESPONSES_OUT": 3, "RESPONSES_IN": 4,
        "RESPONSES": 5, "EXECUTED": 6}
    assert mailbox.MAILBOX_SLOTS == {"requestsOut": 1, "requestsIn": 2, "responsesOut": 3, "responsesIn": 4}
    assert (mailbox.OUT_NONCE_SLOT, mailbox.RESPONSES_SLOT) == (0, 5)


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 64, 100])
def test_mailbox_return_data_of_every_size_round_trips(size: int) -> None:
    """Short (one slot) and long (slots at keccak) `bytes` layouts, as Solidity lays them out:
    getResponse (Solidity) reads what putResponse (assembly) wrote, xcall returns it exactly
    and the rolling hashes follow the formula; storage agrees with the getters."""
    a, b = MiniChain(A), MiniChain(B)
    ret = bytes((i * 7 + 1) % 256 for i in range(size))
    target = b.deploy(BOB_KEY, "Counter", 0)
    call = COUNTER.encode_call("increment")
    rid = request_id(A, B, 0, ALICE, target, 0, call)
    put = a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, True, ret))
    assert put.ok
    ((topics, data),) = logs_of(put, MAILBOX, MAILBOX_ABI, "ResponseStored")
    assert topics[1:] == [encode(["uint256"], [B]), rid] and decode(["bool"], data) == (True,)
    assert view(a, MAILBOX_ABI, MAILBOX, "getResponse", rid) == (True, True, ret)
    base = _mapping_slot(rid, 5)
    assert _storage(a, base) == 0x0001_01  # filled, success
    packed = _storage(a, base + 1)
    if size < 32:
        assert packed == int.from_bytes(ret.ljust(31, b"\0") + bytes([2 * size]), "big")
    else:
        assert packed == 2 * size + 1
        start = int.from_bytes(keccak((base + 1).to_bytes(32, "big")), "big")
        words = [_storage(a, start + i).to_bytes(32, "big") for i in range((size + 31) // 32)]
        assert b"".join(words) == ret.ljust(len(words) * 32, b"\0")

    res = a.transact(ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, target, call))
    assert res.ok and MAILBOX_ABI.decode_output("xcall", res.output) == (ret,)
    assert res.output == encode(["bytes"], [ret])  # canonical: zero padding
    assert _storage(a, base) == 0x01_01_01  # consumed
    assert _storage(a, _mapping_slot(B.to_bytes(32, "big"), 0)) == 1
    assert view(a, MAILBOX_ABI, MAILBOX, "requestsOut", B) == _rolling(ZERO32, rid)
    assert view(a, MAILBOX_ABI, MAILBOX, "responsesIn", B) == _rolling_resp(ZERO32, rid, True, ret)
    assert _storage(a, _mapping_slot(B.to_bytes(32, "big"), 1)).to_bytes(32, "big") == _rolling(ZERO32, rid)
    assert _storage(a, _mapping_slot(B.to_bytes(32, "big"), 4)).to_bytes(32, "big") == \
        _rolling_resp(ZERO32, rid, True, ret)


@pytest.mark.parametrize("size", [0, 5, 40, 100])
def test_mailbox_failure_response_reverts_with_its_data(size: int) -> None:
    a = MiniChain(A)
    ret = bytes(range(size))
    call = b"\x12\x34"
    rid = request_id(A, B, 0, ALICE, BOB, 0, call)
    assert a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, False, ret)).ok
    res = a.transact(ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, BOB, call))
    assert not res.ok and res.revert_data == ret
    assert view(a, MAILBOX_ABI, MAILBOX, "outNonce", B) == 0  # the request did not happen
    assert view(a, MAILBOX_ABI, MAILBOX, "responseConsumed", rid) is False
    assert view(a, MAILBOX_ABI, MAILBOX, "requestsOut", B) == ZERO32


def test_mailbox_replacing_and_clearing_a_response_leaves_no_stale_data() -> None:
    a = MiniChain(A)
    call = b"\xab"
    rid = request_id(A, B, 0, ALICE, BOB, 0, call)
    long, short = bytes(range(1, 91)), b"\x07\x08"
    for ok, data in ((True, long), (False, short), (True, long), (True, b"")):
        assert a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, ok, data)).ok
        assert view(a, MAILBOX_ABI, MAILBOX, "getResponse", rid) == (True, ok, data)
    # long data again, then cleared: every slot it used is empty
    assert a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, True, long)).ok
    base = _mapping_slot(rid, 5)
    start = int.from_bytes(keccak((base + 1).to_bytes(32, "big")), "big")
    assert a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("clearResponse", rid)).ok
    assert [_storage(a, s) for s in (base, base + 1, start, start + 1, start + 2)] == [0] * 5
    assert view(a, MAILBOX_ABI, MAILBOX, "getResponse", rid) == (False, False, b"")
    # after a fresh one is consumed it can be neither replaced nor cleared
    assert a.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("putResponse", B, rid, True, short)).ok
    res = a.transact(ALICE_KEY, MAILBOX, MAILBOX_ABI.encode_call("xcall", B, BOB, call))
    assert res.ok and MAILBOX_ABI.decode_output("xcall", res.output) == (short,)
    for data in (MAILBOX_ABI.encode_call("putResponse", B, rid, True, b""), MAILBOX_ABI.encode_call("clearResponse", rid)):
        assert a.call(SEQUENCER, MAILBOX, data).revert_data == MAILBOX_ABI.error_data("ResponseAlreadyConsumed", rid)


@pytest.mark.parametrize("size", [0, 31, 32, 100])
def test_mailbox_execute_return_data_event_and_hashes(size: int) -> None:
    """execute returns abi.encode(success, returnData), logs the same, and moves the hashes
    only on success; the call gets exactly `data` and `value`."""
    b = MiniChain(B)
    counter = b.deploy(BOB_KEY, "Counter", 5)
    # a successful call whose return data has `size` bytes: TestToken.name() of a `size`-byte name
    named = b.deploy(BOB_KEY, "TestToken", "n" * size, "N")
    name_call = TOKEN.encode_call("name")
    res = b.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("execute", A, 3, ALICE, named, 0, name_call))
    assert res.ok
    expected_ret = encode(["string"], ["n" * size])
    assert res.output == encode(["bool", "bytes"], [True, expected_ret])
    rid = request_id(A, B, 3, ALICE, named, 0, name_call)
    ((topics, data),) = logs_of(res, MAILBOX, MAILBOX_ABI, "XCallExecuted")
    assert topics[1:] == [encode(["uint256"], [A]), encode(["uint256"], [3]), rid]
    assert data == res.output
    assert view(b, MAILBOX_ABI, MAILBOX, "executed", rid) is True
    assert view(b, MAILBOX_ABI, MAILBOX, "requestsIn", A) == _rolling(ZERO32, rid)
    assert view(b, MAILBOX_ABI, MAILBOX, "responsesOut", A) == _rolling_resp(ZERO32, rid, True, expected_ret)
    # a failing call: recorded in the event and the return value, hashes and `executed` untouched
    fail = COUNTER.encode_call("failWithReason")
    res = b.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("execute", A, 4, ALICE, counter, 0, fail))
    assert res.ok
    ok, ret = MAILBOX_ABI.decode_output("execute", res.output)
    assert not ok and error_string(ret) == "Counter: boom"
    assert view(b, MAILBOX_ABI, MAILBOX, "executed", request_id(A, B, 4, ALICE, counter, 0, fail)) is False
    assert view(b, MAILBOX_ABI, MAILBOX, "requestsIn", A) == _rolling(ZERO32, rid)
    # value and data reach the target as given (Counter.receive logs the sender and amount)
    res = b.transact(SEQUENCER_KEY, MAILBOX, MAILBOX_ABI.encode_call("execute", A, 5, ALICE, counter, 77, b""))
    assert res.ok and MAILBOX_ABI.decode_output("execute", res.output) == (True, b"")
    ((topics, data),) = logs_of(res, counter, COUNTER, "Received")
    assert topics[1] == encode(["address"], [MAILBOX]) and decode(["uint256"], data) == (77,)
    assert b.balance(counter) == 77
