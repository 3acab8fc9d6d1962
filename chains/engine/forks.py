"""The hardforks a rollup can run, and where the rollups' EVM follows the execution specs
rather than py-evm.

``ForkRules``: what a fork asks of the code around the EVM (the block builder, admission):
today the transaction gas limit cap of EIP-7825 (Osaka). ``rules_of(vm_class)`` gives a VM
class's rules from the fork name py-evm's VM classes carry (``PragueVM.fork == "prague"``).

The EVM's own changes, as opcode and precompile tables for py-evm's computations:

- Prague as the specs have it (``SPEC_PRAGUE_OPCODES``, ``SPEC_PRAGUE_PRECOMPILES``): CREATE
  and CREATE2 with initcode above EIP-3860's limit are an exceptional halt of the creating
  frame before anything else is checked (py-evm first pushes 0 when the creator is short of
  the value or too deep); MODEXP's 0^0 (chains/engine/precompiles.py). A state that
  counts an address with storage as taken (EIP-7610, ``has_code_nonce_or_storage``) is the
  other half: py-evm lets a CREATE2 land on an address that has storage but no code or nonce.
- Osaka (``OSAKA_OPCODES``, ``OSAKA_PRECOMPILES``): CLZ (EIP-7939), MODEXP's bounds and price
  (EIP-7823, EIP-7883), P256VERIFY at 0x100 (EIP-7951).

Osaka's other execution-layer EIPs change nothing a rollup executes: EIP-7918 (blob base fee
bound) and EIP-7594/7892 (blob counts and schedules) only concern blob transactions, which
rollups refuse, and with no blob gas used the excess blob gas stays 0 under either formula;
EIP-7934 (an 8 MiB RLP block limit) is above what a 30M-gas block can hold; EIP-7642 and
EIP-7910 are networking and RPC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth._utils.address import force_bytes_to_address
from eth.constants import BLANK_ROOT_HASH, GAS_CREATE, GAS_LOW
from eth.exceptions import OutOfGas
from eth.vm import opcode_values
from eth.vm.forks.prague.computation import PRAGUE_PRECOMPILES
from eth.vm.forks.prague.opcodes import PRAGUE_OPCODES
from eth.vm.forks.shanghai.constants import MAX_INITCODE_SIZE
from eth.vm.forks.shanghai.logic import Create2EIP3860, CreateEIP3860
from eth.vm.logic.system import CreateOpcodeStackData
from eth.vm.opcode import as_opcode

from chains.engine import precompiles
from chains.errors import UnknownEngine

FORKS = ("prague", "osaka")
DEFAULT_FORK = "osaka"  # forge and anvil 1.7 default to it
OSAKA_TX_GAS_LIMIT_CAP = 2**24  # EIP-7825: 16,777,216
CLZ = 0x1E
P256VERIFY_ADDRESS = force_bytes_to_address(b"\x01\x00")
MODEXP_ADDRESS = force_bytes_to_address(b"\x05")


@dataclass(frozen=True)
class ForkRules:
    """What a fork asks of the code around the EVM.

    ``tx_gas_limit_cap``: the largest gas limit a transaction may have (None: only the block's
    gas limit bounds it). A transaction above it is invalid: geth's text is
    ``transaction gas limit too high (cap: <cap>, tx: <gas>)``.
    """

    fork: str
    tx_gas_limit_cap: int | None = None

    def gas_limit_error(self, gas: int) -> str | None:
        """geth's rejection text for a transaction with gas limit ``gas``, or None if it is
        within the cap."""
        cap = self.tx_gas_limit_cap
        if cap is None or gas <= cap:
            return None
        return f"transaction gas limit too high (cap: {cap}, tx: {gas})"


RULES = {"prague": ForkRules("prague"), "osaka": ForkRules("osaka", OSAKA_TX_GAS_LIMIT_CAP)}


def check_fork(fork: str) -> str:
    """``fork`` if it is one a rollup can run. Raises UnknownEngine."""
    if fork not in RULES:
        raise UnknownEngine(f"hardfork {fork!r} is not supported: use one of {', '.join(FORKS)}")
    return fork


def rules_of(vm_class: Any) -> ForkRules:
    """The rules of the fork ``vm_class`` runs (py-evm's VM classes name it in ``fork``).
    Raises UnknownEngine for a fork a rollup does not run."""
    return RULES[check_fork(str(vm_class.fork))]


def has_code_nonce_or_storage(account_db: Any, address: Any) -> bool:
    """The specs' test for a CREATE target that is taken, on a py-evm account database:
    code, a nonce, or (EIP-7610) storage. Only an address's own code writes its storage, so
    an address without code has no storage change pending in the transaction: its account's
    storage root says it all."""
    if account_db.account_has_code_or_nonce(address):
        return True
    return bool(account_db._get_storage_root(address) != BLANK_ROOT_HASH)


class _InitcodeLimit:
    """EIP-3860's initcode limit as the specs order it: after the frame has paid for the
    opcode and its memory, and before the balance, depth and nonce checks that push 0."""

    def get_gas_cost(self, data: CreateOpcodeStackData) -> int:
        if data.memory_length > MAX_INITCODE_SIZE:
            raise OutOfGas(f"initcode of {data.memory_length} bytes is above the limit of {MAX_INITCODE_SIZE}")
        return int(super().get_gas_cost(data))  # type: ignore[misc]  # the opcode class it is mixed into


class SpecCreate(_InitcodeLimit, CreateEIP3860):
    pass


class SpecCreate2(_InitcodeLimit, Create2EIP3860):
    pass


def clz(computation: Any) -> None:
    """EIP-7939: the number of leading zero bits of the top of the stack (256 for 0)."""
    computation.stack_push_int(256 - computation.stack_pop1_int().bit_length())


SPEC_PRAGUE_OPCODES = {
    **PRAGUE_OPCODES,
    opcode_values.CREATE: SpecCreate.configure(
        __name__="opcode:CREATE", mnemonic="CREATE", gas_cost=GAS_CREATE)(),
    opcode_values.CREATE2: SpecCreate2.configure(
        __name__="opcode:CREATE2", mnemonic="CREATE2", gas_cost=GAS_CREATE)(),
}
OSAKA_OPCODES = {**SPEC_PRAGUE_OPCODES, CLZ: as_opcode(logic_fn=clz, mnemonic="CLZ", gas_cost=GAS_LOW)}

SPEC_PRAGUE_PRECOMPILES = {**PRAGUE_PRECOMPILES, MODEXP_ADDRESS: precompiles.modexp_prague}
OSAKA_PRECOMPILES = {**SPEC_PRAGUE_PRECOMPILES, MODEXP_ADDRESS: precompiles.modexp_osaka,
                     P256VERIFY_ADDRESS: precompiles.p256verify}
