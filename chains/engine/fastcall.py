"""Calls (eth_call, eth_estimateGas's runs) without the two steps of a transaction whose work
a call throws away.

A call is a transaction at gas price 0 from the sender's current nonce, run on a state that is
reverted afterwards. Of py-evm's four steps (validate, build the message, run it, finalize),
validation cannot fail for such a transaction once the caller has checked what geth checks
before a call (``chains.txbuild.check_call``: the intrinsic gas, the value against the
balance): the fee is 0 against a base fee of 0, the nonce is the state's own, the signature is
a spoofed one. Finalizing only changes the state (refunds and a tip of 0, EIP-161's clean-up)
and sets the computation's ``data_floor_gas``, which no reader of a call's computation looks at.
``apply_call`` runs the engine's executor's own message and computation steps, then clears the
transient storage as the executor does; the computation it returns has the same output, error,
logs and gas left.

It stands in for the engine's executor only: on any other state (stock py-evm's, under
``XROLLUP_ENGINE=plain``) a call goes through that state's ``apply_transaction``.
tests/chains/test_fastcall.py compares calls on both engines.
"""

from __future__ import annotations

from typing import Any

from eth.abc import ComputationAPI, SignedTransactionAPI, StateAPI
from eth.vm.spoof import SpoofTransaction

from chains.engine.evm import RollupState


class CallTransaction:
    """A call's spoofed transaction with the fields the executor reads held as plain
    attributes: a ``SpoofTransaction`` answers each of the twenty-odd reads of a call
    through ``__getattr__`` and the transaction's field getters. Anything else is read from
    the spoofed transaction itself."""

    __slots__ = ("_spoof", "sender", "to", "gas", "value", "data", "nonce", "access_list", "type_id",
                 "intrinsic_gas", "max_fee_per_gas", "max_priority_fee_per_gas")

    def __init__(self, spoof: Any) -> None:
        self._spoof = spoof
        target, overrides = spoof.spoof_target, spoof.overrides
        for name in self.__slots__[1:]:  # what SpoofAttributes.__getattr__ answers, read once
            setattr(self, name, overrides[name] if name in overrides else getattr(target, name))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spoof, name)


def apply_call(state: StateAPI, tx: SignedTransactionAPI) -> ComputationAPI:
    """``state.apply_transaction(tx)`` for a call ``tx`` (gas price 0, the sender's nonce, the
    checks of ``check_call`` passed), on a state that is reverted afterwards."""
    if not isinstance(state, RollupState):
        return state.apply_transaction(tx)
    if type(tx) is SpoofTransaction:
        tx = CallTransaction(tx)  # type: ignore[assignment]
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    state.clear_transient_storage()
    return computation
