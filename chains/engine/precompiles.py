"""Precompiles as the execution specs define them, where py-evm's differ or do not exist.

- MODEXP (0x05), Prague: py-evm returns 0 whenever the base is empty, but 0^0 is 1 (the
  specs compute ``pow(0, 0, m)``: a call with an empty base, an exponent of 0 and a modulus
  above 1 returns 1).
- MODEXP, Osaka: EIP-7823 (each length at most 1024 bytes, or the call fails and takes all
  its gas) and EIP-7883 (the new price: a 500 floor, 16 for inputs up to 32 bytes and twice
  the words squared above, 16 iterations per exponent byte past the first 32, no divisor).
- P256VERIFY (0x100), Osaka: EIP-7951's secp256r1 signature check for 6,900 gas. The
  signature itself is checked by ``cryptography`` (pyca's OpenSSL binding, what the
  execution specs use): a point on the curve and bounds are checked here first, as the
  specs do, so every input the specs refuse returns empty output here too.

Each is a function of a py-evm computation (its message data in, ``computation.output``
out), the shape py-evm's precompile tables take.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from eth.exceptions import VMError

MODEXP_MAX_LENGTH = 1024  # EIP-7823
P256VERIFY_GAS = 6_900  # EIP-7951
# secp256r1 (NIST P-256): field prime, group order, curve y^2 = x^3 + a x + b
P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_A = P256_P - 3
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_OK = (1).to_bytes(32, "big")


class PrecompileInputError(VMError):
    """A precompile's input the specs call an exceptional halt: the call fails and its gas is
    gone (VMError's default)."""


def _read(data: bytes, start: int, size: int) -> bytes:
    """The specs' buffer_read: ``size`` bytes from ``start``, zeros past the end."""
    return data[start:start + size].ljust(size, b"\x00")


def _word(data: bytes, start: int) -> int:
    return int.from_bytes(_read(data, start, 32), "big")


def _iterations(exponent_length: int, exponent_head: int, per_byte: int) -> int:
    """The adjusted exponent length (EIP-2565; EIP-7883 raises ``per_byte`` from 8 to 16)."""
    bits = max(exponent_head.bit_length() - 1, 0)
    if exponent_length <= 32:
        count = bits
    else:
        count = per_byte * (exponent_length - 32) + bits
    return max(count, 1)


def modexp_gas_prague(base_length: int, exponent_length: int, modulus_length: int, exponent_head: int) -> int:
    """EIP-2565's price (Berlin to Prague)."""
    words = (max(base_length, modulus_length) + 7) // 8
    return max(200, words ** 2 * _iterations(exponent_length, exponent_head, 8) // 3)


def modexp_gas_osaka(base_length: int, exponent_length: int, modulus_length: int, exponent_head: int) -> int:
    """EIP-7883's price."""
    max_length = max(base_length, modulus_length)
    complexity = 16 if max_length <= 32 else 2 * ((max_length + 7) // 8) ** 2
    return max(500, complexity * _iterations(exponent_length, exponent_head, 16))


GasRule = Callable[[int, int, int, int], int]


def _modexp(computation: Any, price: GasRule, bounded: bool) -> None:
    """The specs' modexp: lengths (bounded: EIP-7823), gas, then the result, as long as the
    modulus (empty when both the base and the modulus are). Raises OutOfGas (py-evm's, from
    ``consume_gas``) or PrecompileInputError."""
    data = bytes(computation.msg.data_as_bytes)
    base_length, exponent_length, modulus_length = _word(data, 0), _word(data, 32), _word(data, 64)
    if bounded:
        for name, length in (("base", base_length), ("exponent", exponent_length), ("modulus", modulus_length)):
            if length > MODEXP_MAX_LENGTH:
                raise PrecompileInputError(f"MODEXP {name} length {length} is above {MODEXP_MAX_LENGTH}")
    exponent_start = 96 + base_length
    exponent_head = int.from_bytes(_read(data, exponent_start, min(32, exponent_length)), "big")
    computation.consume_gas(price(base_length, exponent_length, modulus_length, exponent_head),
                            reason="MODEXP Precompile")
    if base_length == 0 and modulus_length == 0:
        computation.output = b""
        return
    base = int.from_bytes(_read(data, 96, base_length), "big")
    exponent = int.from_bytes(_read(data, exponent_start, exponent_length), "big")
    modulus = int.from_bytes(_read(data, exponent_start + exponent_length, modulus_length), "big")
    if modulus == 0:
        computation.output = b"\x00" * modulus_length
    else:
        computation.output = pow(base, exponent, modulus).to_bytes(modulus_length, "big")


def modexp_prague(computation: Any) -> Any:
    _modexp(computation, modexp_gas_prague, bounded=False)
    return computation


def modexp_osaka(computation: Any) -> Any:
    _modexp(computation, modexp_gas_osaka, bounded=True)
    return computation


def p256_verify(message_hash: bytes, r: int, s: int, x: int, y: int) -> bool:
    """EIP-7951's check of a P-256 signature over a 32-byte hash, with its input rules:
    0 < r, s < n; the key a point of the curve (coordinates below p, not (0, 0))."""
    if not (0 < r < P256_N and 0 < s < P256_N) or x >= P256_P or y >= P256_P or (x == 0 and y == 0):
        return False
    if (y * y - (x * x * x + P256_A * x + P256_B)) % P256_P != 0:
        return False
    key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    try:
        key.verify(encode_dss_signature(r, s), message_hash, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True


def p256verify(computation: Any) -> Any:
    """EIP-7951: 160 bytes (hash, r, s, x, y) in; 32 bytes of 1 out for a valid signature,
    nothing otherwise (a wrong length included). The gas is charged either way."""
    computation.consume_gas(P256VERIFY_GAS, reason="P256VERIFY Precompile")
    data = bytes(computation.msg.data_as_bytes)
    if len(data) == 160 and p256_verify(data[:32], *(_word(data, i) for i in range(32, 160, 32))):
        computation.output = P256_OK
    return computation
