"""One rollup: a py-evm chain on its own AtomicDB plus the indexes its RPC reads need.

``RollupChain`` never decides what goes into a block; the shared sequencer does, through
``new_builder`` and ``append``. Reads (``state_at``, ``call``...) never change anything.
The head's state root may differ from the head block's when a dev method edited state
(anvil_setBalance...): the next block is built on ``head_state_root``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth.abc import AccountDatabaseAPI, BlockHeaderAPI, ComputationAPI, StateAPI, UnsignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.vm.spoof import SpoofTransaction
from eth_typing import Address, Hash32

from chains.block import BlockEnv, SealedBlock, TxOutcome
from chains.builder import BlockBuilder
from chains.engine import DEFAULT_FORK, Engine, select
from chains.engine.callstates import CallStates
from chains.engine.deadline import bounded_vm
from chains.engine.fastcall import apply_call
from chains.errors import BlockNotFound, ExecutionHalted, ExecutionReverted, decode_revert_reason
from chains.genesis import DevAccount, Predeploy, genesis_state
from chains.txbuild import BUILDER, AccessList, AuthorizationList, authorizations, check_call

BlockRef = str | int | bytes
"""A block tag (latest, earliest, pending, safe, finalized), a number or a 32-byte hash."""


@dataclass(frozen=True)
class ChainConfig:
    chain_id: int
    gas_limit: int = 30_000_000
    base_fee: int = 1_000_000_000
    balance_wei: int = 10_000 * 10**18
    genesis_timestamp: int = 0
    predeploys: tuple[Predeploy, ...] = ()
    hardfork: str = DEFAULT_FORK  # prague or osaka (chains/engine/forks.py)


@dataclass(frozen=True)
class LogRecord:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int


@dataclass
class MinedTx:
    outcome: TxOutcome
    block_number: int
    block_hash: bytes
    index: int
    logs: list[LogRecord]

    @property
    def hash(self) -> bytes:
        return self.outcome.pending.hash


@dataclass
class MinedBlock:
    sealed: SealedBlock
    txs: list[MinedTx] = field(default_factory=list)

    @property
    def header(self) -> BlockHeaderAPI:
        return self.sealed.header

    @property
    def number(self) -> int:
        return int(self.sealed.header.block_number)

    @property
    def hash(self) -> bytes:
        return self.sealed.hash

    @property
    def logs(self) -> list[LogRecord]:
        return [log for tx in self.txs for log in tx.logs]


@dataclass(frozen=True)
class CallMessage:
    """An unsigned call (eth_call, eth_estimateGas, eth_createAccessList)."""

    sender: bytes
    to: bytes | None
    data: bytes = b""
    value: int = 0
    gas: int | None = None
    access_list: AccessList = ()
    authorization_list: AuthorizationList = ()  # EIP-7702: delegations in force while the call runs


@dataclass(frozen=True)
class AccessListResult:
    """eth_createAccessList's answer: (address, slots) touched, the gas charged with that list,
    and why the run with the list failed, if it did (geth's ``error`` field)."""

    accessed: list[tuple[bytes, set[int]]]
    gas_used: int
    error: str | None = None


@dataclass(frozen=True)
class ReadPoint:
    """A block resolved once, with the state root that reads at it see: a read in a worker
    thread runs on it while the sequencer moves the head (trie nodes are content-addressed,
    so the root stays readable)."""

    block: MinedBlock
    state_root: bytes
    is_head: bool


ACCESS_LIST_ROUNDS = 4  # eth_createAccessList reruns until its list is stable (twice, nearly always)
_GENESIS: dict[Any, dict[bytes, bytes]] = {}  # the last genesis database built, by what it was built from


def _genesis_db(chain_class: type[MiningChain], params: dict[str, Any], accounts: tuple[DevAccount, ...],
                config: ChainConfig) -> dict[bytes, bytes]:
    """The key-values of a genesis database. Every chain of a devnet starts from the same one (the
    chain id is in neither the genesis header nor the state), so it is built once and each chain
    gets a copy: 100 chains start as fast as a few."""
    key = repr((chain_class.vm_configuration, sorted(params.items()), accounts, config.balance_wei, config.predeploys))
    kv = _GENESIS.get(key)
    if kv is None:
        db = MemoryDB()
        chain_class.from_genesis(AtomicDB(db), params, genesis_state(accounts, config.balance_wei, config.predeploys))
        kv = db.kv_store
        _GENESIS.clear()
        _GENESIS[key] = kv
    return kv


def _chain_class(chain_id: int, engine: Engine) -> type[MiningChain]:
    return MiningChain.configure(  # type: ignore[no-any-return]
        __name__=f"Rollup{chain_id}", vm_configuration=((0, bounded_vm(engine.vm_class)),), chain_id=chain_id
    )


class RollupChain:
    def __init__(self, config: ChainConfig, accounts: tuple[DevAccount, ...], engine: Engine | None = None) -> None:
        """``engine``: what the chain executes on; by default the one ``XROLLUP_ENGINE`` names,
        for ``config.hardfork`` (an engine given here brings its own fork). Raises UnknownEngine."""
        self.config = config
        self.engine = select(fork=config.hardfork) if engine is None else engine
        self.rules = self.engine.rules  # what the fork asks of admission (the transaction gas limit cap)
        self.chain_id = config.chain_id
        params: dict[str, Any] = {
            "difficulty": 0,
            "gas_limit": config.gas_limit,
            "timestamp": config.genesis_timestamp or int(time.time()),
            "base_fee_per_gas": config.base_fee,
            "extra_data": b"xrollup",
        }
        chain_class = _chain_class(config.chain_id, self.engine)
        genesis_db = _genesis_db(chain_class, params, accounts, config)
        self.evm: MiningChain = chain_class(AtomicDB(MemoryDB(dict(genesis_db))))
        genesis = self.evm.get_canonical_head()
        block = self.evm.get_vm(genesis).get_block_class()(genesis, transactions=[], uncles=[])
        self.blocks: list[MinedBlock] = [MinedBlock(SealedBlock(block))]
        self.by_hash: dict[bytes, int] = {bytes(genesis.hash): 0}
        self.tx_by_hash: dict[bytes, MinedTx] = {}
        self.head_state_root: bytes = bytes(genesis.state_root)
        # Block numbers of the "safe" and "finalized" tags, once a settlement layer sets them
        # (``set_tag``); a tag not set is the head, as on a devnet without an L1.
        self.tags: dict[str, int] = {}
        self._head_state: tuple[tuple[bytes, bytes], StateAPI] | None = None
        self._warm_account_db: tuple[bytes, Any] | None = None
        self._head_reader: tuple[bytes, AccountDatabaseAPI] | None = None
        self._call_states = CallStates()

    # -- writing (only the sequencer calls these) ---------------------------------------

    def new_builder(self, env: BlockEnv) -> BlockBuilder:
        """A builder on the head. The first one after a commit gets the committed block's warm
        account database; it is handed out once, so a builder that is thrown away (a failed
        bundle) can never leave uncommitted changes in a database another builder uses."""
        warm, self._warm_account_db = self._warm_account_db, None
        if warm is not None and warm[0] != self.head_state_root:
            warm = None
        if warm is not None:
            self._head_state = None  # it read through the database the builder now owns
        return BlockBuilder(self.evm, self.head.header, self.head_state_root, env, warm[1] if warm else None)

    def scratch_builder(self, env: BlockEnv) -> BlockBuilder:
        """A throwaway builder on the head (simulations: eth_call across chains,
        xr_simulateBundle); it leaves the warm account database to the next real block."""
        return BlockBuilder(self.evm, self.head.header, self.head_state_root, env)

    def keep_warm(self, builder: BlockBuilder) -> None:
        """After ``append``: keep the sealed builder's account database for the next block."""
        account_db = builder.account_db
        if account_db is not None and bytes(account_db.state_root) == self.head_state_root:
            self._warm_account_db = (self.head_state_root, account_db)

    def append(self, sealed: SealedBlock) -> MinedBlock:
        """Make ``sealed`` (built on the current head) the new head and index it."""
        number, block_hash = int(sealed.header.block_number), sealed.hash
        mined = MinedBlock(sealed)
        log_index = 0
        for index, outcome in enumerate(sealed.outcomes):
            outcome.freeze()
            tx_hash = outcome.pending.hash
            logs = []
            for entry in outcome.receipt.logs:
                logs.append(LogRecord(bytes(entry.address), tuple(t.to_bytes(32, "big") for t in entry.topics),
                                      bytes(entry.data), number, block_hash, tx_hash, index, log_index))
                log_index += 1
            tx = MinedTx(outcome, number, block_hash, index, logs)
            mined.txs.append(tx)
            self.tx_by_hash[tx_hash] = tx
        self.blocks.append(mined)
        self.by_hash[block_hash] = number
        self.head_state_root = bytes(sealed.header.state_root)
        return mined

    def truncate(self, height: int, state_root: bytes) -> None:
        """Drop every block above ``height`` and make ``state_root`` the head state."""
        for mined in self.blocks[height + 1 :]:
            self.by_hash.pop(mined.hash, None)
            for tx in mined.txs:
                self.tx_by_hash.pop(tx.hash, None)
        del self.blocks[height + 1 :]
        self.head_state_root = state_root
        for tag, number in self.tags.items():
            self.tags[tag] = min(number, height)

    def set_tag(self, tag: str, number: int) -> None:
        """Make block ``number`` (at most the head) what ``tag`` ("safe", "finalized") names."""
        self.tags[tag] = min(number, self.height)

    def edit_state(self, edit: StateEdit) -> None:
        """Apply a dev-method edit (balance, nonce, code, storage) to the head state."""
        state = self._state(self.head.header, self.head_state_root)
        edit.apply(state)
        state.persist()
        self.head_state_root = bytes(state.state_root)

    # -- resolving blocks -------------------------------------------------------------

    @property
    def head(self) -> MinedBlock:
        return self.blocks[-1]

    @property
    def height(self) -> int:
        return len(self.blocks) - 1

    def block(self, ref: BlockRef) -> MinedBlock:
        """Resolve a tag, number or hash. Raises BlockNotFound."""
        if isinstance(ref, bytes):
            number = self.by_hash.get(ref)
            if number is None:
                raise BlockNotFound(f"block 0x{ref.hex()} not found")
            return self.blocks[number]
        if isinstance(ref, str):
            if ref in ("safe", "finalized"):
                number = self.tags.get(ref)
                return self.head if number is None else self.blocks[number]
            if ref in ("latest", "pending"):
                return self.head
            if ref == "earliest":
                return self.blocks[0]
            raise BlockNotFound(f"unknown block tag {ref!r}")
        if 0 <= ref < len(self.blocks):
            return self.blocks[ref]
        raise BlockNotFound(f"block number {ref} is beyond the chain head {self.height}")

    def read_point(self, ref: BlockRef | ReadPoint) -> ReadPoint:
        """Resolve ``ref`` now (the head's state root included). Raises BlockNotFound."""
        if isinstance(ref, ReadPoint):
            return ref
        block = self.block(ref)
        is_head = block is self.head
        return ReadPoint(block, self.head_state_root if is_head else bytes(block.header.state_root), is_head)

    def state_at(self, ref: BlockRef) -> StateAPI:
        """A state to READ at block ``ref``. The head's is cached until the head state changes
        (its account caches stay warm across pool checks and RPC reads); never write to it."""
        block = self.block(ref)
        if block is not self.head:
            return self._state(block.header, bytes(block.header.state_root))
        key = (block.hash, self.head_state_root)
        if self._head_state is None or self._head_state[0] != key:
            state = self._state(block.header, self.head_state_root)
            warm = self._warm_account_db
            if warm is not None and warm[0] == self.head_state_root:
                state._account_db = warm[1]  # type: ignore[attr-defined]  # warm caches; no builder owns it yet
            self._head_state = (key, state)
        return self._head_state[1]

    def head_account(self, address: bytes) -> tuple[int, int]:
        """(nonce, balance) of ``address`` at the head, for the pool's checks: read straight
        from an account database at the head root (the warm one while no builder owns it),
        without building a VM state for every new head."""
        db = self._head_db()
        return int(db.get_nonce(Address(address))), int(db.get_balance(Address(address)))

    def head_code(self, address: bytes) -> bytes:
        """The code of ``address`` at the head, read as ``head_account`` reads (EIP-3607)."""
        return bytes(self._head_db().get_code(Address(address)))

    def _head_db(self) -> Any:
        warm = self._warm_account_db
        if warm is not None and warm[0] == self.head_state_root:
            return warm[1]
        if self._head_reader is None or self._head_reader[0] != self.head_state_root:
            self._head_reader = (self.head_state_root,
                                 self.engine.account_db_class(self.evm.chaindb.db, Hash32(self.head_state_root)))
        return self._head_reader[1]

    def _state(self, header: BlockHeaderAPI, root: bytes) -> StateAPI:
        vm = self.evm.get_vm(header.copy(state_root=root))
        return vm.state

    # -- execution without effect -----------------------------------------------------

    def call_tx(self, msg: CallMessage, state_nonce: int, gas: int) -> Any:
        to = Address(msg.to or b"")
        unsigned: UnsignedTransactionAPI
        if msg.authorization_list:
            unsigned = BUILDER.new_unsigned_set_code_transaction(
                self.chain_id, state_nonce, 0, 0, gas, to, msg.value, msg.data, msg.access_list,
                authorizations(msg.authorization_list))
        elif msg.access_list:
            unsigned = BUILDER.new_unsigned_access_list_transaction(
                self.chain_id, state_nonce, 0, gas, to, msg.value, msg.data, msg.access_list)
        else:
            unsigned = BUILDER.create_unsigned_transaction(
                nonce=state_nonce, gas_price=0, gas=gas, to=to, value=msg.value, data=msg.data)
        if msg.authorization_list:
            return _SetCodeCall(unsigned, from_=msg.sender, gas_price=0)
        return SpoofTransaction(unsigned, from_=msg.sender)

    def checked_call_tx(self, state: StateAPI, msg: CallMessage, gas: int) -> Any:
        """``call_tx`` of ``msg`` at ``state``'s nonce, after the checks geth and anvil make
        before a call runs. Raises IntrinsicGasTooLow, TransactionRejected (insufficient funds)."""
        tx = self.call_tx(msg, state.get_nonce(Address(msg.sender)), gas)
        check_call(tx.intrinsic_gas, gas, msg.value, state.get_balance(Address(msg.sender)))
        return tx

    @contextmanager
    def call_state(self, ref: BlockRef | ReadPoint) -> Iterator[tuple[StateAPI, BlockHeaderAPI]]:
        """A throwaway state at block ``ref``, in that block's own context (number,
        timestamp, coinbase; base fee 0), as geth's eth_call runs: not in a child block."""
        point = self.read_point(ref)
        state = self._call_vm_state(point)
        snapshot = state.snapshot()
        try:
            yield state, point.block.header
        finally:
            state.revert(snapshot)

    def _call_vm_state(self, point: ReadPoint) -> StateAPI:
        header = point.block.header.copy(state_root=point.state_root, base_fee_per_gas=0)
        return self.evm.get_vm(header).state

    def execute_call(self, msg: CallMessage, ref: BlockRef | ReadPoint = "latest") -> ComputationAPI:
        """Run ``msg`` on a throwaway state at block ``ref``, as ``call_state`` makes it (one
        reused at the same block and root: chains/engine/callstates.py); return the computation."""
        point = self.read_point(ref)
        header = point.block.header
        with self._call_states.lend((point.block.hash, point.state_root), lambda: self._call_vm_state(point)) as state:
            gas = msg.gas if msg.gas is not None else int(header.gas_limit)
            # gas price 0 already: costless_execute_transaction would only copy the transaction
            return apply_call(state, self.checked_call_tx(state, msg, gas))

    def access_list(self, msg: CallMessage, ref: BlockRef | ReadPoint = "latest") -> AccessListResult:
        """eth_createAccessList, as geth: the addresses and slots ``msg`` touches (the sender,
        the recipient, the coinbase and precompiles only with storage slots), found by running
        it with the list found so far until the list no longer changes, and the gas it is
        charged with that list (refund and EIP-7623 floor applied). Raises as ``call`` when the
        call itself fails; a run that fails only with the list (the caller's gas too low for it)
        is reported in the result's ``error``, as geth does."""
        point = self.read_point(ref)
        listed = msg.access_list
        for round_ in range(ACCESS_LIST_ROUNDS):
            found, charged, computation = self._accessed(dataclasses.replace(msg, access_list=listed), point)
            try:
                raise_for_computation(computation, self.chain_id)
            except (ExecutionReverted, ExecutionHalted) as exc:
                if round_ == 0:
                    raise
                return AccessListResult(found, charged, str(exc))
            now = tuple((Address(a), tuple(sorted(slots))) for a, slots in found)
            if sorted(now) == sorted(listed):
                break
            listed = now
        return AccessListResult(found, charged)

    def _accessed(self, msg: CallMessage,
                  point: ReadPoint) -> tuple[list[tuple[bytes, set[int]]], int, ComputationAPI]:
        """One run of ``msg``: what it touched, the gas it is charged and its computation.
        Raises IntrinsicGasTooLow, TransactionRejected as ``call``."""
        touched: dict[bytes, set[int]] = {}
        with self.call_state(point) as (state, header):
            gas = msg.gas if msg.gas is not None else int(header.gas_limit)
            mark_address, mark_storage = state.mark_address_warm, state.mark_storage_warm

            def on_address(address: Address) -> None:
                touched.setdefault(bytes(address), set())
                mark_address(address)

            def on_storage(address: Address, slot: int) -> None:
                touched.setdefault(bytes(address), set()).add(int(slot))
                mark_storage(address, slot)

            state.mark_address_warm, state.mark_storage_warm = on_address, on_storage  # type: ignore[method-assign]
            computation = state.costless_execute_transaction(self.checked_call_tx(state, msg, gas))
            precompiles = {bytes(a) for a in state.computation_class.get_precompiles()}  # the fork's
        # Warm from the start anyway (EIP-2929/3651), so listing them would only cost gas; but
        # their storage slots are not, and geth and anvil list those (with the address).
        skip = {msg.sender, msg.to, bytes(header.coinbase)} | precompiles
        used = gas - computation.get_gas_remaining()
        charged = used - min(computation.get_gas_refund(), used // 5) + computation.data_floor_gas
        return [(a, s) for a, s in touched.items() if s or a not in skip], charged, computation

    def call(self, msg: CallMessage, ref: BlockRef | ReadPoint = "latest") -> bytes:
        """eth_call. Raises ExecutionReverted (with data) or ExecutionHalted."""
        computation = self.execute_call(msg, ref)
        raise_for_computation(computation, self.chain_id)
        return bytes(computation.output)

    def estimate_gas(self, msg: CallMessage, ref: BlockRef | ReadPoint = "latest",
                     first: ComputationAPI | None = None) -> int:
        """The least gas with which ``msg`` succeeds. Raises as ``call`` at the gas cap.
        ``first``: the caller's own run of ``msg`` at the cap, if it has one."""
        ref = self.read_point(ref)
        cap = msg.gas if msg.gas is not None else int(ref.block.header.gas_limit)
        if first is None:
            first = self.execute_call(_with_gas(msg, cap), ref)
        raise_for_computation(first, self.chain_id)

        def succeeds(gas: int) -> bool:
            return not self.execute_call(_with_gas(msg, gas), ref).is_error

        consumed = cap - first.get_gas_remaining()
        lo, hi = max(consumed - 1, 20_999), cap
        # Most calls succeed with what they consumed, or a 64th more (EIP-150): try those first.
        for guess in (consumed, consumed * 64 // 63 + 1):
            if lo < guess < hi:
                if succeeds(guess):
                    hi = guess
                    break
                lo = guess
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if succeeds(mid):
                hi = mid
            else:
                lo = mid
        return hi


class _SetCodeCall(SpoofTransaction):
    """A type 4 call: py-evm's unsigned set-code transaction has no ``gas_price``, which
    ``costless_execute_transaction`` reads and copies (to 0: its fee fields are 0 already)."""

    def copy(self, **kwargs: Any) -> _SetCodeCall:
        kwargs.pop("gas_price", None)
        return _SetCodeCall(self.spoof_target.copy(**kwargs), **{**self.overrides, **kwargs})


def _with_gas(msg: CallMessage, gas: int) -> CallMessage:
    return dataclasses.replace(msg, gas=gas)


def raise_for_computation(computation: ComputationAPI, chain_id: int | None = None) -> None:
    """Raise ExecutionReverted for a REVERT, ExecutionHalted for other EVM errors."""
    if not computation.is_error:
        return
    error = computation.error
    if type(error).__name__ == "Revert":
        data = bytes(computation.output)
        raise ExecutionReverted(data, decode_revert_reason(data), chain_id)
    raise ExecutionHalted(f"EVM error {type(error).__name__}: {error}".rstrip(": "))


@dataclass(frozen=True)
class StateEdit:
    """A dev method's direct change of state: kind is balance, nonce, code or storage."""

    kind: str
    address: bytes
    value: int | bytes
    slot: int = 0

    def apply(self, state: StateAPI) -> None:
        if self.kind == "balance":
            state.set_balance(self.address, int(self.value))  # type: ignore[arg-type]
        elif self.kind == "nonce":
            state.set_nonce(self.address, int(self.value))  # type: ignore[arg-type]
        elif self.kind == "code":
            state.set_code(self.address, bytes(self.value))  # type: ignore[arg-type]
        elif self.kind == "storage":
            state.set_storage(self.address, self.slot, int(self.value))  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown state edit {self.kind!r}")
