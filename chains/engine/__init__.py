"""The engine: what a rollup chain executes on, py-evm's stock classes or the speed-ups over them.

The speed-ups (each tested to give py-evm's exact bytes): a shared-node Merkle Patricia trie
(``mpt``), accounts as tuples and slots decoded in place (``accounts``), plain transfers
without the interpreter's machinery (``fastpath``), the rollups' VM with a leaner interpreter
loop (``evm``), rlp without serializers (``rlpfast``), keccak straight from pysha3
(``hashing``) and sender recovery from raw bytes (``sender``); calls without the validation
and finalize whose work a call throws away (``fastcall``), on states reused at the same block
and root for either engine (``callstates``).

Importing this package changes nothing outside it: no environment variable, no module of
another library, no class of py-evm. The fast classes are subclasses that a chain uses only
when it is built with them; py-evm's own classes, and any other chain in the process, are
left as they are.

``select()`` is the one place that decides which engine a chain runs on, when the chain is
built: ``XROLLUP_ENGINE=fast`` (the default) or ``plain`` (stock py-evm: PragueVM, its state,
AccountDB on py-trie, eth-hash's keccak), so the speed-ups can always be checked against the
reference; and which hardfork (``prague`` or ``osaka``: chains/engine/forks.py). Osaka is a
fork on top of Prague for both engines (chains/engine/osaka.py): the plain engine's is
py-evm's PragueVM with Osaka's tables and nothing else changed. The fast engine follows the
execution specs where py-evm does not (CREATE collisions and limits, MODEXP), in Prague too;
plain Prague stays py-evm's own, the reference the speed-ups are checked against.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from eth.abc import AccountDatabaseAPI, VirtualMachineAPI
from eth.db.account import AccountDB
from eth.vm.forks.prague import PragueVM

from chains.engine.accounts import FastAccountDB
from chains.engine.evm import RollupVM
from chains.engine.forks import DEFAULT_FORK, FORKS, ForkRules, check_fork, rules_of
from chains.engine.osaka import OsakaVM, RollupOsakaVM
from chains.errors import UnknownEngine

ENV_VAR = "XROLLUP_ENGINE"
DEFAULT = "fast"


@dataclass(frozen=True)
class Engine:
    """The classes a rollup chain is built on.

    ``vm_class`` runs its blocks (its state class names the account database, computation and
    executor); ``account_db_class`` opens the state at a root for reads outside a VM.
    """

    name: str
    vm_class: type[VirtualMachineAPI]
    account_db_class: type[AccountDatabaseAPI]

    @property
    def fork(self) -> str:
        return self.rules.fork

    @property
    def rules(self) -> ForkRules:
        """What the fork asks of the code around the EVM (the transaction gas limit cap)."""
        return rules_of(self.vm_class)


FAST = Engine("fast", RollupVM, FastAccountDB)
PLAIN = Engine("plain", PragueVM, AccountDB)
ENGINES = {engine.name: engine for engine in (FAST, PLAIN)}  # Prague's
FAST_OSAKA = Engine("fast", RollupOsakaVM, FastAccountDB)
PLAIN_OSAKA = Engine("plain", OsakaVM, AccountDB)
BY_FORK = {("fast", "prague"): FAST, ("plain", "prague"): PLAIN,
           ("fast", "osaka"): FAST_OSAKA, ("plain", "osaka"): PLAIN_OSAKA}


def select(environ: Mapping[str, str] | None = None, fork: str = "prague") -> Engine:
    """The engine ``XROLLUP_ENGINE`` names in ``environ`` (the process environment by default;
    unset or empty: fast), for ``fork``. Raises UnknownEngine for any other value or fork."""
    env = os.environ if environ is None else environ
    name = env.get(ENV_VAR, "").strip() or DEFAULT
    if name not in ENGINES:
        raise UnknownEngine(f"{ENV_VAR}={name!r} is not an engine: use one of {', '.join(sorted(ENGINES))}")
    return BY_FORK[(name, check_fork(fork))]


__all__ = ["BY_FORK", "DEFAULT", "DEFAULT_FORK", "ENGINES", "ENV_VAR", "FAST", "FAST_OSAKA", "FORKS", "PLAIN",
           "PLAIN_OSAKA", "Engine", "ForkRules", "select"]
