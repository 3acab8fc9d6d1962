"""The engine: what a rollup chain executes on, py-evm's stock classes or the speed-ups over them.

The speed-ups (each tested to give py-evm's exact bytes): a shared-node Merkle Patricia trie
(``mpt``), accounts as tuples and slots decoded in place (``accounts``), plain transfers
without the interpreter's machinery (``fastpath``), the rollups' VM with a leaner interpreter
loop (``evm``), rlp without serializers (``rlpfast``), keccak straight from pysha3
(``hashing``) and sender recovery from raw bytes (``sender``).

Importing this package changes nothing outside it: no environment variable, no module of
another library, no class of py-evm. The fast classes are subclasses that a chain uses only
when it is built with them; py-evm's own classes, and any other chain in the process, are
left as they are.

``select()`` is the one place that decides which engine a chain runs on, when the chain is
built: ``XROLLUP_ENGINE=fast`` (the default) or ``plain`` (stock py-evm: PragueVM, its state,
AccountDB on py-trie, eth-hash's keccak), so the speed-ups can always be checked against the
reference.
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


FAST = Engine("fast", RollupVM, FastAccountDB)
PLAIN = Engine("plain", PragueVM, AccountDB)
ENGINES = {engine.name: engine for engine in (FAST, PLAIN)}


def select(environ: Mapping[str, str] | None = None) -> Engine:
    """The engine ``XROLLUP_ENGINE`` names in ``environ`` (the process environment by default;
    unset or empty: fast). Raises UnknownEngine for any other value."""
    env = os.environ if environ is None else environ
    name = env.get(ENV_VAR, "").strip() or DEFAULT
    engine = ENGINES.get(name)
    if engine is None:
        raise UnknownEngine(f"{ENV_VAR}={name!r} is not an engine: use one of {', '.join(sorted(ENGINES))}")
    return engine


__all__ = ["DEFAULT", "ENGINES", "ENV_VAR", "FAST", "PLAIN", "Engine", "select"]
