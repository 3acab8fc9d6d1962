"""Bad input on the settlement path gets a clear revert reason or JSON-RPC error, and nothing is
lost: a proof against an output never proposed, finalizing before the proof or early, a
transaction for a chain the devnet does not run, a deposit to a contract that is not a rollup's
portal, inbox writes by anyone but the batcher. (viem's test takes finalizing early and twice
through viem's own actions.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from chains.deposits import deposit_from_log
from settlement.batches import encode_channel
from settlement.contracts import BATCH_INBOX, oracle_address, portal_address
from settlement.operators import calldata_gas
from tests.settlement.conftest import A0
from tests.support import Rpc, served
from xrollup.cli import main
from xrollup.testing import DevnetThread

MESSAGE_PASSER = "0x4200000000000000000000000000000000000016"
RECIPIENT = to_checksum_address("0x0000000000000000000000000000000000000b02")
VALUE = 3 * 10**17


@dataclass
class Net:
    dt: DevnetThread
    l1: Rpc
    w3_l1: Web3
    w3s: dict[int, Web3]

    def contract(self, name: str, address: bytes | str) -> Any:
        address = to_checksum_address(address)
        return self.w3_l1.eth.contract(address, abi=load_artifact(name)["abi"])


@pytest.fixture()
def net() -> Iterator[Net]:
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600, withdrawal_delay=100) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        l1 = Rpc(dt.devnet.l1.url)
        yield Net(dt, l1, Web3(Web3.HTTPProvider(dt.devnet.l1.url)),
                  {cid: Web3(Web3.HTTPProvider(url)) for cid, url in dt.urls.items()})
        l1.close()


def withdraw(net: Net) -> tuple[tuple[Any, ...], bytes, int]:
    """A withdrawal of VALUE from A0 on 901: (the withdrawal tuple, its hash, its block)."""
    w3 = net.w3s[901]
    passer = w3.eth.contract(MESSAGE_PASSER, abi=load_artifact("L2ToL1MessagePasser")["abi"])
    receipt = w3.eth.wait_for_transaction_receipt(
        passer.functions.initiateWithdrawal(RECIPIENT, 100_000, b"").transact({"from": A0, "value": VALUE}))
    ev = passer.events.MessagePassed().process_receipt(receipt)[0]["args"]
    return ((ev["nonce"], ev["sender"], ev["target"], ev["value"], ev["gasLimit"], ev["data"]),
            bytes(ev["withdrawalHash"]), int(receipt["blockNumber"]))


def proof_args(net: Net, withdrawal_hash: bytes, number: int) -> tuple[tuple[bytes, ...], list[bytes]]:
    """The output root proof and storage proof of a withdrawal in 901's block ``number``."""
    w3 = net.w3s[901]
    slot = keccak(encode(["bytes32", "uint256"], [withdrawal_hash, 0]))
    proof = w3.eth.get_proof(MESSAGE_PASSER, ["0x" + slot.hex()], number)
    block = w3.eth.get_block(number)
    root = (b"\x00" * 32, bytes(block["stateRoot"]), bytes(proof["storageHash"]), bytes(block["hash"]))
    return root, [bytes(node) for node in proof["storageProof"][0]["proof"]]


def reverts(net: Net, call: Any, reason: str) -> None:
    """eth_estimateGas of ``call`` (what a wallet does first) refuses it with code 3 and the reason."""
    tx = call.build_transaction({"from": A0, "gas": 1_000_000})
    err = net.l1.error("eth_estimateGas", {"from": A0, "to": tx["to"], "data": tx["data"]})
    assert err.code == 3
    assert err.message == f"execution reverted: {reason}"


def test_proofs_against_outputs_never_proposed_then_the_real_one(net: Net) -> None:
    portal, oracle = net.contract("OptimismPortal", portal_address(901)), net.contract("L2OutputOracle",
                                                                                        oracle_address(901))
    withdrawal, whash, number = withdraw(net)
    root, storage = proof_args(net, whash, number)
    # nothing proposed yet at all
    reverts(net, portal.functions.proveWithdrawalTransaction(withdrawal, 0, root, storage),
            "L2OutputOracle: cannot get output for an index that has not been proposed")
    net.l1.call("evm_mine")  # the batch: block `number` is safe
    net.l1.call("evm_mine")  # the proposal
    assert oracle.functions.latestBlockNumber().call() >= number
    index = oracle.functions.getL2OutputIndexAfter(number).call()
    # an index past the latest, and an output root proof that is not the proposed root
    reverts(net, portal.functions.proveWithdrawalTransaction(withdrawal, index + 1, root, storage),
            "L2OutputOracle: cannot get output for an index that has not been proposed")
    forged = (root[0], b"\x11" * 32, root[2], root[3])
    reverts(net, portal.functions.proveWithdrawalTransaction(withdrawal, index, forged, storage),
            "OptimismPortal: invalid output root proof")
    # the withdrawal is not proven, so it cannot be finalized
    reverts(net, portal.functions.finalizeWithdrawalTransaction(withdrawal),
            "OptimismPortal: withdrawal has not been proven yet")
    assert portal.functions.provenWithdrawals(whash).call()[1] == 0

    # nothing was lost: proven against the proposed output, finalized after the delay
    output_block = oracle.functions.getL2Output(index).call()[2]
    root, storage = proof_args(net, whash, output_block)
    net.w3_l1.eth.wait_for_transaction_receipt(
        portal.functions.proveWithdrawalTransaction(withdrawal, index, root, storage).transact({"from": A0}))
    reverts(net, portal.functions.finalizeWithdrawalTransaction(withdrawal),
            "OptimismPortal: proven withdrawal finalization period has not elapsed")
    net.l1.call("evm_increaseTime", 101)
    net.l1.call("evm_mine")
    before = net.w3_l1.eth.get_balance(RECIPIENT)
    receipt = net.w3_l1.eth.wait_for_transaction_receipt(
        portal.functions.finalizeWithdrawalTransaction(withdrawal).transact({"from": A0}))
    assert portal.events.WithdrawalFinalized().process_receipt(receipt)[0]["args"]["success"] is True
    assert net.w3_l1.eth.get_balance(RECIPIENT) - before == VALUE
    reverts(net, portal.functions.finalizeWithdrawalTransaction(withdrawal),
            "OptimismPortal: withdrawal has already been finalized")


def test_a_transaction_for_a_chain_the_devnet_does_not_run(net: Net) -> None:
    account = Account.from_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")  # dev 1
    portal = net.contract("OptimismPortal", portal_address(901))
    data = portal.functions.depositTransaction(account.address, 0, 100_000, False, b"")._encode_transaction_data()
    nonce = net.w3_l1.eth.get_transaction_count(account.address)
    balance = net.w3_l1.eth.get_balance(account.address)
    signed = account.sign_transaction({"chainId": 903, "nonce": nonce, "to": portal.address, "value": VALUE,
                                       "gas": 200_000, "data": data, "maxFeePerGas": 10**10,
                                       "maxPriorityFeePerGas": 10**9})
    err = net.l1.error("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
    assert err.code in (-32000, -32003) and "chain id" in err.message.lower()
    assert net.w3_l1.eth.get_transaction_count(account.address) == nonce
    assert net.w3_l1.eth.get_balance(account.address) == balance


def test_a_deposit_to_a_contract_that_is_not_a_rollups_portal(net: Net) -> None:
    # the user's own copy of the portal: same code, same event, but no rollup reads it
    art = load_artifact("OptimismPortal")
    receipt = net.w3_l1.eth.wait_for_transaction_receipt(net.w3_l1.eth.contract(
        abi=art["abi"], bytecode=art["bytecode"]).constructor(to_checksum_address(oracle_address(901)))
        .transact({"from": A0}))
    fake = net.w3_l1.eth.contract(receipt["contractAddress"], abi=art["abi"])
    balances = {cid: w3.eth.get_balance(RECIPIENT) for cid, w3 in net.w3s.items()}
    receipt = net.w3_l1.eth.wait_for_transaction_receipt(
        fake.functions.depositTransaction(RECIPIENT, VALUE, 100_000, False, b"").transact({"from": A0, "value": VALUE}))
    entry = receipt["logs"][0]
    deposit = deposit_from_log([bytes(t) for t in entry["topics"]], bytes(entry["data"]), bytes(receipt["blockHash"]),
                               entry["logIndex"])
    real = net.w3_l1.eth.wait_for_transaction_receipt(net.contract("OptimismPortal", portal_address(902)).functions
                                                      .depositTransaction(RECIPIENT, VALUE, 100_000, False, b"")
                                                      .transact({"from": A0, "value": VALUE}))
    net.l1.call("evm_mine")
    # the real portal's deposit landed on 902 (the intake ran) ...
    landed = net.w3s[902].eth.get_block("latest", full_transactions=True)
    assert any(tx["type"] == 0x7E for tx in landed["transactions"]), real["transactionHash"]
    assert net.w3s[902].eth.get_balance(RECIPIENT) == balances[902] + VALUE
    # ... the stranger's did not, anywhere; its ETH stays in the user's own contract
    for cid, w3 in net.w3s.items():
        with pytest.raises(Exception, match="not found"):
            w3.eth.get_transaction("0x" + deposit.hash.hex())
        if cid == 901:
            assert w3.eth.get_balance(RECIPIENT) == balances[cid]
    assert net.w3_l1.eth.get_balance(fake.address) == VALUE


def test_inbox_writes_by_others_are_ignored(net: Net, capsys: pytest.CaptureFixture[str]) -> None:
    net.w3s[901].eth.send_transaction({"from": A0, "to": RECIPIENT, "value": 1})
    net.l1.call("evm_mine")
    head = net.w3s[901].eth.block_number
    assert net.w3s[901].eth.get_block("safe").number == head
    inbox = to_checksum_address(BATCH_INBOX)
    # a stranger posts a channel claiming a different log from its start, and a copy of the
    # batcher's own frame
    entries = net.dt.run(lambda: list(net.dt.devnet.sequencer.log.entries))
    frames = [*encode_channel(0, entries[:1]), *encode_channel(1, entries[1:])]
    for frame in frames:
        net.l1.call("eth_sendTransaction", {"from": A0, "to": inbox, "data": "0x" + frame.hex(),
                                            "gas": hex(calldata_gas(frame))})
    net.l1.call("evm_mine")
    # the heads did not move for them, and the rollups carry on
    assert net.w3s[901].eth.get_block("safe").number == head
    net.w3s[901].eth.send_transaction({"from": A0, "to": RECIPIENT, "value": 1})
    net.l1.call("evm_mine")
    assert net.w3s[901].eth.get_block("safe").number == head + 1
    capsys.readouterr()
    assert main(["replay", "--from-l1", net.dt.devnet.l1.url or ""]) == 0
    out = capsys.readouterr().out
    assert f"ignored {len(frames)} inbox writes by others" in out
    assert f"chain 901: block {head + 1} hash {net.w3s[901].eth.get_block('latest').hash.to_0x_hex()}" in out
