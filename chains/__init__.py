"""One rollup chain: py-evm on its own database, block building, indexes, reads."""

import importlib.util
import os

# keccak is hashed dozens of times per transaction (trie keys, nodes, addresses). eth-hash picks
# pycryptodome's ctypes binding first; safe-pysha3's C extension is about 4x faster per call.
if "ETH_HASH_BACKEND" not in os.environ and importlib.util.find_spec("sha3") is not None:
    os.environ["ETH_HASH_BACKEND"] = "pysha3"

# py-evm's BLS12-381 precompiles cost ~0.4 s to import; load them on first use instead.
from chains import lazybls  # noqa: E402

lazybls.install()
