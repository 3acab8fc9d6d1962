"""chains.engine.evm's shared jump-destination analysis answers as py-evm's own CodeStream does."""

from __future__ import annotations

from eth.vm.code_stream import CodeStream
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge_contracts import load_artifact
from chains.engine.evm import CachedCodeStream

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


def test_bls_precompiles_answer() -> None:
    """py-evm's BLS12-381 precompiles (EIP-2537) answer on a rollup chain: G1 generator + the
    point at infinity = the generator (0x0b, G1ADD)."""
    from py_ecc.optimized_bls12_381 import G1, normalize

    from chains.genesis import dev_accounts
    from chains.rollup import CallMessage, ChainConfig, RollupChain

    chain = RollupChain(ChainConfig(901), dev_accounts())
    x, y = normalize(G1)
    generator = b"".join(int(c).to_bytes(64, "big") for c in (x, y))
    out = chain.call(CallMessage(dev_accounts()[0].address, b"\x00" * 19 + b"\x0b", generator + b"\x00" * 128))
    assert out == generator, out.hex()
