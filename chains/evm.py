"""The VM the rollups run: py-evm's Prague, with two of its costs cut.

- Accounts are tuples (chains/accounts.py).
- The transaction's message: py-evm's Cancun executor formats a debug line with the hex of the
  callee's whole code for every transaction, logging enabled or not (the Mailbox's code is
  4 KB); ``RollupTransactionExecutor`` builds the same message without it.
- Jump destinations: py-evm decides whether a JUMP target is an instruction (not PUSH data)
  by looking back up to 32 bytes, per target and per computation, so the same contract's
  code is analysed again for every call. ``CachedCodeStream`` scans each code once, in
  order, as the yellow paper defines it (the positions that start an instruction), and
  shares the result between all computations running that code.

tests/chains/test_fastpath.py compares blocks against plain PragueVM; tests/chains/test_evm.py
compares the analysis with py-evm's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from eth._utils.address import generate_contract_address
from eth.abc import MessageAPI, SignedTransactionAPI
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.vm.code_stream import CodeStream
from eth.vm.forks.cancun.constants import BLOB_TX_TYPE
from eth.vm.forks.cancun.transactions import BlobTransaction
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.message import Message
from eth.vm.opcode_values import PUSH1, PUSH32

from chains.accounts import FastAccountDB


@lru_cache(maxsize=4096)
def instruction_starts(code: bytes) -> frozenset[int]:
    """The positions in ``code`` where an instruction starts (every byte but PUSH data)."""
    starts = []
    i, n = 0, len(code)
    while i < n:
        starts.append(i)
        op = code[i]
        i += op - PUSH1 + 2 if PUSH1 <= op <= PUSH32 else 1
    return frozenset(starts)


class CachedCodeStream(CodeStream):
    __slots__ = ["_starts"]

    def __init__(self, code_bytes: bytes) -> None:
        super().__init__(code_bytes)
        self._starts = instruction_starts(bytes(code_bytes))

    def is_valid_opcode(self, position: int) -> bool:
        return position in self._starts


class RollupComputation(PragueComputation):
    def __init__(self, state: Any, message: Any, transaction_context: Any) -> None:
        super().__init__(state, message, transaction_context)
        self.code = CachedCodeStream(message.code)


class RollupTransactionExecutor(PragueTransactionExecutor):
    def build_evm_message(self, transaction: SignedTransactionAPI) -> MessageAPI:
        """CancunTransactionExecutor.build_evm_message (Prague's delegation-aware code lookup
        included), less its eagerly formatted debug line."""
        state = self.vm_state
        gas_fee = transaction.gas * state.get_gas_price(transaction)
        if transaction.type_id == BLOB_TX_TYPE:
            gas_fee += self.calc_data_fee(cast(BlobTransaction, transaction))
        state.delta_balance(transaction.sender, -gas_fee)
        state.increment_nonce(transaction.sender)
        msg_refund = self.calc_message_refund(transaction)
        message_gas = transaction.gas - transaction.intrinsic_gas
        if transaction.to == CREATE_CONTRACT_ADDRESS:
            contract_address = generate_contract_address(transaction.sender, state.get_nonce(transaction.sender) - 1)
            data, code, is_delegation = b"", transaction.data, False
        else:
            contract_address = None
            data = transaction.data
            code, delegation_address = self.get_code_at_address(transaction.to)
            is_delegation = delegation_address is not None
        return Message(
            gas=message_gas, to=transaction.to, sender=transaction.sender, value=transaction.value, data=data,
            code=code, create_address=contract_address, refund=msg_refund,  # type: ignore[arg-type]  # None: a call
            is_delegation=is_delegation,
        )


RollupState = PragueState.configure(
    __name__="RollupState", account_db_class=FastAccountDB, computation_class=RollupComputation,
    transaction_executor_class=RollupTransactionExecutor)
RollupVM = PragueVM.configure(__name__="RollupVM", _state_class=RollupState)
