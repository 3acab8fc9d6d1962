"""The L1 side of settlement: OptimismPortal (output-oracle generation) and L2OutputOracle on an
L1 chain, fed by a real rollup chain with the devnet's predeploys.

A withdrawal is initiated on the rollup's L2ToL1MessagePasser; its output root is computed
with OP's v0 formula from that block's state root, the message passer's storage root and the
block hash; the portal is given the storage proof that ``chains.proofs.get_proof``
(eth_getProof) produces. Deposits are read back the way op-node decodes TransactionDeposited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from chains.errors import ExecutionReverted
from chains.proofs import StorageKey, get_proof
from tests.contracts.evm_harness import Abi, error_string
from tests.contracts.settlement_harness import ACCOUNTS, GENESIS_TIME, Chain

PORTAL, ORACLE, PASSER = Abi("OptimismPortal"), Abi("L2OutputOracle"), Abi("L2ToL1MessagePasser")
MESSAGE_PASSER = bytes.fromhex("4200000000000000000000000000000000000016")
ETH = 10**18
PERIOD = 60  # FINALIZATION_PERIOD_SECONDS
ALICE, BOB, PROPOSER, CHALLENGER = (a.address for a in ACCOUNTS[:4])
RECIPIENT = bytes([0x99]) * 20
ZERO32 = b"\x00" * 32
# op-node's DepositEventABIHash: keccak("TransactionDeposited(address,address,uint256,bytes)")
DEPOSIT_TOPIC = bytes.fromhex("b3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32")
ALIAS_OFFSET = 0x1111000000000000000000000000000000001111
NOT_PROPOSED = "L2OutputOracle: cannot get output for a block that has not been proposed"  # viem matches this

Withdrawal = tuple[int, bytes, bytes, int, int, bytes]  # nonce, sender, target, value, gasLimit, data


@dataclass
class Settlement:
    l1: Chain
    l2: Chain
    oracle: bytes
    portal: bytes

    def withdraw(self, value: int, data: bytes = b"", gas_limit: int = 100_000) -> tuple[Withdrawal, int]:
        tx = self.l2.transact(BOB, MESSAGE_PASSER, PASSER, "initiateWithdrawal", RECIPIENT, gas_limit, data,
                              value=value)
        assert tx.outcome.success
        nonce = int.from_bytes(tx.logs[0].topics[1], "big")
        return (nonce, BOB, RECIPIENT, value, gas_limit, data), tx.block_number

    def output(self, number: int, withdrawal: Withdrawal) -> tuple[tuple[bytes, bytes, bytes, bytes], list[bytes]]:
        """The output root proof of rollup block ``number`` and the storage proof of the
        withdrawal's sentMessages slot there, from eth_getProof."""
        slot = keccak(withdrawal_hash(withdrawal) + ZERO32)
        proof = get_proof(self.l2.chain, number, MESSAGE_PASSER, [StorageKey(int.from_bytes(slot, "big"))])
        assert proof.state_root == bytes(self.l2.chain.block(number).header.state_root)
        output = (ZERO32, proof.state_root, proof.storage_hash, self.l2.chain.block(number).hash)
        return output, list(proof.storage_proof[0].proof)

    def propose(self, output: tuple[bytes, bytes, bytes, bytes], number: int) -> int:
        tx = self.l1.transact(PROPOSER, self.oracle, ORACLE, "proposeL2Output", keccak(b"".join(output)), number,
                              ZERO32, 0)
        assert tx.outcome.success, error_string(tx.outcome.output)
        return int(self.l1.call(self.oracle, ORACLE, "latestOutputIndex"))

    def prove(self, withdrawal: Withdrawal, index: int, output: Any, proof: list[bytes]) -> Any:
        return self.l1.transact(ALICE, self.portal, PORTAL, "proveWithdrawalTransaction", withdrawal, index, output,
                                proof).outcome

    def finalize(self, withdrawal: Withdrawal) -> Any:
        return self.l1.transact(ALICE, self.portal, PORTAL, "finalizeWithdrawalTransaction", withdrawal).outcome


def withdrawal_hash(w: Withdrawal) -> bytes:
    """OP's Hashing.hashWithdrawal, in Python."""
    return keccak(encode(["uint256", "address", "address", "uint256", "uint256", "bytes"], list(w)))


def reason(outcome: Any) -> str:
    assert not outcome.success, "expected a revert"
    return error_string(outcome.output)


@pytest.fixture
def s() -> Settlement:
    l1, l2 = Chain(900, with_predeploys=False), Chain(901)
    oracle = l1.deploy(ALICE, "L2OutputOracle", 1, 1, 0, GENESIS_TIME, PROPOSER, CHALLENGER, PERIOD)
    portal = l1.deploy(ALICE, "OptimismPortal", oracle)
    assert l1.transact(ALICE, portal, PORTAL, "donateETH", value=100 * ETH).outcome.success  # the locked deposits
    l1.warp(100)  # the L1 is ahead of the rollup blocks' nominal times (computeL2Timestamp)
    return Settlement(l1, l2, oracle, portal)


def test_portal_version_selects_viems_output_oracle_flow(s: Settlement) -> None:
    """viem's getWithdrawalStatus/proveWithdrawal take the L2OutputOracle flow when the
    portal's major version is below 3."""
    version = s.l1.call(s.portal, PORTAL, "version")
    assert int(version.split(".")[0]) < 3
    assert s.l1.call(s.portal, PORTAL, "l2Oracle").lower() == "0x" + s.oracle.hex()
    assert s.l1.call(s.oracle, ORACLE, "FINALIZATION_PERIOD_SECONDS") == PERIOD


def test_withdrawal_proven_with_eth_get_proof_then_finalized_once(s: Settlement) -> None:
    s.l2.send(ALICE, RECIPIENT, b"", value=1)  # another block, so the withdrawal is not alone
    withdrawal, number = s.withdraw(2 * ETH)
    s.l2.send(ALICE, RECIPIENT, b"", value=1)  # and the chain moves on
    output, proof = s.output(number, withdrawal)
    with pytest.raises(ExecutionReverted) as exc:
        s.l1.call(s.oracle, ORACLE, "getL2OutputIndexAfter", number)
    assert error_string(exc.value.data) == NOT_PROPOSED  # viem: waiting-to-prove
    index = s.propose(output, number)
    assert s.l1.call(s.oracle, ORACLE, "getL2OutputIndexAfter", number) == index == 0

    proven = s.prove(withdrawal, index, output, proof)
    assert proven.success, error_string(proven.output)
    logs = s.l1.chain.head.logs
    assert logs[0].topics == (keccak(b"WithdrawalProven(bytes32,address,address)"), withdrawal_hash(withdrawal),
                              BOB.rjust(32, b"\x00"), RECIPIENT.rjust(32, b"\x00"))
    root, timestamp, proven_index = s.l1.call(s.portal, PORTAL, "provenWithdrawals", withdrawal_hash(withdrawal))
    assert (root, timestamp, proven_index) == (keccak(b"".join(output)), s.l1.time, index)
    assert reason(s.prove(withdrawal, index, output, proof)) == "OptimismPortal: withdrawal hash has already been proven"

    assert reason(s.finalize(withdrawal)) == "OptimismPortal: proven withdrawal finalization period has not elapsed"
    s.l1.warp(PERIOD)
    before = s.l1.balance(RECIPIENT)
    done = s.finalize(withdrawal)
    assert done.success, error_string(done.output)
    assert s.l1.balance(RECIPIENT) - before == 2 * ETH
    (log,) = s.l1.chain.head.logs
    assert log.topics == (keccak(b"WithdrawalFinalized(bytes32,bool)"), withdrawal_hash(withdrawal))
    assert decode(["bool"], log.data) == (True,)
    assert s.l1.call(s.portal, PORTAL, "finalizedWithdrawals", withdrawal_hash(withdrawal)) is True
    assert reason(s.finalize(withdrawal)) == "OptimismPortal: withdrawal has already been finalized"
    assert s.l1.balance(RECIPIENT) - before == 2 * ETH
    assert s.l1.call(s.portal, PORTAL, "l2Sender") == "0x000000000000000000000000000000000000dEaD"


def test_wrong_proofs_and_unproposed_outputs_are_refused(s: Settlement) -> None:
    withdrawal, number = s.withdraw(ETH, b"\xca\xfe")
    output, proof = s.output(number, withdrawal)
    invalid = "OptimismPortal: invalid withdrawal inclusion proof"
    assert reason(s.prove(withdrawal, 0, output, proof)) == \
        "L2OutputOracle: cannot get output for an index that has not been proposed"
    index = s.propose(output, number)
    assert reason(s.prove(withdrawal, index + 1, output, proof)) == \
        "L2OutputOracle: cannot get output for an index that has not been proposed"
    bad_output = (output[0], output[1], keccak(b"another storage root"), output[3])
    assert reason(s.prove(withdrawal, index, bad_output, proof)) == "OptimismPortal: invalid output root proof"
    tampered = [*proof[:-1], proof[-1][:-1] + bytes([proof[-1][-1] ^ 1])]
    assert reason(s.prove(withdrawal, index, output, tampered)) == invalid
    assert reason(s.prove(withdrawal, index, output, proof[:-1])) == invalid  # a node missing
    assert reason(s.prove(withdrawal, index, output, [*proof, proof[-1]])) == invalid  # a node left over
    other = (withdrawal[0], withdrawal[1], withdrawal[2], withdrawal[3] + 1, withdrawal[4], withdrawal[5])
    absent_output, absence = s.output(number, other)  # a valid proof that its slot is empty
    assert absent_output == output
    assert reason(s.prove(other, index, output, absence)) == invalid
    assert reason(s.prove(other, index, output, proof)) == invalid  # another withdrawal's proof
    to_portal = (withdrawal[0], withdrawal[1], s.portal, *withdrawal[3:])
    refused = s.prove(to_portal, index, output, proof)
    assert not refused.success and refused.output == PORTAL.error_data("BadTarget")
    assert reason(s.finalize(withdrawal)) == "OptimismPortal: withdrawal has not been proven yet"
    assert s.prove(withdrawal, index, output, proof).success  # the right proof still works


def test_output_oracle_rules(s: Settlement) -> None:
    root = keccak(b"output")
    propose = s.l1.transact
    refused = propose(BOB, s.oracle, ORACLE, "proposeL2Output", root, 1, ZERO32, 0).outcome
    assert reason(refused) == "L2OutputOracle: only the proposer address can propose new outputs"
    assert reason(propose(PROPOSER, s.oracle, ORACLE, "proposeL2Output", ZERO32, 1, ZERO32, 0).outcome) == \
        "L2OutputOracle: L2 output proposal cannot be the zero hash"
    assert reason(propose(PROPOSER, s.oracle, ORACLE, "proposeL2Output", root, 10**6, ZERO32, 0).outcome) == \
        "L2OutputOracle: cannot propose L2 output in the future"
    with pytest.raises(ExecutionReverted):
        s.l1.call(s.oracle, ORACLE, "latestOutputIndex")  # nothing proposed yet
    for number in (2, 5, 9):
        tx = propose(PROPOSER, s.oracle, ORACLE, "proposeL2Output", keccak(bytes([number])), number, ZERO32, 0)
        assert tx.outcome.success
        assert tx.logs[0].topics == (keccak(b"OutputProposed(bytes32,uint256,uint256,uint256)"),
                                     keccak(bytes([number])), (int(s.l1.call(s.oracle, ORACLE, "latestOutputIndex"))
                                                               ).to_bytes(32, "big"), number.to_bytes(32, "big"))
    assert reason(propose(PROPOSER, s.oracle, ORACLE, "proposeL2Output", root, 9, ZERO32, 0).outcome) == \
        "L2OutputOracle: block number must be at least the next expected block number"
    after = [s.l1.call(s.oracle, ORACLE, "getL2OutputIndexAfter", n) for n in range(10)]
    assert after == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    with pytest.raises(ExecutionReverted) as exc:
        s.l1.call(s.oracle, ORACLE, "getL2OutputIndexAfter", 10)
    assert error_string(exc.value.data) == NOT_PROPOSED
    assert s.l1.call(s.oracle, ORACLE, "getL2Output", 1)[::2] == (keccak(bytes([5])), 5)
    assert (s.l1.call(s.oracle, ORACLE, "latestBlockNumber"), s.l1.call(s.oracle, ORACLE, "nextBlockNumber")) == (9, 10)
    assert reason(s.l1.transact(BOB, s.oracle, ORACLE, "deleteL2Outputs", 1).outcome) == \
        "L2OutputOracle: only the challenger address can delete outputs"
    assert s.l1.transact(CHALLENGER, s.oracle, ORACLE, "deleteL2Outputs", 1).outcome.success
    assert s.l1.call(s.oracle, ORACLE, "latestOutputIndex") == 0


# -- deposits ----------------------------------------------------------------------------------

def op_node_decode(topics: tuple[bytes, ...], data: bytes) -> dict[str, Any]:
    """op-node's UnmarshalDepositLogEvent (derive/deposit_log.go), version 0."""
    assert topics[0] == DEPOSIT_TOPIC and len(topics) == 4
    assert int.from_bytes(topics[3], "big") == 0
    assert int.from_bytes(data[:32], "big") == 32  # the offset of opaqueData
    length = int.from_bytes(data[32:64], "big")
    opaque = data[64:64 + length]
    assert len(data) == 64 + (length + 31) // 32 * 32
    return {"from": topics[1][12:], "to": topics[2][12:], "mint": int.from_bytes(opaque[:32], "big"),
            "value": int.from_bytes(opaque[32:64], "big"), "gas": int.from_bytes(opaque[64:72], "big"),
            "isCreation": opaque[72] == 1, "data": opaque[73:]}


def test_deposit_event_is_what_op_node_decodes(s: Settlement) -> None:
    assert PORTAL.event_topic("TransactionDeposited") == DEPOSIT_TOPIC
    tx = s.l1.transact(ALICE, s.portal, PORTAL, "depositTransaction", BOB, 5, 300_000, False, b"\x01\x02\x03",
                       value=7 * ETH)
    assert tx.outcome.success
    (log,) = tx.logs
    assert op_node_decode(log.topics, log.data) == {
        "from": ALICE, "to": BOB, "mint": 7 * ETH, "value": 5, "gas": 300_000, "isCreation": False,
        "data": b"\x01\x02\x03"}
    # opaqueData is abi.encodePacked(mint, value, gasLimit, isCreation, data)
    opaque = (7 * ETH).to_bytes(32, "big") + (5).to_bytes(32, "big") + (300_000).to_bytes(8, "big") + b"\x00\x01\x02\x03"
    assert decode(["bytes"], log.data) == (opaque,)
    creation = s.l1.transact(ALICE, s.portal, PORTAL, "depositTransaction", b"\x00" * 20, 0, 500_000, True,
                             b"\x60\x00").logs[0]
    assert op_node_decode(creation.topics, creation.data)["isCreation"] is True
    plain = s.l1.send(BOB, s.portal, b"", value=ETH, gas=200_000)  # receive(): to the sender, 100k gas
    assert op_node_decode(plain.logs[0].topics, plain.logs[0].data) == {
        "from": BOB, "to": BOB, "mint": ETH, "value": ETH, "gas": 100_000, "isCreation": False, "data": b""}


def test_contract_senders_are_aliased_and_bad_deposits_refused(s: Settlement) -> None:
    # a forwarder contract: CALL(gas, portal, callvalue, calldata) and nothing else
    runtime = bytes.fromhex("365f5f37" + "5f5f365f34" + "73") + s.portal + bytes.fromhex("5af100")
    init = bytes([0x60, len(runtime), 0x60, 0x0A, 0x5F, 0x39, 0x60, len(runtime), 0x5F, 0xF3]) + runtime
    forwarder = s.l1.send(ALICE, None, init).outcome.contract_address
    assert forwarder
    call = PORTAL.encode_call("depositTransaction", BOB, 0, 100_000, False, b"")
    (log,) = s.l1.send(ALICE, forwarder, call, value=3).logs
    aliased = ((int.from_bytes(forwarder, "big") + ALIAS_OFFSET) % 2**160).to_bytes(20, "big")
    assert op_node_decode(log.topics, log.data)["from"] == aliased != forwarder
    for args, error in (((BOB, 0, 100_000, True, b""), "BadTarget"),
                        ((BOB, 0, 21_000 + 16 * 9, False, b"\x01" * 10), "SmallGasLimit")):
        refused = s.l1.transact(ALICE, s.portal, PORTAL, "depositTransaction", *args).outcome
        assert not refused.success and refused.output == PORTAL.error_data(error)
    assert s.l1.call(s.portal, PORTAL, "minimumGasLimit", 10) == 21_160
