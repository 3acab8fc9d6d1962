"""Differential tests: xrollup's admission accepts exactly what the Prague execution specs
(PyPI ``ethereum-execution``: ``validate_transaction`` then ``check_transaction``) accept.

Each rule gets a test that starts from a transaction both accept and moves one quantity across
that rule's boundary (hypothesis picks where): the verdicts must agree, and a refusal must be
the same kind (our geth text mapped to the specs' exception). A last test draws everything at
once and compares the verdicts. Blob transactions are the one intended difference: rollups
carry none, so admission refuses every type-3 transaction.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sequencer.admission_cases import DELEGATION, SPEC_KINDS, TARGET, Case, ours, spec, spec_intrinsic

GWEI = 10**9
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

tx_types = st.sampled_from([0, 1, 2, 4])
access_lists = st.lists(
    st.tuples(st.sampled_from([TARGET, "0x" + "55" * 20]), st.lists(st.integers(0, 2**256 - 1), max_size=3).map(tuple)),
    max_size=3,
).map(tuple)


@st.composite
def valid_cases(draw: st.DrawFn) -> Case:
    """A transaction both sides accept: gas covers intrinsic cost and floor, fees cover the
    base fee, the sender can pay and its nonce is next."""
    tx_type = draw(tx_types)
    creation = tx_type != 4 and draw(st.booleans())
    data = draw(st.binary(max_size=200))
    base_fee = draw(st.integers(0, 50 * GWEI))
    fee_cap = base_fee + draw(st.integers(0, 10 * GWEI))
    tip = fee_cap if tx_type in (0, 1) else draw(st.integers(0, fee_cap))
    case = Case(
        tx_type=tx_type, to=None if creation else TARGET, data=data, access_list=draw(access_lists) if tx_type else (),
        auths=draw(st.integers(1, 2)) if tx_type == 4 else 1, fee_cap=fee_cap, tip=tip, base_fee=base_fee,
        value=draw(st.integers(0, 10**18)), nonce=draw(st.integers(0, 5)),
        code=draw(st.sampled_from([b"", DELEGATION])),
    )
    case = replace(case, account_nonce=case.nonce)
    gas = max(spec_intrinsic(case)) + draw(st.integers(0, 100_000))
    case = replace(case, gas=gas, balance=gas * fee_cap + case.value + draw(st.integers(0, 10**18)))
    assert spec(case) is None and ours(case) is None, case
    return case


def assert_same(case: Case) -> None:
    mine, theirs = ours(case), spec(case)
    assert (mine is None) == (theirs is None), (case, mine, theirs)
    if mine is not None:
        assert theirs in SPEC_KINDS.get(mine, set()), (case, mine, theirs)


@SETTINGS
@given(valid_cases(), st.integers(-3, 3))
def test_gas_around_intrinsic_and_floor(case: Case, delta: int) -> None:
    assert_same(replace(case, gas=max(spec_intrinsic(case)) + delta))


@SETTINGS
@given(valid_cases(), st.integers(0, 3000), st.sampled_from([0, 1, 0x60]), st.integers(-2, 2))
def test_calldata_floor_with_large_calldata(case: Case, size: int, byte: int, delta: int) -> None:
    case = replace(case, data=bytes([byte]) * size)
    intrinsic, floor = spec_intrinsic(case)
    for gas in (intrinsic + delta, floor + delta):
        assert_same(replace(case, gas=gas, balance=gas * case.fee_cap + case.value))


@SETTINGS
@given(valid_cases(), st.integers(49_150, 49_155), st.sampled_from([0, 0x60]))
def test_initcode_size(case: Case, size: int, byte: int) -> None:
    case = replace(case, tx_type=2 if case.tx_type == 4 else case.tx_type, to=None, data=bytes([byte]) * size)
    gas = max(spec_intrinsic(case))
    assert_same(replace(case, gas=gas, balance=gas * case.fee_cap + case.value, gas_limit=max(gas, 30_000_000)))


@SETTINGS
@given(valid_cases(), st.integers(-2, 2))
def test_priority_fee_against_max_fee(case: Case, delta: int) -> None:
    if case.tx_type in (0, 1):
        case = replace(case, tx_type=2)
    assert_same(replace(case, tip=max(0, case.fee_cap + delta)))


@SETTINGS
@given(valid_cases(), st.integers(-2, 2))
def test_fee_cap_against_base_fee(case: Case, delta: int) -> None:
    assert_same(replace(case, base_fee=max(0, case.fee_cap + delta)))


@SETTINGS
@given(valid_cases(), st.integers(-2, 0))
def test_nonce(case: Case, delta: int) -> None:
    assert_same(replace(case, account_nonce=case.nonce - delta))


@SETTINGS
@given(valid_cases(), st.integers(-2, 2))
def test_funds_cover_gas_times_fee_cap_plus_value(case: Case, delta: int) -> None:
    assert_same(replace(case, balance=max(0, case.gas * case.fee_cap + case.value + delta)))


@SETTINGS
@given(valid_cases(), st.sampled_from([
    b"", DELEGATION, b"\x60\x00", b"\xef\x01\x00" + b"\x44" * 19, b"\xef\x01\x00" + b"\x44" * 21,
    b"\xef\x01\x01" + b"\x44" * 20, b"\xef", b"\x00" * 23,
]))
def test_sender_with_code(case: Case, code: bytes) -> None:
    assert_same(replace(case, code=code))


@SETTINGS
@given(valid_cases(), st.integers(-2, 2))
def test_gas_against_block_gas_limit(case: Case, delta: int) -> None:
    assert_same(replace(case, gas_limit=max(21_000, case.gas + delta)))


@SETTINGS
@given(valid_cases())
def test_set_code_needs_authorizations_and_a_target(case: Case) -> None:
    case = replace(case, tx_type=4, to=TARGET, access_list=case.access_list)
    gas = max(spec_intrinsic(case)) + 25_000
    case = replace(case, gas=gas, balance=gas * case.fee_cap + case.value)
    assert_same(case)
    assert_same(replace(case, auths=0))
    # a creation cannot even be decoded, by either side
    assert ours(replace(case, to=None)) is not None and spec(replace(case, to=None)) is not None


@SETTINGS
@given(valid_cases(), st.sampled_from([2**64 - 2, 2**64 - 1]))
def test_nonce_range(case: Case, nonce: int) -> None:
    assert_same(replace(case, nonce=nonce, account_nonce=nonce))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx_types, st.booleans(), st.binary(max_size=120), st.integers(0, 3), st.integers(0, 3),
       st.integers(0, 200_000), st.integers(0, 3 * GWEI), st.integers(0, 3 * GWEI), st.integers(0, 3 * GWEI),
       st.integers(0, 10**16), st.integers(0, 10**16), st.sampled_from([b"", DELEGATION, b"\x60\x00"]),
       st.sampled_from([21_000, 50_000, 30_000_000]), st.integers(0, 2))
def test_everything_at_once(tx_type: int, creation: bool, data: bytes, nonce: int, account_nonce: int, gas: int,
                            fee_cap: int, tip: int, base_fee: int, value: int, balance: int, code: bytes,
                            gas_limit: int, auths: int) -> None:
    case = Case(tx_type=tx_type, to=None if creation and tx_type != 4 else TARGET, data=data, nonce=nonce,
                account_nonce=account_nonce, gas=gas, fee_cap=fee_cap, tip=fee_cap if tx_type in (0, 1) else tip,
                base_fee=base_fee, value=value, balance=balance, code=code, gas_limit=gas_limit, auths=auths)
    if nonce > account_nonce:  # a future nonce waits in the pool; the specs judge it when its turn comes
        assert ours(case) is None or ours(replace(case, account_nonce=nonce)) is not None
        case = replace(case, account_nonce=nonce)
    mine, theirs = ours(case), spec(case)
    assert (mine is None) == (theirs is None), (case, mine, theirs)


def test_blob_transactions_are_refused_on_a_rollup() -> None:
    case = Case(tx_type=3, gas=100_000)
    assert spec(case) is None  # valid on the L1
    assert ours(case) == "transaction type not supported: received type 3"
