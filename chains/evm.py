"""The VM the rollups run: py-evm's Prague, with two of its costs cut.

- Accounts are tuples (chains/accounts.py).
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
from typing import Any

from eth.vm.code_stream import CodeStream
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
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


RollupState = PragueState.configure(
    __name__="RollupState", account_db_class=FastAccountDB, computation_class=RollupComputation)
RollupVM = PragueVM.configure(__name__="RollupVM", _state_class=RollupState)
