"""Load py-evm's BLS12-381 precompiles (EIP-2537) on their first call, not at start-up.

``eth.precompiles`` imports them eagerly, and they import py_ecc's optimized BLS12-381
pairing, which computes its tables at import: about 0.4 s of every devnet's start-up (a
third of it), for precompiles (0x0b..0x11) that few contracts call. ``install()``, run before
py-evm is first imported, puts a stand-in module in their place whose seven functions load
the real module on first use and hand over to it. tests/chains/test_evm.py calls them.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

NAME = "eth.precompiles.bls12_381"
FUNCTIONS = ("bls12_g1_add", "bls12_g1_msm", "bls12_map_fp_to_g1", "bls12_g2_add", "bls12_g2_msm",
             "bls12_map_fp2_to_g2", "bls12_pairing_check")
_real: types.ModuleType | None = None


def _package() -> Path:
    eth_spec = importlib.util.find_spec("eth")
    assert eth_spec is not None and eth_spec.submodule_search_locations
    return Path(next(iter(eth_spec.submodule_search_locations))) / "precompiles" / "bls12_381"


def _load() -> types.ModuleType:
    """The real module, executed under its own name (so its submodules import normally)."""
    global _real
    if _real is None:
        package = _package()
        spec = importlib.util.spec_from_file_location(
            NAME, package / "__init__.py", submodule_search_locations=[str(package)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[NAME] = module
        spec.loader.exec_module(module)
        _real = module
    return _real


def _stand_in(name: str) -> Any:
    def precompile(computation: Any) -> Any:
        return getattr(_load(), name)(computation)

    precompile.__name__ = precompile.__qualname__ = name
    return precompile


def install() -> bool:
    """Put the stand-in in place; False (nothing done) once py-evm's precompiles are loaded."""
    if "eth.precompiles" in sys.modules or NAME in sys.modules:
        return False
    stand_in = types.ModuleType(NAME, __doc__)
    stand_in.__path__ = [str(_package())]  # its submodules still import directly, if asked for
    for name in FUNCTIONS:
        setattr(stand_in, name, _stand_in(name))
    sys.modules[NAME] = stand_in
    return True
