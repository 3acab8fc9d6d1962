"""The portal's Solidity proof verifier (settlement/MerklePatriciaProof.sol) against tries built
with py-trie: short keys and values make nodes under 32 bytes, embedded in their parents, and
long ones make hashed nodes, so every shape of path is met. Proofs in geth's form (what
eth_getProof serves, built by chains.proofs.trie_proof) and in py-trie's (embedded nodes listed
again, as viem's maybeAddProofNode may add one) both verify; a proof with one byte changed,
a node missing or a node left over never does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rlp
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from chains.errors import ExecutionReverted
from chains.proofs import BLANK_ROOT, StorageKey, get_proof, trie_proof
from tests.contracts.evm_harness import Abi
from tests.contracts.settlement_harness import ACCOUNTS, Chain

PROBE = Abi("MerklePatriciaProofProbe")


@pytest.fixture(scope="module")
def probe() -> Iterator[tuple[Chain, bytes]]:
    chain = Chain(900, with_predeploys=False)
    yield chain, chain.deploy(ACCOUNTS[0].address, "MerklePatriciaProofProbe")


def verify(probe: tuple[Chain, bytes], key: bytes, proof: list[bytes], root: bytes) -> tuple[bool, bool, bytes]:
    chain, address = probe
    ok, exists, value = chain.call(address, PROBE, "get", key, proof, root)
    return bool(ok), bool(exists), bytes(value)


TRIES = st.dictionaries(st.binary(min_size=1, max_size=4), st.binary(min_size=1, max_size=48), min_size=1, max_size=10)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(items=TRIES, probes=st.lists(st.binary(min_size=1, max_size=4), max_size=2), flip=st.integers(0, 2**32))
def test_verifier_agrees_with_py_trie(probe: tuple[Chain, bytes], items: dict[bytes, bytes], probes: list[bytes],
                                      flip: int) -> None:
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for key, value in items.items():
        trie[key] = value
    root = bytes(trie.root_hash)
    assert root != BLANK_ROOT
    for n, key in enumerate(list(items) + probes):
        expected = bytes(trie.get(key))
        geth_form, value = trie_proof(db, root, key)
        assert value == expected
        assert verify(probe, key, list(geth_form), root) == (True, bool(expected), expected)
        every_node = [rlp.encode(node) for node in trie.get_proof(key)]
        assert verify(probe, key, every_node, root) == (True, bool(expected), expected)
        if n:
            continue
        # damaged proofs prove nothing (or are not rlp at all)
        nodes = list(geth_form)
        i = flip % len(nodes)
        byte = (flip >> 8) % len(nodes[i])
        damaged = [*nodes[:i], nodes[i][:byte] + bytes([nodes[i][byte] ^ 0x10]) + nodes[i][byte + 1:], *nodes[i + 1:]]
        for bad in (damaged, nodes[:-1], [*nodes, nodes[-1]]):
            try:
                assert verify(probe, key, bad, root)[0] is False
            except ExecutionReverted:
                pass


def test_secure_inclusion_of_a_real_storage_slot(probe: tuple[Chain, bytes]) -> None:
    """The portal's call: keccak-keyed storage of a contract on a real chain, from get_proof."""
    l2 = Chain(901)
    chain, address = probe
    passer = bytes.fromhex("4200000000000000000000000000000000000016")
    l2.transact(ACCOUNTS[1].address, passer, Abi("L2ToL1MessagePasser"), "initiateWithdrawal", ACCOUNTS[2].address,
                50_000, b"")
    slot = 1  # msgNonce, now 1
    proof = get_proof(l2.chain, "latest", passer, [StorageKey(slot), StorageKey(2)])
    key = slot.to_bytes(32, "big")
    storage_root = proof.storage_hash
    nodes = list(proof.storage_proof[0].proof)
    assert chain.call(address, PROBE, "verifySecureInclusion", key, b"\x01", nodes, storage_root) is True
    assert chain.call(address, PROBE, "verifySecureInclusion", key, b"\x02", nodes, storage_root) is False
    absent = list(proof.storage_proof[1].proof)
    assert chain.call(address, PROBE, "verifySecureInclusion", (2).to_bytes(32, "big"), b"\x01", absent,
                      storage_root) is False
    ok, exists, _ = chain.call(address, PROBE, "get", keccak((2).to_bytes(32, "big")), absent, storage_root)
    assert (ok, exists) == (True, False)  # a valid proof of absence
