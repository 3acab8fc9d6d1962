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

from eth.abc import ComputationAPI, SignedTransactionAPI, StateAPI

from chains.engine.evm import RollupState


def apply_call(state: StateAPI, tx: SignedTransactionAPI) -> ComputationAPI:
    """``state.apply_transaction(tx)`` for a call ``tx`` (gas price 0, the sender's nonce, the
    checks of ``check_call`` passed), on a state that is reverted afterwards."""
    if not isinstance(state, RollupState):
        return state.apply_transaction(tx)
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    state.clear_transient_storage()
    return computation
