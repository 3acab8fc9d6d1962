"""EIP-1186 proofs (chains/proofs.py), checked independently of the code that builds them.

Every proof is verified with py-trie's ``HexaryTrie.get_from_proof`` against the state root of
the block it was asked at (and, for the storage proofs, against the account's storage root
that the account proof proves), for accounts and slots that exist and for ones that do not,
after several blocks of transactions and state edits. The fast engine and stock py-evm give
the same proofs, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import rlp
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from chains.builder import BlockEnv
from chains.engine import FAST, PLAIN, Engine
from chains.errors import BlockNotFound, InvalidInput
from chains.genesis import dev_accounts
from chains.proofs import (
    BLANK_ROOT,
    MAX_STORAGE_KEYS,
    ZERO_HASH,
    StorageKey,
    get_proof,
    parse_storage_key,
    proof_json,
    trie_proof,
)
from chains.rollup import ChainConfig, RollupChain, StateEdit
from chains.txbuild import TxRequest, sign

ACCOUNTS = dev_accounts()
EMPTY_CODE_HASH = keccak(b"")
# init code: SSTORE(7, 0x2a); SSTORE(keccak-ish large slot, 1); return empty runtime code
STORE_INIT = bytes.fromhex("602a600755" + "6001" + "7f" + "ab" * 32 + "55" + "00")


def new_chain(engine: Engine) -> RollupChain:
    return RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS, engine)


def mine(chain: RollupChain, txs: Sequence[TxRequest] = ()) -> None:
    builder = chain.new_builder(BlockEnv(1_000 + 12 * (chain.height + 1), 30_000_000))
    for req in txs:
        builder.apply(sign(req, ACCOUNTS[0].private_key))
    chain.append(builder.seal())
    chain.keep_warm(builder)


def tx(nonce: int, to: bytes | None, value: int = 0, data: bytes = b"", gas: int = 21_000) -> TxRequest:
    return TxRequest(901, ACCOUNTS[0].address, nonce, gas, to, value, data,
                     max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)


def from_proof(root: bytes, key: bytes, proof: Sequence[bytes]) -> bytes:
    """py-trie's verifier: the value under ``key`` (b"" if absent) if ``proof`` proves it
    against ``root``; raises BadTrieProof otherwise."""
    return bytes(HexaryTrie.get_from_proof(root, key, [rlp.decode(node) for node in proof]))


def verify(chain: RollupChain, number: int, address: bytes, slots: Sequence[int]) -> None:
    """Ask for the proof at block ``number`` and check it against that block's state root and
    against the state the chain reads there."""
    header = chain.block(number).header
    proof = get_proof(chain, number, address, [StorageKey(s) for s in slots])
    root = bytes(header.state_root)
    assert proof.state_root == root
    assert proof.account_proof[0] and keccak(proof.account_proof[0]) == root
    encoded = from_proof(root, keccak(address), proof.account_proof)
    state = chain.state_at(number)
    if encoded:
        nonce, balance, storage_root, code_hash = rlp.decode(encoded)
        assert (proof.nonce, proof.balance) == (int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"))
        assert (proof.storage_hash, proof.code_hash) == (storage_root, code_hash)
        assert proof.code_hash == keccak(state.get_code(address))
    else:
        assert not state.account_exists(address)
        assert (proof.nonce, proof.balance, proof.code_hash, proof.storage_hash) == (0, 0, ZERO_HASH, ZERO_HASH)
    assert proof.balance == state.get_balance(address) and proof.nonce == state.get_nonce(address)
    assert [s.key.slot for s in proof.storage_proof] == list(slots)
    for item in proof.storage_proof:
        expected = state.get_storage(address, item.key.slot)
        assert item.value == expected
        if proof.storage_hash in (ZERO_HASH, BLANK_ROOT):
            assert item.proof == ()
            assert expected == 0
            continue
        assert keccak(item.proof[0]) == proof.storage_hash
        value = from_proof(proof.storage_hash, keccak(item.key.slot.to_bytes(32, "big")), item.proof)
        assert (int.from_bytes(rlp.decode(value), "big") if value else 0) == expected


def geth_proof(trie: HexaryTrie, key: bytes) -> tuple[bytes, ...]:
    """py-trie's proof (every node on the path, embedded ones included) cut to geth's rule:
    the root, then only the nodes their parent references by hash."""
    nodes = [rlp.encode(node) for node in trie.get_proof(key)]
    return tuple(node for i, node in enumerate(nodes) if i == 0 or len(node) >= 32)


@settings(max_examples=60, deadline=None)
@given(items=st.dictionaries(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=40), max_size=30),
       probes=st.lists(st.binary(min_size=1, max_size=3), max_size=5))
def test_trie_proof_matches_py_trie_with_embedded_nodes(items: dict[bytes, bytes], probes: list[bytes]) -> None:
    """Short keys and values make nodes under 32 bytes, embedded in their parents: the walk
    lists the same nodes as geth's rule applied to py-trie's proof, and proves the same value."""
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for key, value in items.items():
        trie[key] = value
    root = bytes(trie.root_hash)
    for key in list(items) + probes:
        proof, value = trie_proof(db, root, key)
        assert value == trie.get(key)
        if root == BLANK_ROOT:
            assert proof == ()
            continue
        assert proof == geth_proof(trie, key)
        assert from_proof(root, key, proof) == value


# (address byte, balance, {slot: value}) per account; applied as dev edits, then a block
EDITS = st.lists(
    st.tuples(st.integers(1, 40), st.integers(0, 10**20),
              st.dictionaries(st.integers(0, 2**256 - 1) | st.integers(0, 20), st.integers(0, 2**256 - 1), max_size=6)),
    min_size=1, max_size=6)


def build(engine: Engine, rounds: Sequence[Sequence[tuple[int, int, dict[int, int]]]]) -> RollupChain:
    chain = new_chain(engine)
    nonce = 0
    for edits in rounds:
        for byte, balance, slots in edits:
            address = bytes([byte]) * 20
            chain.edit_state(StateEdit("balance", address, balance))
            for slot, value in slots.items():
                chain.edit_state(StateEdit("storage", address, value, slot))
        mine(chain, [tx(nonce, bytes([0x77]) * 20, value=nonce + 1)])
        nonce += 1
    return chain


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=lambda e: e.name)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(EDITS, min_size=1, max_size=3), probe_slots=st.lists(st.integers(0, 2**256 - 1), max_size=3))
def test_proofs_verify_against_each_blocks_state_root(engine: Engine, rounds: list[list[tuple[int, int, dict[int, int]]]],
                                                      probe_slots: list[int]) -> None:
    chain = build(engine, rounds)
    touched = {bytes([b]) * 20: set(slots) for edits in rounds for b, _, slots in edits}
    for number in range(chain.height + 1):
        for address, slots in touched.items():
            verify(chain, number, address, sorted(slots) + probe_slots)  # present and absent slots
        verify(chain, number, bytes([0xEE]) * 20, probe_slots)  # an account that never exists
        verify(chain, number, ACCOUNTS[0].address, probe_slots)  # an account without storage


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(EDITS, min_size=1, max_size=2))
def test_fast_and_plain_engines_give_identical_proofs(rounds: list[list[tuple[int, int, dict[int, int]]]]) -> None:
    fast, plain = build(FAST, rounds), build(PLAIN, rounds)
    assert fast.head.hash == plain.head.hash
    addresses = sorted({bytes([b]) * 20 for edits in rounds for b, _, _ in edits}) + [bytes([0xEE]) * 20]
    for number in range(fast.height + 1):
        for address in addresses:
            keys = [StorageKey(s) for edits in rounds for b, _, slots in edits for s in slots] + [StorageKey(123)]
            assert proof_json(get_proof(fast, number, address, keys)) == proof_json(get_proof(plain, number, address, keys))


@pytest.mark.parametrize("engine", [FAST, PLAIN], ids=lambda e: e.name)
def test_contract_storage_written_by_transactions(engine: Engine) -> None:
    chain = new_chain(engine)
    mine(chain, [tx(0, None, data=STORE_INIT, gas=200_000)])
    contract = keccak(rlp.encode([ACCOUNTS[0].address, 0]))[12:]
    mine(chain, [tx(1, contract, value=3)])
    big_slot = int.from_bytes(b"\xab" * 32, "big")
    for number in (0, 1, 2):
        verify(chain, number, contract, [7, big_slot, 8, 0])
    proof = get_proof(chain, "latest", contract, [StorageKey(7), StorageKey(big_slot), StorageKey(8)])
    assert [s.value for s in proof.storage_proof] == [0x2A, 1, 0]
    assert proof.balance == 3 and proof.nonce == 1 and proof.code_hash == EMPTY_CODE_HASH
    before = get_proof(chain, 0, contract, [StorageKey(7)])
    assert before.account_proof and before.storage_hash == ZERO_HASH and before.storage_proof[0].proof == ()


def test_latest_sees_dev_edits_made_after_the_head_block() -> None:
    chain = new_chain(FAST)
    mine(chain)
    address = bytes([0x42]) * 20
    chain.edit_state(StateEdit("storage", address, 99, 5))
    proof = get_proof(chain, "latest", address, [StorageKey(5)])
    assert proof.state_root == chain.head_state_root != bytes(chain.head.header.state_root)
    assert from_proof(proof.state_root, keccak(address), proof.account_proof)
    assert proof.storage_proof[0].value == 99
    # as every read: the head block by number is the head state too; older blocks are their own
    assert get_proof(chain, 1, address, [StorageKey(5)]) == proof
    assert chain.state_at(1).get_storage(address, 5) == 99
    assert get_proof(chain, 0, address, [StorageKey(5)]).storage_proof[0].value == 0


def test_json_shape_is_geths() -> None:
    chain = new_chain(FAST)
    mine(chain)
    keys = [parse_storage_key("0x" + "00" * 31 + "07"), parse_storage_key("0x7"), parse_storage_key("abc")]
    absent = proof_json(get_proof(chain, "latest", bytes([0xEE]) * 20, keys))
    assert set(absent) == {"address", "accountProof", "balance", "codeHash", "nonce", "storageHash", "storageProof"}
    assert absent["address"] == "0x" + "ee" * 20
    assert (absent["balance"], absent["nonce"]) == ("0x0", "0x0")
    assert absent["codeHash"] == absent["storageHash"] == "0x" + "00" * 32
    assert [s["key"] for s in absent["storageProof"]] == ["0x" + "00" * 31 + "07", "0x7", "0xabc"]
    assert all(s["value"] == "0x0" and s["proof"] == [] for s in absent["storageProof"])
    assert all(node.startswith("0x") for node in absent["accountProof"])
    funded = proof_json(get_proof(chain, "latest", ACCOUNTS[0].address, []))
    assert funded["balance"] == hex(10_000 * 10**18) and funded["codeHash"] == "0x" + EMPTY_CODE_HASH.hex()
    assert funded["storageHash"] == "0x" + BLANK_ROOT.hex() and funded["storageProof"] == []


def test_bad_input() -> None:
    chain = new_chain(FAST)
    with pytest.raises(InvalidInput, match="too long"):
        parse_storage_key("0x" + "11" * 33)
    with pytest.raises(InvalidInput, match="invalid"):
        parse_storage_key("0xzz")
    with pytest.raises(InvalidInput, match="too many"):
        get_proof(chain, "latest", ACCOUNTS[0].address, [StorageKey(1)] * (MAX_STORAGE_KEYS + 1))
    with pytest.raises(BlockNotFound):
        get_proof(chain, 5, ACCOUNTS[0].address, [])
