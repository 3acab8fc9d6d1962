"""Time limits for reads: an interpreter that gives up at a deadline.

A read (eth_call, eth_estimateGas, a trace, a cross-rollup simulation) runs under
``limit(seconds)`` (backend/reads.py: on the event loop for its first milliseconds, then in a
worker thread); while it is set, the interpreter checks the clock when a computation starts
and every ``CHECK_EVERY`` opcodes, and raises ExecutionTimeout past the deadline. Every
unbounded execution needs a loop (jumps) or recursion (new computations), so these two
checks bound it. The deadline is the calling thread's own and is set only around a read:
mining, which runs on the event loop's thread between reads, with no deadline, is never
interrupted, and the check costs it one comparison per opcode.

ExecutionTimeout is not an EVM error: it is not caught by the computation, it unwinds the
whole execution, whose state is a throwaway one.

The fast engine checks in its own loop (chains/engine/evm.py). A chain on the plain engine
(stock py-evm) runs ``bounded_vm(PragueVM)``: PragueVM with a computation that checks on entry
and on every jump, identical to PragueVM in everything else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from eth.abc import VirtualMachineAPI
from eth.vm.opcode import as_opcode
from eth.vm.opcode_values import JUMP, JUMPI

from chains.errors import ExecutionTimeout

CHECK_EVERY = 1024  # opcodes between two looks at the clock (about a millisecond of work)


class _Limit(threading.local):
    deadline: float | None = None
    seconds: float = 0.0
    on_check: Callable[[], None] | None = None


_limit = _Limit()


class limit:  # noqa: N801  # used as a function: ``with limit(seconds): ...``
    """Run what is inside with a time limit of ``seconds`` (reported in the error), ending at
    ``deadline`` (time.monotonic(); by default ``seconds`` from now), in this thread only.
    Inside, execution past the deadline raises ExecutionTimeout; ``on_check`` is called at
    every check that passes (a worker lets others have their turn there). A class rather
    than a generator context manager: every eth_call enters one."""

    __slots__ = ("_deadline", "_seconds", "_on_check", "_saved")

    def __init__(self, seconds: float, deadline: float | None = None,
                 on_check: Callable[[], None] | None = None) -> None:
        self._seconds, self._on_check = seconds, on_check
        self._deadline = time.monotonic() + seconds if deadline is None else deadline

    def __enter__(self) -> None:
        self._saved = _limit.deadline, _limit.seconds, _limit.on_check
        _limit.deadline, _limit.seconds, _limit.on_check = self._deadline, self._seconds, self._on_check

    def __exit__(self, *exc: object) -> None:
        _limit.deadline, _limit.seconds, _limit.on_check = self._saved


def current() -> float | None:
    """This thread's deadline (time.monotonic()), or None when there is none."""
    return _limit.deadline


def check(deadline: float | None) -> None:
    """Raises ExecutionTimeout when ``deadline`` (from ``current()``) has passed."""
    if deadline is None:
        return
    if time.monotonic() > deadline:
        raise ExecutionTimeout(_limit.seconds)
    if _limit.on_check is not None:
        _limit.on_check()


def _checked(opcode: Any) -> Any:
    """A jump opcode (py-evm's as_opcode kind) that first looks at the deadline: the plain
    engine's loop check."""
    logic = opcode.logic_fn

    def checked(computation: Any) -> None:
        check(_limit.deadline)
        logic(computation)

    return as_opcode(checked, opcode.mnemonic, opcode.gas_cost)


def _bounded_computation(base: Any) -> Any:
    class Bounded(base):  # type: ignore[valid-type, misc]
        checks_deadline = True
        opcodes = {op: _checked(fn) if op in (JUMP, JUMPI) else fn for op, fn in base.opcodes.items()}

        @classmethod
        def apply_computation(cls, state: Any, message: Any, transaction_context: Any,
                              parent_computation: Any = None) -> Any:
            check(_limit.deadline)
            return super().apply_computation(state, message, transaction_context, parent_computation)

    Bounded.__name__ = Bounded.__qualname__ = f"Bounded{base.__name__}"
    return Bounded


@cache
def bounded_vm(vm_class: type[VirtualMachineAPI]) -> type[VirtualMachineAPI]:
    """``vm_class`` if its computation checks the deadline already (the fast engine's), else
    a subclass whose computation checks it on entry and on every jump and is the same in
    everything else (stock py-evm's PragueVM, for the plain engine). Chains are built on
    this, so that reads are bounded on either engine."""
    state_class = vm_class.get_state_class()
    computation_class = state_class.computation_class
    if getattr(computation_class, "checks_deadline", False):
        return vm_class
    bounded_state = type(f"Bounded{state_class.__name__}", (state_class,),
                         {"computation_class": _bounded_computation(computation_class)})
    return type(f"Bounded{vm_class.__name__}", (vm_class,), {"_state_class": bounded_state})
