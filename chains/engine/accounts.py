"""py-evm's account database with accounts as plain tuples, on the engine's trie and keccak.

py-evm's AccountDB keeps each account as an ``rlp.Serializable`` and changes a field with
``account.copy(balance=...)``, which validates every field again; decoding and encoding go
through rlp's generic sedes. A transfer reads and writes the sender, the recipient and the
coinbase several times, so this was a large part of a simple transaction's cost.
``FastAccountDB`` overrides the two methods every account access goes through; the rlp it
writes is byte for byte the same (tests/chains/test_fastpath.py compares the blocks), and
the setters it inherits still validate their inputs.

Its tries are ``FastTrie`` (chains/engine/mpt.py) and its keys are hashed with the engine's
keccak (chains/engine/hashing.py): the subclasses below build py-evm's chain of databases with
those at the end, so py-evm's own AccountDB and AccountStorageDB, and whoever else in the
process uses them, keep py-trie and eth-hash.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import rlp
from eth.abc import AtomicDatabaseAPI, DatabaseAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.db.accesslog import KeyAccessLoggerAtomicDB, KeyAccessLoggerDB
from eth.db.account import AccountDB
from eth.db.backends.memory import MemoryDB
from eth.db.batch import BatchDB
from eth.db.cache import CacheDB
from eth.db.hash_trie import HashTrie
from eth.db.journal import JournalDB
from eth.db.storage import CLEAR_COUNT_KEY_NAME, AccountStorageDB, StorageLookup
from eth.vm.interrupt import MissingStorageTrieNode
from eth_typing import Address, Hash32
from lru import LRU

from chains.engine.hashing import keccak
from chains.engine.mpt import FastTrie
from chains.engine.rlpfast import encode_bytes, encode_int, wrap_list

TrieFactory = Any  # FastTrie, or py-trie's HexaryTrie: (db, root_hash, prune=...) -> a trie


class KeccakHashTrie(HashTrie):
    """py-evm's HashTrie (keys hashed before they reach the trie), with the engine's keccak."""

    keymap = staticmethod(keccak)  # type: ignore[assignment]


class FastAccount(NamedTuple):
    nonce: int = 0
    balance: int = 0
    storage_root: bytes = BLANK_ROOT_HASH
    code_hash: bytes = EMPTY_SHA3

    def copy(self, **changes: Any) -> FastAccount:
        return self._replace(**changes)


EMPTY_ACCOUNT = FastAccount()


def encode_account(account: FastAccount) -> bytes:
    """rlp([nonce, balance, storage_root, code_hash]), as rlp.encode(Account(...)) gives."""
    return wrap_list(encode_int(account.nonce) + encode_int(account.balance)
                     + encode_bytes(account.storage_root) + encode_bytes(account.code_hash))


def decode_account(raw: bytes) -> FastAccount:
    """The account ``encode_account`` (or py-evm's Account rlp) encoded: its two integers
    are short strings and its two hashes 32 bytes each, read in place; any other shape goes
    through ``rlp.decode``. Raises rlp.DecodingError for bytes that are not an account."""
    prefix = raw[0]
    pos = 1 if prefix <= 0xF7 else 1 + prefix - 0xF7  # the list's header
    ints = []
    for _ in range(2):
        head = raw[pos]
        if head < 0x80:  # a single byte is its own encoding
            ints.append(head)
            pos += 1
        elif head <= 0xB7:
            end = pos + 1 + head - 0x80
            ints.append(int.from_bytes(raw[pos + 1:end], "big"))
            pos = end
        else:
            break
    if len(ints) == 2 and raw[pos] == 0xA0 and raw[pos + 33] == 0xA0 and pos + 66 == len(raw):
        return FastAccount(ints[0], ints[1], raw[pos + 1:pos + 33], raw[pos + 34:])
    nonce, balance, storage_root, code_hash = rlp.decode(raw)
    return FastAccount(int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"), storage_root, code_hash)


class FastAccountDB(AccountDB):
    """AccountDB whose accounts are ``FastAccount`` tuples, kept in ``trie_class`` tries whose
    keys are hashed with the engine's keccak (see the module docstring)."""

    trie_class: ClassVar[TrieFactory] = FastTrie

    def __init__(self, db: AtomicDatabaseAPI, state_root: Hash32 = BLANK_ROOT_HASH) -> None:
        """AccountDB.__init__ of the pinned py-evm, line for line, with this class's trie and
        keccak at the end of the pipe (_trie). Not through super(): a state is opened for every
        block and every eth_call, and building py-evm's pipe only to replace it cost ~15% of an
        eth_call (tests/chains/test_engine.py checks that the attributes are py-evm's)."""
        self._raw_store_db = KeyAccessLoggerAtomicDB(db, log_missing_keys=False)
        self._batchdb = BatchDB(self._raw_store_db)
        self._batchtrie = BatchDB(self._raw_store_db, read_through_deletes=True)
        self._journaldb = JournalDB(self._batchdb)
        self._trie = KeccakHashTrie(self.trie_class(self._batchtrie, state_root, prune=True))
        self._trie_logger = KeyAccessLoggerDB(self._trie, log_missing_keys=False)
        self._trie_cache = CacheDB(self._trie_logger)
        self._journaltrie = JournalDB(self._trie_cache)
        self._account_cache = LRU(2048)
        self._account_stores = {}
        self._dirty_accounts = set()
        self._root_hash_at_last_persist = state_root
        self._accessed_accounts = set()
        self._accessed_bytecodes = set()
        self._reset_access_counters()

    def _get_account(self, address: Address, from_journal: bool = True) -> Any:
        if from_journal:
            cached = self._account_cache.get(address)
            if cached is not None:
                return cached
        raw = self._get_encoded_account(address, from_journal)
        account = decode_account(raw) if raw else EMPTY_ACCOUNT
        if from_journal:
            self._account_cache[address] = account  # type: ignore[assignment]  # duck-types Account
        return account

    def _get_address_store(self, address: Address) -> Any:
        """AccountDB._get_address_store, with FastAccountStorageDB for the store."""
        store = self._account_stores.get(address)
        if store is None:
            store = FastAccountStorageDB(self._raw_store_db, self._get_storage_root(address), address,
                                         self.trie_class)
            self._account_stores[address] = store
        return store

    def _set_account(self, address: Address, account: Any) -> None:
        self._account_cache[address] = account  # type: ignore[assignment]
        self._journaltrie[address] = encode_account(account)



def decode_storage_value(encoded: bytes) -> int:
    """``rlp.decode(encoded, sedes=big_endian_int)`` for a stored slot value (an rlp string
    of at most 32 bytes, as AccountStorageDB.set writes it), read in place; any other shape
    goes through rlp. Raises what rlp raises for bytes that are not one: DecodingError,
    DeserializationError, or TypeError for an rlp list."""
    head = encoded[0]
    if 0 < head < 0x80 and len(encoded) == 1:  # (0 is stored as 0x80, never as a zero byte)
        return head
    if 0x81 <= head <= 0xA0 and len(encoded) == head - 0x7F and encoded[1] and (head > 0x81 or encoded[1] >= 0x80):
        return int.from_bytes(encoded[1:], "big")  # canonical: no leading zero, no prefixed single byte
    return int(rlp.decode(encoded, sedes=rlp.sedes.big_endian_int))


class FastStorageLookup(StorageLookup):
    """py-evm's StorageLookup over ``trie_class`` tries, its slot keys hashed with the
    engine's keccak."""

    def __init__(self, db: DatabaseAPI, storage_root: Hash32, address: Address, trie_class: TrieFactory) -> None:
        self._trie_class = trie_class
        super().__init__(db, storage_root, address)

    def _get_write_trie(self) -> Any:
        if self._trie_nodes_batch is None:
            self._trie_nodes_batch = BatchDB(self._db, read_through_deletes=True)
        if self._write_trie is None:
            self._write_trie = self._trie_class(self._trie_nodes_batch, root_hash=self._starting_root_hash, prune=True)
        return self._write_trie

    def _get_read_trie(self) -> Any:
        if self._write_trie is not None:
            return self._write_trie
        return self._trie_class(self._db, root_hash=self._starting_root_hash)

    def _decode_key(self, key: bytes) -> bytes:
        return keccak(key.rjust(32, b"\x00"))  # StorageLookup: keccak(pad32(key))


class FastAccountStorageDB(AccountStorageDB):
    """py-evm's AccountStorageDB on ``FastStorageLookup``, whose reads decode the slot value in
    place (a cross-rollup call reads about 40 slots: its SLOADs and each SSTORE's current and
    original values)."""

    def __init__(self, db: AtomicDatabaseAPI, storage_root: Hash32, address: Address,
                 trie_class: TrieFactory = FastTrie) -> None:
        """AccountStorageDB.__init__ of the pinned py-evm, line for line, on FastStorageLookup
        (not through super(), as FastAccountDB.__init__)."""
        self._address = address
        self._storage_lookup = FastStorageLookup(db, storage_root, address, trie_class)
        self._storage_cache = CacheDB(self._storage_lookup)
        self._locked_changes = JournalDB(self._storage_cache)
        self._journal_storage = JournalDB(self._locked_changes)
        self._accessed_slots = set()
        self._clear_count = JournalDB(MemoryDB({CLEAR_COUNT_KEY_NAME: b"\x00"}))  # to_bytes(0)

    def get(self, slot: int, from_journal: bool = True) -> int:
        self._accessed_slots.add(slot)
        lookup_db = self._journal_storage if from_journal else self._locked_changes
        try:  # the key is int_to_big_endian(slot): one byte for slot 0
            encoded = lookup_db[slot.to_bytes((slot.bit_length() + 7) // 8 or 1, "big")]
        except MissingStorageTrieNode:
            raise
        except KeyError:
            return 0
        return 0 if encoded == b"" else decode_storage_value(encoded)
