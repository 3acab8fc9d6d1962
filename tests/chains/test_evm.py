"""chains.evm's shared jump-destination analysis answers as py-evm's own CodeStream does."""

from __future__ import annotations

from eth.vm.code_stream import CodeStream
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge_contracts import load_artifact
from chains.evm import CachedCodeStream

# PUSH-heavy byte soup: PUSH1..PUSH32 are 0x60..0x7f
codes = st.lists(st.one_of(st.integers(0x60, 0x7F), st.integers(0, 255)), max_size=200).map(bytes)


@settings(max_examples=400, deadline=None)
@given(codes)
def test_valid_positions_match_py_evm(code: bytes) -> None:
    ours, theirs = CachedCodeStream(code), CodeStream(code)
    for position in range(len(code) + 3):
        assert ours.is_valid_opcode(position) == theirs.is_valid_opcode(position), position


def test_real_contracts() -> None:
    for name in ("Mailbox", "Counter", "SimplePool"):
        code = load_artifact(name)["deployedBytecode"]
        raw = bytes.fromhex(code.removeprefix("0x") if isinstance(code, str) else code["object"].removeprefix("0x"))
        ours, theirs = CachedCodeStream(raw), CodeStream(raw)
        assert all(ours.is_valid_opcode(p) == theirs.is_valid_opcode(p) for p in range(len(raw)))


def test_bls_precompiles_load_on_first_call() -> None:
    """chains.lazybls: in a fresh interpreter py-evm's BLS12-381 precompiles (EIP-2537) are not
    loaded at start-up, and answer through the stand-in: G1 generator + the point at infinity
    = the generator (0x0b, G1ADD)."""
    import subprocess
    import sys

    script = """
import sys
import chains
from chains import lazybls
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, RollupChain
assert lazybls._real is None and "py_ecc.optimized_bls12_381" not in sys.modules
chain = RollupChain(ChainConfig(901), dev_accounts())
from py_ecc.optimized_bls12_381 import G1, normalize
x, y = normalize(G1)
generator = b"".join(int(c).to_bytes(64, "big") for c in (x, y))
out = chain.call(CallMessage(dev_accounts()[0].address, b"\\x00" * 19 + b"\\x0b", generator + b"\\x00" * 128))
assert out == generator, out.hex()
assert sys.modules[lazybls.NAME] is lazybls._real
from eth.precompiles.bls12_381.bls12_381_g1 import bls12_g1_add  # submodules import as before
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_keccak_moves_to_pysha3_when_chains_comes_second() -> None:
    """An embedding process that hashed before importing chains (eth-hash then picks
    pycryptodome) gets the faster pysha3 backend once chains is imported."""
    import os
    import subprocess
    import sys

    script = """
from eth_utils import keccak
import eth_hash.auto as auto
first = keccak(b"x")
before = type(auto.keccak.hasher.__self__).__name__
import chains
assert keccak(b"x") == first
print(before, auto.keccak.hasher.__module__)
"""
    env = {k: v for k, v in os.environ.items() if k != "ETH_HASH_BACKEND"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.split() == ["CryptodomeBackend", "eth_hash.backends.pysha3"], done.stderr
