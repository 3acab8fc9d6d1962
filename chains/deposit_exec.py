"""Executing a deposit with OP's post-Regolith (Canyon) rules, on any engine's state.

A deposit (specs protocol/deposits.md "Execution"; op-geth core/state_transition.go):

- ``mint`` is credited to ``from`` first, and kept whatever happens next;
- no signature, no nonce check, no EOA check, no gas bought, no refund paid, no fee to the
  coinbase (the coinbase is not even touched); the gas used is reported as for any
  transaction (refunds and EIP-7623's floor counted);
- the nonce of ``from`` goes up by one, and the receipt records it as it was before;
- what op-geth treats as a consensus error (``isSystemTx`` set after Regolith, gas below the
  intrinsic cost or the data floor, a value above the balance, initcode above the limit)
  makes a failed deposit: everything after the mint is undone, the nonce still goes up, the
  whole gas limit is reported used, status 0.

The message is built and run by the state's own transaction executor (the engine's, or stock
py-evm's), so both engines execute a deposit with the same code they run any transaction on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth.abc import ComputationAPI, StateAPI
from eth.vm.forks.shanghai.constants import MAX_INITCODE_SIZE
from eth.vm.forks.spurious_dragon._utils import collect_touched_accounts
from eth_typing import Address

from chains.block import ComputationSummary
from chains.deposits import DepositReceipt, DepositTx
from chains.errors import XRollupError


class FailedDeposit(XRollupError):
    """Why a deposit failed before its EVM execution (the error of its computation summary)."""


@dataclass(frozen=True)
class DepositResult:
    computation: ComputationAPI
    gas_used: int
    deposit_nonce: int

    @property
    def success(self) -> bool:
        return not self.computation.is_error


def _precheck(state: StateAPI, tx: DepositTx, executor: Any) -> str | None:
    """What op-geth refuses before a deposit's EVM execution, as its error text, or None."""
    if tx.deposit.is_system_tx:
        return f"failed deposit: system transaction not supported: address 0x{tx.sender.hex()}"
    intrinsic = tx.intrinsic_gas
    if tx.gas < intrinsic:
        return f"failed deposit: intrinsic gas too low: have {tx.gas}, want {intrinsic}"
    floor = executor.calc_data_floor_gas(tx, 0, 0)  # Prague's EIP-7623 floor (0 before Prague)
    if tx.gas < floor:
        return f"failed deposit: insufficient gas for floor data gas cost: have {tx.gas}, want {floor}"
    if tx.value and state.get_balance(Address(tx.sender)) < tx.value:
        return f"failed deposit: insufficient funds for transfer: address 0x{tx.sender.hex()}"
    if not tx.to and len(tx.data) > MAX_INITCODE_SIZE:
        return f"failed deposit: max initcode size exceeded: code size {len(tx.data)} limit {MAX_INITCODE_SIZE}"
    return None


def apply_deposit(state: StateAPI, tx: DepositTx) -> DepositResult:
    """Execute ``tx`` on ``state`` (OP's rules: the module docstring), after the caller's
    ``lock_changes`` (the transaction boundary). Never raises for what the deposit does: a
    failure is a result with an errored computation."""
    sender = Address(tx.sender)
    if tx.deposit.mint:
        state.delta_balance(sender, tx.deposit.mint)
    deposit_nonce = int(state.get_nonce(sender))
    snapshot = state.snapshot()
    executor: Any = state.get_transaction_executor()  # a py-evm executor: its refund and floor helpers
    failure = _precheck(state, tx, executor)
    if failure is not None:
        state.revert(snapshot)
        state.set_nonce(sender, deposit_nonce + 1)
        summary = ComputationSummary(True, b"", FailedDeposit(failure), 0)
        return DepositResult(cast(ComputationAPI, summary), tx.gas, deposit_nonce)
    exec_tx = cast(Any, tx)
    message = executor.build_evm_message(exec_tx)  # a gas price of 0: buys nothing; bumps the nonce
    computation = executor.build_computation(message, exec_tx)
    remaining = computation.get_gas_remaining()
    consumed = tx.gas - remaining
    refund = executor.calculate_gas_refund(computation, consumed)
    floor = executor.calc_data_floor_gas(exec_tx, consumed, refund)
    computation.data_floor_gas = floor
    for account in computation.get_accounts_for_deletion():
        state.delete_account(account)
    for account in collect_touched_accounts(computation):  # EIP-161
        if state.account_exists(account) and state.account_is_empty(account):
            state.delete_account(account)
    state.clear_transient_storage()  # EIP-1153: per transaction
    state.commit(snapshot)
    return DepositResult(computation, consumed - refund + floor, deposit_nonce)


def deposit_receipt(result: DepositResult, cumulative_gas_before: int) -> DepositReceipt:
    return DepositReceipt(result.success, cumulative_gas_before + result.gas_used,
                          tuple(_logs(result.computation)), result.deposit_nonce)


def _logs(computation: ComputationAPI) -> list[Any]:
    if isinstance(computation, ComputationSummary) or computation.is_error:
        return []
    from eth.rlp.logs import Log

    return [Log(address, topics, data) for address, topics, data in computation.get_log_entries()]
