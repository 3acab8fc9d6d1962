"""Recover a typed transaction's sender from its raw bytes.

py-evm recovers a sender by re-encoding the transaction's unsigned fields through rlp's
serializers; the raw transaction already holds that encoding, minus its signature. For a
typed transaction (EIP-2718: type byte, then an rlp list ending in y_parity, r, s) the
message signed is the type byte and the list without its last three items, so it is cut out
of the raw bytes, hashed, and the public key recovered with coincurve (libsecp256k1).
tests/chains checks the result against py-evm's own recovery.
"""

from __future__ import annotations

from coincurve import PublicKey

from chains.engine.hashing import keccak
from chains.engine.rlpfast import encode_int, wrap_list


def _list_payload(data: bytes) -> bytes:
    """The payload of the rlp list that is the whole of ``data``. Raises ValueError."""
    prefix = data[0]
    if 0xC0 <= prefix <= 0xF7:
        start, length = 1, prefix - 0xC0
    elif prefix > 0xF7:
        width = prefix - 0xF7
        start, length = 1 + width, int.from_bytes(data[1:1 + width], "big")
    else:
        raise ValueError("not an rlp list")
    if start + length != len(data):
        raise ValueError("trailing bytes after the rlp list")
    return data[start:]


def typed_sender(raw: bytes, y_parity: int, r: int, s: int) -> bytes:
    """The address that signed the typed transaction ``raw`` (its decoded signature values
    given). Raises ValueError for bytes that are not a typed transaction's shape, and
    coincurve's ValueError for a signature that recovers no key."""
    payload = _list_payload(raw[1:])
    tail = len(encode_int(y_parity)) + len(encode_int(r)) + len(encode_int(s))
    message = raw[:1] + wrap_list(payload[:-tail])
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))
    public = PublicKey.from_signature_and_message(signature, keccak(message), hasher=None)
    return keccak(public.format(compressed=False)[1:])[12:]
