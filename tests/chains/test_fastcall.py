"""Calls on the fast engine (chains/engine/fastcall.py: no validation, no finalize) give what
py-evm's own transaction path gives: the same output, error, logs and gas left as the plain
engine (stock py-evm) and as the fast engine's full ``costless_execute_transaction``, and the
same refusals, for every kind of call."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from bridge_contracts import load_artifact
from chains.engine import FAST, FAST_OSAKA, PLAIN, PLAIN_OSAKA, Engine
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, RollupChain, StateEdit

ACCOUNTS = dev_accounts(count=2)
SENDER = ACCOUNTS[0].address
POOR = bytes.fromhex("00000000000000000000000000000000000000aa")  # no balance, no nonce
COUNTER = bytes.fromhex("00000000000000000000000000000000000c0017")
EMPTY = bytes.fromhex("000000000000000000000000000000000000e3e3")
RETURN_TOP = bytes.fromhex("5f5260205ff3")  # MSTORE(0, top) RETURN(0, 32)
TRANSIENT = bytes.fromhex("5f5c60015f5d") + RETURN_TOP  # transient slot 0, then sets it
CREATE_EMPTY = bytes.fromhex("5f5f5ff0") + RETURN_TOP  # CREATE of empty code: its address
SELF_BALANCE = bytes.fromhex("47") + RETURN_TOP
RAW = {b"\x31" * 20: TRANSIENT, b"\x32" * 20: CREATE_EMPTY, b"\x33" * 20: SELF_BALANCE}


def _selector(signature: str, *args: tuple[str, Any]) -> bytes:
    return function_signature_to_4byte_selector(signature) + abi_encode([t for t, _ in args], [v for _, v in args])


def _initcode(initial: int) -> bytes:
    code = load_artifact("Counter")["bytecode"]
    code = code if isinstance(code, str) else code["object"]
    return bytes.fromhex(code.removeprefix("0x")) + abi_encode(["uint256"], [initial])


CALLS: dict[str, CallMessage] = {
    "view": CallMessage(SENDER, COUNTER, _selector("number()")),
    "write-and-log": CallMessage(SENDER, COUNTER, _selector("increment()")),
    "set": CallMessage(SENDER, COUNTER, _selector("setNumber(uint256)", ("uint256", 7))),
    "revert-reason": CallMessage(SENDER, COUNTER, _selector("failWithReason()")),
    "revert-custom": CallMessage(SENDER, COUNTER, _selector("failWithCustom(uint256)", ("uint256", 3))),
    "panic": CallMessage(SENDER, COUNTER, _selector("failWithPanic()")),
    "require": CallMessage(SENDER, COUNTER, _selector("requirePositive(uint256)", ("uint256", 0))),
    "block": CallMessage(SENDER, COUNTER, _selector("blockInfo()")),
    "loop": CallMessage(SENDER, COUNTER, _selector("burnGas(uint256)", ("uint256", 20))),
    "out-of-gas": CallMessage(SENDER, COUNTER, _selector("burnGas(uint256)", ("uint256", 200)), gas=60_000),
    "no-such-function": CallMessage(SENDER, COUNTER, b"\xde\xad\xbe\xef"),
    "value-to-receive": CallMessage(SENDER, COUNTER, value=5),
    "value-to-nobody": CallMessage(SENDER, EMPTY, value=5),
    "to-nobody": CallMessage(SENDER, EMPTY, b"\x01\x02"),
    "from-nobody": CallMessage(POOR, COUNTER, _selector("number()")),
    "from-a-contract": CallMessage(COUNTER, COUNTER, _selector("increment()")),
    "create": CallMessage(SENDER, None, _initcode(9)),
    "create-reverts": CallMessage(SENDER, None, _initcode(9)[:-40]),  # constructor argument cut short
    "precompile-sha256": CallMessage(SENDER, b"\x00" * 19 + b"\x02", b"abc"),
    "precompile-ecrecover": CallMessage(SENDER, b"\x00" * 19 + b"\x01", b"\x01" * 128),
    "access-list": CallMessage(SENDER, COUNTER, _selector("number()"), access_list=((COUNTER, (0, 1)), (EMPTY, ()))),
    "transient": CallMessage(SENDER, b"\x31" * 20),
    "nested-create": CallMessage(SENDER, b"\x32" * 20, gas=200_000),
    "self-balance": CallMessage(SENDER, b"\x33" * 20, value=11),
}
REFUSED = {
    "intrinsic-gas-too-low": CallMessage(SENDER, COUNTER, _selector("number()"), gas=21_000),
    "value-above-balance": CallMessage(POOR, COUNTER, value=1),
}


def _chain(engine: Engine) -> RollupChain:
    chain = RollupChain(ChainConfig(901, genesis_timestamp=1_000), tuple(ACCOUNTS), engine)
    runtime = load_artifact("Counter")["deployedBytecode"]
    runtime = runtime if isinstance(runtime, str) else runtime["object"]
    chain.edit_state(StateEdit("code", COUNTER, bytes.fromhex(runtime.removeprefix("0x"))))
    chain.edit_state(StateEdit("storage", COUNTER, 42, slot=0))
    chain.edit_state(StateEdit("balance", COUNTER, 10**18))
    for address, code in RAW.items():
        chain.edit_state(StateEdit("code", address, code))
    return chain


def _outcome(computation: Any) -> tuple[Any, ...]:
    logs = tuple((bytes(a), tuple(t), bytes(d)) for a, t, d in computation.get_log_entries())
    return bytes(computation.output), type(computation.error).__name__ if computation.is_error else None, \
        computation.get_gas_remaining(), logs


def _py_evm_path(chain: RollupChain, msg: CallMessage) -> tuple[Any, ...]:
    """``msg`` through py-evm's whole transaction path (validate, message, computation,
    finalize) on a fresh state of ``chain``'s engine."""
    with chain.call_state("latest") as (state, header):
        gas = msg.gas if msg.gas is not None else int(header.gas_limit)
        return _outcome(state.costless_execute_transaction(chain.checked_call_tx(state, msg, gas)))


@pytest.fixture(scope="module", params=[(FAST, PLAIN), (FAST_OSAKA, PLAIN_OSAKA)], ids=["prague", "osaka"])
def chains(request: pytest.FixtureRequest) -> tuple[RollupChain, RollupChain]:
    fast, plain = request.param
    return _chain(fast), _chain(plain)


@pytest.mark.parametrize("name", list(CALLS))
def test_a_call_on_the_fast_engine_is_py_evms(chains: tuple[RollupChain, RollupChain], name: str) -> None:
    fast, plain = chains
    msg = CALLS[name]
    got = _outcome(fast.execute_call(msg))
    assert got == _py_evm_path(fast, msg)
    assert got == _outcome(plain.execute_call(msg)) == _py_evm_path(plain, msg)
    assert _outcome(fast.execute_call(msg)) == got  # again, on the reused state


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_refused_call_is_refused_alike(chains: tuple[RollupChain, RollupChain], name: str) -> None:
    fast, plain = chains
    with pytest.raises(Exception) as on_fast:  # noqa: PT011 - the type is what is compared
        fast.execute_call(REFUSED[name])
    with pytest.raises(Exception) as on_plain:  # noqa: PT011
        plain.execute_call(REFUSED[name])
    assert (type(on_fast.value), str(on_fast.value)) == (type(on_plain.value), str(on_plain.value))
