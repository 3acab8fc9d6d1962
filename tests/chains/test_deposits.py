"""OP deposit transactions (chains/deposits.py, chains/deposit_exec.py): the format against
OP mainnet's own transactions, and execution with OP's post-Regolith rules on both engines."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge_contracts import load_artifact
from chains.block import BlockEnv, PendingTx
from chains.deposits import (
    TRANSACTION_DEPOSITED,
    Deposit,
    DepositReceipt,
    L1Origin,
    as_pending,
    decode_deposit,
    deposit_from_log,
    user_deposit_source_hash,
)
from chains.encoding import block_size, contract_address_for
from chains.engine import FAST, PLAIN, Engine
from chains.errors import InvalidInput, TransactionRejected
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain
from chains.txbuild import TxRequest, sign
from xrollup.predeploys import predeploys

ACCOUNTS = dev_accounts()
H = bytes.fromhex
ALICE = ACCOUNTS[0].address
NOBODY = H("00000000000000000000000000000000000a11ce")  # no balance, no nonce
COUNTER = load_artifact("Counter")
INCREMENT = keccak(text="increment()")[:4]
FAIL = keccak(text="failWithReason()")[:4]
PREDEPLOYS = tuple(predeploys())
L1_BLOCK = H("4200000000000000000000000000000000000015")


def _source(n: int) -> bytes:
    return user_deposit_source_hash(b"\x11" * 32, n)


def _deposit(n: int, sender: bytes, to: bytes | None, *, mint: int = 0, value: int = 0, gas: int = 100_000,
             data: bytes = b"", system: bool = False) -> PendingTx:
    return as_pending(Deposit(_source(n), sender, to, mint, value, gas, system, data))


def _chain(engine: Engine = FAST) -> RollupChain:
    return RollupChain(ChainConfig(901, genesis_timestamp=1_000, predeploys=PREDEPLOYS), ACCOUNTS, engine)


def _env(origin: L1Origin | None = None) -> BlockEnv:
    return BlockEnv(2_000, 30_000_000, H("00000000000000000000000000000000000c0b0b"), None, origin)


# -- the format, against OP's own transactions ------------------------------------------------


def test_l1_info_deposit_of_op_mainnet_block_105849734_has_its_hash() -> None:
    """OP mainnet block 105849734's first transaction, as its RPC shows it (viem's op-stack
    formatter test records it): its encoding hashes to the hash the chain gave it."""
    data = H("015d8eb900000000000000000000000000000000000000000000000000000000010b64020000000000000000000000"
             "00000000000000000000000000000000006492207b000000000000000000000000000000000000000000000000000000"
             "033601dfdd1eca1cc72d59c84864665457586b5e8910fb78a19fbffd1a23190862dc7f9dd90000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000000006887246668a3b87f54deb3b94ba47a"
             "6f63f3298500000000000000000000000000000000000000000000000000000000000000bc0000000000000000000000"
             "0000000000000000000000000000000000000a6fe0")
    deposit = Deposit(H("0456be3615ad9f8bb63410c832db98c02d4fdeda0139f4f98186970aef5111df"),
                      H("deaddeaddeaddeaddeaddeaddeaddeaddead0001"), L1_BLOCK, 0, 0, 1_000_000, False, data)
    assert deposit.hash == H("f169b1021e555a1088b69e693938efd32a98231417eda1fb024de83aad98663a")
    assert decode_deposit(deposit.encode()) == deposit


def test_user_deposit_from_an_op_mainnet_portal_log() -> None:
    """A TransactionDeposited log of OP mainnet's portal (L1 block 0x634c…1d57, log 109):
    op-node's derivation gives the L2 transaction whose hash OP mainnet has."""
    sender = H("1a1e021a302c237453d3d45c7b82b19ceeb7e2e6")
    opaque = H("0000000000000000000000000000000000000000000000000000000000000000"
               "0000000000000000000000000000000000000000000000000000000000000045"
               "0000000000005208" "00")
    data = abi_encode(["bytes"], [opaque])
    topics = [TRANSACTION_DEPOSITED, b"\x00" * 12 + sender, b"\x00" * 12 + sender, b"\x00" * 32]
    block_hash = H("634c52556471c589f42db9131467e0c9484f5c73049e32d1a74e2a4ce0f91d57")
    deposit = deposit_from_log(topics, data, block_hash, 109)
    assert (deposit.sender, deposit.to, deposit.mint, deposit.value, deposit.gas, deposit.data) == (
        sender, sender, 0, 0x45, 21_000, b"")
    assert deposit.source_hash == user_deposit_source_hash(block_hash, 109)
    assert deposit.hash == H("0a60b983815ed475c5919609025204a479654d93afc610feca7d99ae0befc329")


def test_source_hash_matches_viems_vector() -> None:
    block_hash = H("9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7")
    assert user_deposit_source_hash(block_hash, 196) == H(
        "d0868c8764d81f1749edb7dec4a550966963540d9fe50aefce8cdb38ea7b2213")


def test_creation_log_mint_and_data_round_trip() -> None:
    opaque = (420).to_bytes(32, "big") + (69).to_bytes(32, "big") + (21_100).to_bytes(8, "big") + b"\x01" + H("deadbeef")
    topics = [TRANSACTION_DEPOSITED, b"\x00" * 12 + ALICE, b"\x00" * 32, b"\x00" * 32]
    deposit = deposit_from_log(topics, abi_encode(["bytes"], [opaque]), b"\x22" * 32, 3)
    assert (deposit.to, deposit.mint, deposit.value, deposit.gas, deposit.data) == (None, 420, 69, 21_100, H("deadbeef"))
    assert decode_deposit(deposit.encode()) == deposit
    assert deposit.encode()[:1] == b"\x7e"


@pytest.mark.parametrize("damage", ["topics", "selector", "offset", "padding", "version", "short"])
def test_logs_op_node_refuses_are_refused(damage: str) -> None:
    opaque = bytes(73)
    topics = [TRANSACTION_DEPOSITED, b"\x00" * 32, b"\x00" * 32, b"\x00" * 32]
    data = abi_encode(["bytes"], [opaque])
    if damage == "topics":
        topics = topics[:3]
    elif damage == "selector":
        topics[0] = b"\x01" * 32
    elif damage == "offset":
        data = (64).to_bytes(32, "big") + data[32:]
    elif damage == "padding":
        data = data + bytes(32)
    elif damage == "version":
        topics[3] = (1).to_bytes(32, "big")
    else:
        data = abi_encode(["bytes"], [bytes(72)])
    with pytest.raises(InvalidInput):
        deposit_from_log(topics, data, b"\x00" * 32, 0)


# -- execution on both engines ----------------------------------------------------------------


def _run(engine: Engine, txs: list[PendingTx], origin: L1Origin | None = None) -> tuple[RollupChain, object]:
    chain = _chain(engine)
    builder = chain.new_builder(_env(origin))
    for pending in txs:
        builder.apply(pending)
    sealed = builder.seal()
    chain.append(sealed)
    return chain, sealed


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=["fast", "plain"])
def test_mint_is_kept_when_the_deposit_fails(engine: Engine) -> None:
    """Value above the balance after the mint: a failed deposit, the mint kept, the nonce
    bumped, the whole gas limit used, no fee anywhere."""
    chain, sealed = _run(engine, [_deposit(0, NOBODY, ALICE, mint=5, value=10, gas=50_000)])
    outcome = sealed.outcomes[0]
    state = chain.state_at("latest")
    assert not outcome.success
    assert (state.get_balance(NOBODY), state.get_nonce(NOBODY)) == (5, 1)
    assert outcome.gas_used == 50_000 and sealed.header.gas_used == 50_000
    assert isinstance(outcome.receipt, DepositReceipt) and outcome.receipt.deposit_nonce == 0
    assert state.get_balance(_env().coinbase) == 0


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=["fast", "plain"])
def test_minted_value_moves_and_no_gas_is_bought(engine: Engine) -> None:
    chain, sealed = _run(engine, [_deposit(0, NOBODY, ALICE, mint=10**18, value=4, gas=30_000)])
    state = chain.state_at("latest")
    outcome = sealed.outcomes[0]
    assert outcome.success and outcome.gas_used == 21_000
    assert state.get_balance(NOBODY) == 10**18 - 4
    assert state.get_balance(ALICE) == 10_000 * 10**18 + 4
    assert state.get_nonce(NOBODY) == 1


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=["fast", "plain"])
def test_creation_then_call_then_revert(engine: Engine) -> None:
    init = H(COUNTER["bytecode"][2:]) + abi_encode(["uint256"], [7])
    created = contract_address_for(ALICE, 0)
    txs = [_deposit(0, ALICE, None, gas=1_000_000, data=init),
           _deposit(1, ALICE, created, gas=100_000, data=INCREMENT),
           _deposit(2, ALICE, created, gas=100_000, data=FAIL)]
    chain, sealed = _run(engine, txs)
    first, second, third = sealed.outcomes
    assert first.success and first.contract_address == created
    assert chain.state_at("latest").get_code(created) == H(COUNTER["deployedBytecode"][2:])
    assert second.success and chain.state_at("latest").get_storage(created, 0) == 8
    assert not third.success  # reverted in the EVM: included with status 0, its nonce used
    assert chain.state_at("latest").get_nonce(ALICE) == 3
    assert [o.receipt.deposit_nonce for o in sealed.outcomes] == [0, 1, 2]  # type: ignore[attr-defined]
    assert sealed.header.gas_used == sum(o.gas_used for o in sealed.outcomes)


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=["fast", "plain"])
def test_system_deposits_and_too_little_gas_fail_as_op_geth(engine: Engine) -> None:
    chain, sealed = _run(engine, [_deposit(0, ALICE, NOBODY, mint=3, gas=50_000, system=True),
                                  _deposit(1, ALICE, NOBODY, mint=3, gas=20_000)])
    assert [o.success for o in sealed.outcomes] == [False, False]
    assert [o.gas_used for o in sealed.outcomes] == [50_000, 20_000]
    state = chain.state_at("latest")
    assert state.get_nonce(ALICE) == 2 and state.get_balance(ALICE) == 10_000 * 10**18 + 6


def test_a_deposit_above_the_gas_left_is_refused_and_leaves_nothing() -> None:
    builder = _chain().new_builder(BlockEnv(2_000, 60_000))
    builder.apply(_deposit(0, ALICE, NOBODY, gas=50_000))
    with pytest.raises(TransactionRejected):
        builder.apply(_deposit(1, ALICE, NOBODY, gas=50_000))
    assert len(builder.outcomes) == 1


def test_l1_origin_is_in_l1block_storage_on_both_engines() -> None:
    origin = L1Origin(77, 1_700_000_000, 9 * 10**9, b"\x42" * 32, sequence_number=2, blob_base_fee=5)
    roots = []
    for engine in (FAST, PLAIN):
        chain, sealed = _run(engine, [], origin)
        state = chain.state_at("latest")
        assert state.get_storage(L1_BLOCK, 0) == 77 | 1_700_000_000 << 64
        assert state.get_storage(L1_BLOCK, 2) == int.from_bytes(b"\x42" * 32, "big")
        assert state.get_storage(L1_BLOCK, 7) == 5
        roots.append(sealed.header.state_root)
    assert roots[0] == roots[1]


def test_block_size_is_rlps_for_ordinary_blocks() -> None:
    import rlp

    tx = sign(TxRequest(901, ALICE, 0, 21_000, NOBODY, 1, b"", max_fee_per_gas=10**10,
                        max_priority_fee_per_gas=1), ACCOUNTS[0].private_key)
    _chain_, sealed = _run(FAST, [tx])
    assert block_size(sealed.block) == len(rlp.encode(sealed.block))


# -- the same state on both engines, for any block of deposits and transactions -------------


_TARGETS = [ALICE, NOBODY, ACCOUNTS[1].address, None]


@st.composite
def _block(draw: st.DrawFn) -> list[tuple[str, int, int, int, int, int]]:
    """(kind, sender, target, mint, value, gas) items: deposits and signed transfers."""
    items = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["deposit", "deposit", "transfer"]))
        items.append((kind, draw(st.integers(0, 2)), draw(st.integers(0, 3)), draw(st.sampled_from([0, 1, 10**18])),
                      draw(st.sampled_from([0, 1, 5 * 10**17, 2 * 10**22])), draw(st.sampled_from([20_000, 21_000, 60_000,
                                                                                               200_000]))))
    return items


def _txs(items: list[tuple[str, int, int, int, int, int]]) -> list[PendingTx]:
    senders = [ALICE, NOBODY, ACCOUNTS[2].address]
    nonces = {0: 0, 2: 0}
    init = H(COUNTER["bytecode"][2:]) + abi_encode(["uint256"], [1])
    txs: list[PendingTx] = []
    deposits = 0
    for kind, sender_index, target, mint, value, gas in items:
        to = _TARGETS[target]
        if kind == "deposit":
            txs.append(_deposit(deposits, senders[sender_index], to, mint=mint, value=value, gas=gas,
                                data=init if to is None else b""))
            deposits += 1
            if sender_index in nonces:
                nonces[sender_index] += 1
        elif sender_index in nonces and to is not None and value < 10**21:
            account = ACCOUNTS[0] if sender_index == 0 else ACCOUNTS[2]
            txs.append(sign(TxRequest(901, account.address, nonces[sender_index], 21_000, to, value, b"",
                                      max_fee_per_gas=10**10, max_priority_fee_per_gas=1), account.private_key))
            nonces[sender_index] += 1
    return txs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_block())
def test_fast_and_plain_engines_agree_on_deposit_blocks(items: list[tuple[str, int, int, int, int, int]]) -> None:
    txs = _txs(items)
    results = []
    for engine in (FAST, PLAIN):
        _chain_, sealed = _run(engine, txs)
        results.append((sealed.hash, [(o.success, o.gas_used) for o in sealed.outcomes]))
    assert results[0] == results[1]
