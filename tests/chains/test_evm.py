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
