"""supersim's L1 contracts on xrollup's L1: the OptimismPortal, L1CrossDomainMessenger and
L1StandardBridge of 901 at the addresses supersim's guides publish, their genesis storage as
their constructors lay it out, their deposits' logs as OP's, and where the devnet lists them
(admin_getL1Addresses, admin_getConfig, the banner)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from chains.deposits import deposit_from_log
from settlement.contracts import (
    FINALIZATION_PERIOD_SECONDS,
    PROPOSER,
    SUPERSIM_L1_ADDRESSES,
    bridge_storage,
    messenger_storage,
    rollup_contracts,
)
from tests.contracts.settlement_harness import Chain
from tests.support import Rpc, served
from xrollup.cli import banner
from xrollup.testing import DevnetThread

A, B, OTHER = 901, 902, 977
A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BRIDGE_ABI = load_artifact("L1StandardBridge")["abi"]
MESSENGER_ABI = load_artifact("L1CrossDomainMessenger")["abi"]
ALIAS_OFFSET = 0x1111000000000000000000000000000000001111


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served((A, B, OTHER), l1=True, admin_port=0) as dt:
        yield dt


@pytest.fixture(scope="module")
def w3_l1(server: DevnetThread) -> Web3:
    assert server.devnet.l1 is not None and server.devnet.l1.url
    return Web3(Web3.HTTPProvider(server.devnet.l1.url))


def test_901_has_the_addresses_supersim_publishes() -> None:
    c = rollup_contracts(A)
    assert to_checksum_address(c.portal) == "0x37a418800d0c812A9dE83Bc80e993A6b76511B57"
    assert to_checksum_address(c.messenger) == "0xcd712b03bc6424BF45cE6C29Fc90FFDece228F6E"
    assert to_checksum_address(c.bridge) == "0x8d515eb0e5F293B16B6bBCA8275c060bAe0056B0"
    for cid, published in SUPERSIM_L1_ADDRESSES.items():
        c = rollup_contracts(cid)
        assert tuple(to_checksum_address(a) for a in (c.portal, c.messenger, c.bridge)) == published
    other = rollup_contracts(OTHER)  # a chain supersim has no genesis for: derived addresses
    assert other.portal == keccak(b"xrollup OptimismPortal 977")[12:]
    assert other.bridge == keccak(b"xrollup L1StandardBridge 977")[12:]
    every = [a for cid in (*SUPERSIM_L1_ADDRESSES, OTHER)
             for a in (rollup_contracts(cid).portal, rollup_contracts(cid).messenger, rollup_contracts(cid).bridge,
                       rollup_contracts(cid).oracle)]
    assert len(set(every)) == len(every)


def test_genesis_storage_is_what_the_constructors_lay_out() -> None:
    chain = Chain(900, with_predeploys=False)
    deployer = bytes.fromhex(A0[2:])
    oracle = chain.deploy(deployer, "L2OutputOracle", 1, 1, 0, 0, PROPOSER, PROPOSER, FINALIZATION_PERIOD_SECONDS)
    portal = chain.deploy(deployer, "OptimismPortal", oracle)
    messenger = chain.deploy(deployer, "L1CrossDomainMessenger", portal)
    bridge = chain.deploy(deployer, "L1StandardBridge", messenger)
    for slot in range(4):
        assert chain.storage(messenger, slot) == messenger_storage(portal).get(slot, 0), slot
        assert chain.storage(bridge, slot) == bridge_storage(messenger).get(slot, 0), slot


def test_bridge_eth_deposits_through_the_messenger_and_the_portal(w3_l1: Web3) -> None:
    c = rollup_contracts(A)
    bridge = w3_l1.eth.contract(address=to_checksum_address(c.bridge), abi=BRIDGE_ABI)
    messenger = w3_l1.eth.contract(address=to_checksum_address(c.messenger), abi=MESSENGER_ABI)
    assert bridge.functions.messenger().call() == to_checksum_address(c.messenger)
    assert messenger.functions.portal().call() == to_checksum_address(c.portal)
    assert bridge.functions.OTHER_BRIDGE().call() == "0x4200000000000000000000000000000000000010"
    nonce = messenger.functions.messageNonce().call()
    assert nonce >> 240 == 1  # OP's message version 1 in the top two bytes
    amount = 10**17
    tx = bridge.functions.bridgeETHTo(A1, 50_000, b"\xab").transact({"from": A0, "value": amount})
    receipt = w3_l1.eth.get_transaction_receipt(tx)
    assert receipt.status == 1
    by_topic = {"0x" + bytes(log.topics[0]).hex(): log for log in receipt.logs}
    deposit_initiated = by_topic[topic("ETHDepositInitiated(address,address,uint256,bytes)")]
    assert deposit_initiated.address == to_checksum_address(c.bridge)
    assert bytes(deposit_initiated.topics[1])[12:] == bytes.fromhex(A0[2:])
    assert bytes(deposit_initiated.topics[2])[12:] == bytes.fromhex(A1[2:])
    assert topic("ETHBridgeInitiated(address,address,uint256,bytes)") in by_topic
    sent = by_topic[topic("SentMessage(address,address,bytes,uint256,uint256)")]
    assert sent.address == to_checksum_address(c.messenger)
    assert bytes(sent.topics[1])[12:] == bytes.fromhex(A1[2:])
    assert decode(["address", "bytes", "uint256", "uint256"], bytes(sent.data)) == ("0x" + c.bridge.hex(), b"", nonce, 50_000)
    assert messenger.functions.messageNonce().call() == nonce + 1
    extension = by_topic[topic("SentMessageExtension1(address,uint256)")]
    assert int.from_bytes(bytes(extension.data), "big") == amount
    deposited = by_topic[topic("TransactionDeposited(address,address,uint256,bytes)")]
    assert deposited.address == to_checksum_address(c.portal)
    deposit = deposit_from_log(tuple(bytes(t) for t in deposited.topics), bytes(deposited.data),
                               bytes(receipt.blockHash), deposited.logIndex)
    # the rollup sees the messenger's aliased address mint the ETH and send it to the recipient
    assert int.from_bytes(deposit.sender, "big") == int.from_bytes(c.messenger, "big") + ALIAS_OFFSET
    assert (deposit.to, deposit.mint, deposit.value, deposit.data) == (bytes.fromhex(A1[2:]), amount, amount, b"")
    assert deposit.gas == 21_000 + 50_000
    assert w3_l1.eth.get_balance(to_checksum_address(c.portal)) >= amount  # the ETH stays locked in the portal
    assert w3_l1.eth.get_balance(to_checksum_address(c.bridge)) == 0
    assert w3_l1.eth.get_balance(to_checksum_address(c.messenger)) == 0


def test_admin_api_and_banner_list_the_l1_contracts(server: DevnetThread) -> None:
    assert server.devnet.admin_url is not None
    with Rpc(server.devnet.admin_url) as admin:
        by_chain = {cid: admin.call("admin_getL1Addresses", cid) for cid in (A, B, OTHER)}
        config = admin.call("admin_getConfig")
    for cid, addresses in by_chain.items():
        c = rollup_contracts(cid)
        assert addresses["OptimismPortalProxy"] == to_checksum_address(c.portal)
        assert addresses["L1CrossDomainMessengerProxy"] == to_checksum_address(c.messenger)
        assert addresses["L1StandardBridgeProxy"] == to_checksum_address(c.bridge)
        assert addresses["L2OutputOracleProxy"] == to_checksum_address(c.oracle)
    assert by_chain[A]["OptimismPortalProxy"] == "0x37a418800d0c812A9dE83Bc80e993A6b76511B57"
    assert [c["L2Config"]["L1Addresses"] for c in config["L2Configs"]] == [by_chain[A], by_chain[B], by_chain[OTHER]]
    text = banner(server.devnet)
    block = text[text.index(f"  * Name: OPChainA  ChainID: {A}  RPC: {server.urls[A]}"):]
    assert block.splitlines()[1:4] == [
        "    L1 Contracts:",
        "     - OptimismPortal:         0x37a418800d0c812A9dE83Bc80e993A6b76511B57",
        "     - L1CrossDomainMessenger: 0xcd712b03bc6424BF45cE6C29Fc90FFDece228F6E",
    ]
    assert "     - L1StandardBridge:       0x8d515eb0e5F293B16B6bBCA8275c060bAe0056B0" in block
