"""Osaka, as a fork on top of py-evm's Prague (py-evm has no Osaka), for both engines.

- ``OsakaVM``: the plain engine's. py-evm's PragueVM with Osaka's opcode and precompile
  tables (chains/engine/forks.py) and EIP-7610's collision rule; nothing else of py-evm's
  classes is replaced.
- ``RollupOsakaVM``: the fast engine's. The rollups' Prague VM (chains/engine/evm.py: its
  interpreter loop, account database and executor) with the same tables: CLZ runs inline in
  the interpreter loop like the other unary opcodes.

Both carry ``fork = "osaka"``; ``forks.rules_of`` gives the rules the code around the EVM
enforces (EIP-7825's transaction gas limit cap: chains/builder.py).
tests/chains/test_osaka_spec.py runs both against the execution specs' Osaka.
"""

from __future__ import annotations

from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
from eth_typing import Address

from chains.engine.evm import RollupComputation, RollupState, RollupVM
from chains.engine.forks import OSAKA_OPCODES, OSAKA_PRECOMPILES, has_code_nonce_or_storage


class OsakaComputation(PragueComputation):
    opcodes = OSAKA_OPCODES
    _precompiles = OSAKA_PRECOMPILES


class OsakaState(PragueState):
    computation_class = OsakaComputation

    def has_code_or_nonce(self, address: Address) -> bool:
        """EIP-7610: storage makes a CREATE target taken too (py-evm: code or nonce)."""
        return has_code_nonce_or_storage(self._account_db, address)


class OsakaVM(PragueVM):
    fork = "osaka"
    _state_class = OsakaState


class RollupOsakaComputation(RollupComputation):
    opcodes = OSAKA_OPCODES
    _precompiles = OSAKA_PRECOMPILES


class RollupOsakaState(RollupState):
    computation_class = RollupOsakaComputation


class RollupOsakaVM(RollupVM):
    fork = "osaka"
    _state_class = RollupOsakaState
