"""One rollup chain: py-evm on its own database, block building, indexes, reads."""

import importlib.util
import os
import sys

# keccak is hashed dozens of times per transaction (trie keys, nodes, addresses). eth-hash picks
# pycryptodome's ctypes binding first; safe-pysha3's C extension is about 4x faster per call.
if importlib.util.find_spec("sha3") is not None and os.environ.setdefault("ETH_HASH_BACKEND", "pysha3") == "pysha3":
    _auto = sys.modules.get("eth_hash.auto")
    if _auto is not None:  # hashed before we were imported (web3 first, say): it may hold pycryptodome
        from eth_hash.backends import pysha3 as _pysha3

        _auto.keccak.hasher, _auto.keccak.preimage = _pysha3.keccak256, _pysha3.preimage

# py-evm's BLS12-381 precompiles cost ~0.4 s to import; load them on first use instead.
from chains import lazybls  # noqa: E402

lazybls.install()
