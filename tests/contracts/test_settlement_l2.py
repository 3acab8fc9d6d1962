"""OP's L2 predeploys on a rollup chain built with the devnet's genesis: L1Block, GasPriceOracle,
L2ToL1MessagePasser, checked against OP's event signatures, hashes, storage layout and fee
formula (recomputed here from OP's definitions)."""

from __future__ import annotations

import re

import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from bridge_contracts import ARTIFACTS_DIR, load_artifact
from chains.errors import ExecutionReverted
from tests.contracts.evm_harness import Abi, error_string
from tests.contracts.settlement_harness import ACCOUNTS, Chain, addr
from xrollup.predeploys import SETTLEMENT_PREDEPLOYS

L1_BLOCK = addr("0x4200000000000000000000000000000000000015")
GAS_PRICE_ORACLE = addr("0x420000000000000000000000000000000000000F")
MESSAGE_PASSER = addr("0x4200000000000000000000000000000000000016")
DEPOSITOR = addr("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001")
L1B, GPO, PASSER = Abi("L1Block"), Abi("GasPriceOracle"), Abi("L2ToL1MessagePasser")
ALICE, BOB = ACCOUNTS[0].address, ACCOUNTS[1].address
ETH = 10**18

# OP's event topics (keccak of the signatures OP's contracts declare; viem filters on these)
MESSAGE_PASSED = "0x02a52367d10742d8032712c1bb8e0144ff1ec5ffda1ed7d70bb05a2744955054"
NOT_DEPOSITOR = bytes.fromhex("3cc50b45")


@pytest.fixture
def l2() -> Chain:
    chain = Chain(901)
    chain.fund(DEPOSITOR, ETH)
    return chain


def hash_withdrawal(nonce: int, sender: bytes, target: bytes, value: int, gas_limit: int, data: bytes) -> bytes:
    """OP's Hashing.hashWithdrawal."""
    return keccak(encode(["uint256", "address", "address", "uint256", "uint256", "bytes"],
                         [nonce, sender, target, value, gas_limit, data]))


@pytest.mark.parametrize("name", ["L1Block", "GasPriceOracle", "L2ToL1MessagePasser"])
def test_registered_without_constructor_or_immutables(l2: Chain, name: str) -> None:
    (address,) = [addr(a) for a, artifact in SETTLEMENT_PREDEPLOYS.items() if artifact == name]
    art = load_artifact(name)
    assert not [i for i in art["abi"] if i["type"] == "constructor"]
    source = re.sub(r"//[^\n]*|/\*.*?\*/", "", (ARTIFACTS_DIR.parent / art["sourceName"]).read_text(), flags=re.S)
    assert not re.search(r"\bimmutable\b|\bconstructor\s*\(", source)
    code = l2.chain.state_at("latest").get_code(address)
    assert code == bytes.fromhex(art["deployedBytecode"][2:])


# -- L2ToL1MessagePasser ---------------------------------------------------------------------

def test_initiate_withdrawal_event_hash_and_storage(l2: Chain) -> None:
    assert PASSER.event_topic("MessagePassed").hex() == MESSAGE_PASSED[2:]
    version_one = 1 << 240
    assert l2.call(MESSAGE_PASSER, PASSER, "messageNonce") == version_one
    assert l2.call(MESSAGE_PASSER, PASSER, "MESSAGE_VERSION") == 1
    for i, (value, data) in enumerate([(3 * ETH, b""), (0, b"\x12\x34" * 40)]):
        tx = l2.transact(ALICE, MESSAGE_PASSER, PASSER, "initiateWithdrawal", BOB, 200_000, data, value=value)
        assert tx.outcome.success
        expected = hash_withdrawal(version_one + i, ALICE, BOB, value, 200_000, data)
        (log,) = tx.logs
        assert log.address == MESSAGE_PASSER
        assert log.topics == (bytes.fromhex(MESSAGE_PASSED[2:]), (version_one + i).to_bytes(32, "big"),
                              ALICE.rjust(32, b"\x00"), BOB.rjust(32, b"\x00"))
        assert decode(["uint256", "uint256", "bytes", "bytes32"], log.data) == (value, 200_000, data, expected)
        assert l2.call(MESSAGE_PASSER, PASSER, "sentMessages", expected) is True
        # the slot a withdrawal proof proves: sentMessages (slot 0) at the hash, set to 1
        assert l2.storage(MESSAGE_PASSER, int.from_bytes(keccak(expected + b"\x00" * 32), "big")) == 1
    assert l2.call(MESSAGE_PASSER, PASSER, "messageNonce") == version_one + 2
    assert l2.storage(MESSAGE_PASSER, 1) == 2  # msgNonce
    assert l2.balance(MESSAGE_PASSER) == 3 * ETH
    assert l2.call(MESSAGE_PASSER, PASSER, "sentMessages", b"\x01" * 32) is False


def test_receive_withdraws_to_the_sender_and_burn_destroys_the_eth(l2: Chain) -> None:
    tx = l2.send(ALICE, MESSAGE_PASSER, b"", value=ETH, gas=200_000)
    assert tx.outcome.success
    expected = hash_withdrawal(1 << 240, ALICE, ALICE, ETH, 100_000, b"")
    assert tx.logs[0].topics[3] == ALICE.rjust(32, b"\x00")
    assert decode(["uint256", "uint256", "bytes", "bytes32"], tx.logs[0].data) == (ETH, 100_000, b"", expected)
    supply_before = l2.balance(MESSAGE_PASSER)
    burn = l2.transact(BOB, MESSAGE_PASSER, PASSER, "burn")
    assert burn.outcome.success
    (log,) = burn.logs
    assert log.topics == (keccak(b"WithdrawerBalanceBurnt(uint256)"), supply_before.to_bytes(32, "big"))
    assert l2.balance(MESSAGE_PASSER) == 0
    state = l2.chain.state_at("latest")
    burner = keccak(b"\xd6\x94" + MESSAGE_PASSER + b"\x01")[12:]  # the Burner it created (nonce 1)
    assert not state.account_exists(burner) and state.get_balance(burner) == 0


# -- L1Block -----------------------------------------------------------------------------------

def ecotone_calldata(base_scalar: int, blob_scalar: int, seq: int, ts: int, number: int, basefee: int,
                     blob_basefee: int, block_hash: bytes, batcher_hash: bytes) -> bytes:
    """OP's packed L1 attributes (op-node's L1BlockInfo.marshalBinaryEcotone)."""
    return (L1B.selector("setL1BlockValuesEcotone") + base_scalar.to_bytes(4, "big") + blob_scalar.to_bytes(4, "big")
            + seq.to_bytes(8, "big") + ts.to_bytes(8, "big") + number.to_bytes(8, "big")
            + basefee.to_bytes(32, "big") + blob_basefee.to_bytes(32, "big") + block_hash + batcher_hash)


def test_ecotone_setter_only_for_the_depositor_and_opS_layout(l2: Chain) -> None:
    assert L1B.selector("setL1BlockValuesEcotone").hex() == "440a5e20"
    data = ecotone_calldata(1368, 810949, 3, 1_700_000_123, 4242, 7 * 10**9, 5, b"\xaa" * 32, b"\xbb" * 32)
    assert len(data) == 164
    refused = l2.send(ALICE, L1_BLOCK, data)
    assert not refused.outcome.success and refused.outcome.output == NOT_DEPOSITOR
    assert l2.send(DEPOSITOR, L1_BLOCK, data).outcome.success
    got = {fn: l2.call(L1_BLOCK, L1B, fn) for fn in ("number", "timestamp", "basefee", "hash", "sequenceNumber",
                                                      "blobBaseFeeScalar", "baseFeeScalar", "batcherHash",
                                                      "blobBaseFee")}
    assert got == {"number": 4242, "timestamp": 1_700_000_123, "basefee": 7 * 10**9, "hash": b"\xaa" * 32,
                   "sequenceNumber": 3, "blobBaseFeeScalar": 810949, "baseFeeScalar": 1368,
                   "batcherHash": b"\xbb" * 32, "blobBaseFee": 5}
    # OP's slots: 0 = number | timestamp << 64, 3 = seq | blobScalar << 64 | baseScalar << 96
    assert l2.storage(L1_BLOCK, 0) == 4242 | 1_700_000_123 << 64
    assert l2.storage(L1_BLOCK, 3) == 3 | 810949 << 64 | 1368 << 96
    assert [l2.storage(L1_BLOCK, s) for s in (1, 2, 4, 7)] == [
        7 * 10**9, int.from_bytes(b"\xaa" * 32, "big"), int.from_bytes(b"\xbb" * 32, "big"), 5]
    assert l2.call(L1_BLOCK, L1B, "DEPOSITOR_ACCOUNT") == "0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001"
    assert l2.call(L1_BLOCK, L1B, "gasPayingToken") == ("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE", 18)
    assert l2.call(L1_BLOCK, L1B, "isCustomGasToken") is False


def test_legacy_setter(l2: Chain) -> None:
    args = (77, 1_700_000_500, 10**9, b"\x01" * 32, 1, b"\x02" * 32, 188, 684_000)
    refused = l2.transact(BOB, L1_BLOCK, L1B, "setL1BlockValues", *args)
    assert error_string(refused.outcome.output) == "L1Block: only the depositor account can set L1 block values"
    assert l2.transact(DEPOSITOR, L1_BLOCK, L1B, "setL1BlockValues", *args).outcome.success
    assert [l2.call(L1_BLOCK, L1B, fn) for fn in ("number", "l1FeeOverhead", "l1FeeScalar")] == [77, 188, 684_000]


# -- GasPriceOracle ----------------------------------------------------------------------------

def calldata_gas(data: bytes) -> int:
    return sum(4 if b == 0 else 16 for b in data) + 68 * 16


def test_fee_calls_answer_zero_on_a_fresh_chain(l2: Chain) -> None:
    tx = b"\x02\xf8\x70" + b"\x00" * 10 + b"\x55" * 90
    assert l2.call(GAS_PRICE_ORACLE, GPO, "getL1Fee", tx) == 0
    assert l2.call(GAS_PRICE_ORACLE, GPO, "getL1GasUsed", tx) == calldata_gas(tx)
    assert l2.call(GAS_PRICE_ORACLE, GPO, "getOperatorFee", 21_000) == 0
    assert [l2.call(GAS_PRICE_ORACLE, GPO, fn) for fn in ("l1BaseFee", "blobBaseFee", "baseFeeScalar",
                                                           "blobBaseFeeScalar")] == [0, 0, 0, 0]
    assert (l2.call(GAS_PRICE_ORACLE, GPO, "decimals"), l2.call(GAS_PRICE_ORACLE, GPO, "DECIMALS")) == (6, 6)
    assert l2.call(GAS_PRICE_ORACLE, GPO, "isEcotone") is True
    assert (l2.call(GAS_PRICE_ORACLE, GPO, "isFjord"), l2.call(GAS_PRICE_ORACLE, GPO, "isIsthmus")) == (False, False)
    for fn, reason in (("overhead", "GasPriceOracle: overhead() is deprecated"),
                       ("scalar", "GasPriceOracle: scalar() is deprecated")):
        with pytest.raises(ExecutionReverted) as exc:
            l2.call(GAS_PRICE_ORACLE, GPO, fn)
        assert error_string(exc.value.data) == reason


def test_ecotone_fee_formula_and_block_base_fee(l2: Chain) -> None:
    base_scalar, blob_scalar, l1_base_fee, blob_base_fee = 1368, 810949, 31 * 10**9, 3
    l2.send(DEPOSITOR, L1_BLOCK, ecotone_calldata(base_scalar, blob_scalar, 0, 1, 2, l1_base_fee, blob_base_fee,
                                                  b"\x00" * 32, b"\x00" * 32))
    tx = bytes(range(256)) * 2
    expected = calldata_gas(tx) * (16 * base_scalar * l1_base_fee + blob_scalar * blob_base_fee) // (16 * 10**6)
    assert expected > 0
    assert l2.call(GAS_PRICE_ORACLE, GPO, "getL1Fee", tx) == expected
    assert l2.call(GAS_PRICE_ORACLE, GPO, "l1BaseFee") == l1_base_fee
    mined = l2.transact(ALICE, GAS_PRICE_ORACLE, GPO, "gasPrice")
    header = l2.chain.block(mined.block_number).header
    assert int.from_bytes(mined.outcome.output, "big") == header.base_fee_per_gas > 0
    assert GPO.decode_output("baseFee", l2.transact(ALICE, GAS_PRICE_ORACLE, GPO, "baseFee").outcome.output)[0] > 0
