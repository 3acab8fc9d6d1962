"""Build one block in one pass, transaction by transaction, without py-evm's MiningChain.

``BlockBuilder`` applies transactions to a fresh VM on top of a parent header and a state root,
rejecting (and leaving no trace of) a transaction that is invalid against the state, and seals
the block with the transaction and receipt tries built once. A block is a pure function of
(parent header, state root, ``BlockEnv``, transactions): replay builds it again the same way.

Throwing a builder away before ``seal`` leaves nothing behind: nothing reaches the database
but content-addressed trie nodes.

The values a block is made of are ``chains/block.py``; the encoders it seals with are
``chains/encoding.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, cast

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA256, EMPTY_UNCLE_HASH
from eth.exceptions import VMError
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth.vm.forks.prague.headers import calc_excess_blob_gas_prague
from eth.vm.spoof import SpoofTransaction
from eth_bloom import BloomFilter
from eth_typing import BlockNumber, Hash32
from eth_utils import ValidationError

from chains.block import (
    ZERO_HASH,
    BlockEnv,
    ComputationSummary,
    PendingTx,
    SealedBlock,
    TxOutcome,
    base_fee_of,
    effective_gas_price,
)
from chains.deposit_exec import apply_deposit, deposit_receipt
from chains.deposits import DepositTx, write_l1_origin
from chains.encoding import contract_address_for, encode_receipt, list_root, store_header
from chains.engine import rlpfast
from chains.engine.fastpath import TransferMessage, apply_plain_transfer, is_plain_transfer
from chains.engine.forks import ForkRules, rules_of
from chains.engine.hashing import keccak
from chains.errors import TransactionRejected


def spoofed(pending: PendingTx) -> Any:
    """The object the EVM executes: impersonated txs report the impersonated sender."""
    if not pending.impersonated:
        return pending.tx
    # The placeholder signature recovers to nobody: report the impersonated sender and skip the
    # signature check (the pool checked intrinsic gas and fields at submission).
    return SpoofTransaction(
        pending.tx, sender=pending.sender, get_sender=lambda: pending.sender, validate=lambda: None
    )


class BlockBuilder:
    """Applies transactions one by one on a throwaway VM, then seals one block."""

    # Plain transfers skip py-evm's message machinery (chains/fastpath.py); tracers, which
    # record what the interpreter does, turn this off.
    fast_transfers = True
    _header: BlockHeaderAPI
    _pending_gas_used: int | None = None  # a plain transfer's gas, not copied into the header yet

    @property
    def header(self) -> BlockHeaderAPI:
        """The block's header so far (gas used, bloom). A run of plain transfers copies it
        once, when it is next read, rather than once per transfer."""
        if self._pending_gas_used is not None:
            self._header = rlpfast.replace(self._header, gas_used=self._pending_gas_used)
            self._pending_gas_used = None
        return self._header

    @header.setter
    def header(self, value: BlockHeaderAPI) -> None:
        self._header = value
        self._pending_gas_used = None

    def __init__(
        self, chain: MiningChain, parent: BlockHeaderAPI, state_root: bytes, env: BlockEnv,
        warm_account_db: Any = None,
    ) -> None:
        if env.l1_origin is not None:  # a system state update before any transaction, part of the block
            if warm_account_db is None:
                vm_class = chain.get_vm_class_for_block_number(BlockNumber(parent.block_number + 1))
                warm_account_db = vm_class.get_state_class().get_account_db_class()(chain.chaindb.db, Hash32(state_root))
            state_root = write_l1_origin(warm_account_db, env.l1_origin)
        self.header = child_header(parent, state_root, env)
        self._chain = chain
        self._vm: Any = None
        self._warm = warm_account_db
        self.base_state_root = state_root
        # No block pre/post-processing: the genesis has none of the EIP-4788/2935/7002/7251
        # system contracts, so it would only read empty code and hash an empty requests list
        # (the header's default requests_hash). Replay uses this same builder.
        self.outcomes: list[TxOutcome] = []

    @property
    def vm(self) -> Any:
        """The VM, created on first use: a chain with nothing to run this superblock never
        builds one (see ``seal``)."""
        if self._vm is None:
            self._vm = self._chain.get_vm(self.header)
            if self._warm is not None:
                # The previous block's account database, persisted at exactly this root: its
                # caches are warm (the accounts a block touches tend to be touched again).
                self._vm._state = state_over(self._vm, self._warm)
                self._warm = None
        return self._vm

    @cached_property
    def rules(self) -> ForkRules:
        """The rules of the fork the block runs (the transaction gas limit cap)."""
        return rules_of(self._chain.get_vm_class(self._header))

    @property
    def account_db(self) -> Any:
        """The account database, once the block is sealed (persisted at its state root)."""
        return None if self._vm is None else self._vm.state._account_db

    def nonce_of(self, address: bytes) -> int:
        return int(self.vm.state.get_nonce(address))

    @property
    def gas_left(self) -> int:
        return int(self.header.gas_limit - self.header.gas_used)

    def apply(self, pending: PendingTx) -> TxOutcome:
        """Apply one transaction. Raises TransactionRejected, leaving the state unchanged."""
        outcome = self.probe(pending, None)
        assert outcome is not None
        return outcome

    def probe(self, pending: PendingTx, accept: Callable[[ComputationAPI], bool] | None) -> TxOutcome | None:
        """Apply one transaction, and keep it only if ``accept(computation)`` says so;
        otherwise undo it and return None. Raises TransactionRejected (state unchanged).

        This is py-evm's VM.apply_transaction with a journal snapshot inside the
        transaction boundary (after lock_changes), so undoing one transaction is exact.
        """
        if isinstance(pending.tx, DepositTx):
            return self._apply_deposit(pending, pending.tx, accept)
        vm = self.vm
        state = vm.state
        exec_tx = spoofed(pending)
        too_high = self.rules.gas_limit_error(pending.tx.gas)  # EIP-7825 (Osaka)
        if too_high is not None:
            raise TransactionRejected(too_high)
        try:
            vm.validate_transaction_against_header(self.header, exec_tx)
        except ValidationError as exc:
            raise TransactionRejected(rejection_message(str(exc))) from exc
        tx = pending.tx
        # EELS and geth: balance >= gas * max fee + value. py-evm checks gas * the effective
        # price + value, which lets through what every other client refuses.
        fee_cap = int(tx.gas_price if tx.type_id in (None, 1) else tx.max_fee_per_gas)
        if state.get_balance(pending.sender) < tx.gas * fee_cap + tx.value:
            raise TransactionRejected("insufficient funds for gas * price + value")
        if self.fast_transfers and is_plain_transfer(state, tx, pending.sender):
            # No lock_changes: it flushes storage journals and resets the EIP-2929 warm set
            # for the EVM, and a plain transfer touches no storage and runs no code; the next
            # transaction that does runs lock_changes itself.
            return self._apply_transfer(pending, accept, state.snapshot())
        state.lock_changes()
        snapshot = state.snapshot()
        nonce = state.get_nonce(pending.sender)
        try:
            computation = state.apply_transaction(exec_tx)
        except ValidationError as exc:
            state.revert(snapshot)
            raise TransactionRejected(rejection_message(str(exc))) from exc
        except VMError as exc:  # the pinned py-evm's only one out of a transaction: EIP-3860's initcode limit
            state.revert(snapshot)  # (the sender's nonce and gas were already taken)
            raise TransactionRejected("max initcode size exceeded") from exc
        if accept is not None and not accept(computation):
            state.revert(snapshot)
            return None
        state.commit(snapshot)
        receipt = vm.make_receipt(self.header, exec_tx, computation, state)
        vm.validate_receipt(receipt)
        gas_used = receipt.gas_used - self.header.gas_used
        self.header = self.vm.add_receipt_to_header(self.header, receipt)
        self.header = self.vm.increment_blob_gas_used(self.header, exec_tx)
        base_fee = int(base_fee_of(self.header))
        price = effective_gas_price(pending.tx, base_fee)
        created = contract_address_for(pending.sender, nonce) if not pending.tx.to else None
        outcome = TxOutcome(pending, receipt, computation, gas_used, price, created)
        self.outcomes.append(outcome)
        return outcome

    def _apply_deposit(self, pending: PendingTx, tx: DepositTx,
                       accept: Callable[[ComputationAPI], bool] | None) -> TxOutcome | None:
        """``probe`` for an OP deposit (chains/deposit_exec.py): never invalid, only too big
        for what is left of the block (TransactionRejected, state unchanged)."""
        if tx.gas > self.gas_left:
            raise TransactionRejected("exceeds block gas limit")
        state = self.vm.state
        state.lock_changes()
        snapshot = state.snapshot()
        result = apply_deposit(state, tx)
        if accept is not None and not accept(result.computation):
            state.revert(snapshot)
            return None
        state.commit(snapshot)
        header = self.header
        receipt = deposit_receipt(result, int(header.gas_used))
        self.header = rlpfast.replace(header, gas_used=receipt.gas_used, bloom=int(header.bloom) | receipt.bloom)
        created = contract_address_for(tx.sender, result.deposit_nonce) if not tx.to else None
        outcome = TxOutcome(pending, cast(ReceiptAPI, receipt), result.computation, result.gas_used, 0, created)
        self.outcomes.append(outcome)
        return outcome

    def _apply_transfer(self, pending: PendingTx, accept: Callable[[ComputationAPI], bool] | None,
                        snapshot: Any) -> TxOutcome | None:
        """``probe`` for a plain transfer (chains/fastpath.py): the same state changes and
        receipt as py-evm's executor, without its message and computation machinery."""
        tx, state = pending.tx, self.vm.state
        try:
            result = apply_plain_transfer(state, tx, pending.sender, self._gas_used(),
                                          check_signature=not pending.impersonated)
        except ValidationError as exc:
            state.revert(snapshot)
            raise TransactionRejected(rejection_message(str(exc))) from exc
        summary = cast(ComputationAPI, ComputationSummary(
            False, b"", None, tx.gas - result.gas_used, msg=TransferMessage(pending.sender, tx.to, tx.value)))
        if accept is not None and not accept(summary):
            state.revert(snapshot)
            return None
        state.commit(snapshot)
        self._pending_gas_used = result.receipt.gas_used
        price = effective_gas_price(tx, int(base_fee_of(self._header)))  # the base fee is the block's
        outcome = TxOutcome(pending, result.receipt, summary, result.gas_used, price, None)
        self.outcomes.append(outcome)
        return outcome

    def fork(self) -> BlockBuilder:
        """A builder that goes on from this one's current state, leaving this one as it is.

        The state so far is persisted (trie nodes are content-addressed, so nothing is
        overwritten) and the fork's VM starts from that root with the header and outcomes so
        far: what is applied to the fork afterwards has exact per-transaction semantics.

        When nothing was applied since this builder's VM started at its header's root (only
        reads, and probes that were undone), its state is still exactly that root and its VM
        is the one the fork would build: the fork takes the VM as it is, with the caches those
        probes warmed, and this builder starts a fresh VM at the same root if it is used again
        (as it would after being thrown away). A builder without a VM hands over the warm
        database it was given, if any, the same way.
        """
        fork = object.__new__(BlockBuilder)
        fork._chain = self._chain
        fork._vm = None
        fork._warm = None
        fork.base_state_root = self.base_state_root
        fork.outcomes = list(self.outcomes)
        header = self.header
        if self._vm is None:
            fork._warm, self._warm = self._warm, None
        elif len(self.outcomes) == getattr(self, "_vm_outcomes", 0):
            fork._vm, self._vm = self._vm, None
            self._vm_outcomes = len(self.outcomes)
        else:
            state = self._vm.state
            state.lock_changes()
            state.persist()
            header = header.copy(state_root=state.state_root)
        fork.header = header
        fork._vm_outcomes = len(fork.outcomes)  # the transactions already in its VM's state
        return fork

    def seal(self) -> SealedBlock:
        """Finish the block: tries, requests hash, state root. The builder is spent after."""
        if self._vm is None:
            return self._seal_empty()
        # What py-evm's set_block_transactions_and_withdrawals + finalize_block do for a
        # post-merge block without withdrawals (no reward to assign), with one header copy
        # instead of three and the list tries built on chains.mpt (tests/chains compares).
        vm = self.vm
        txs = [o.pending.tx for o in self.outcomes]
        chaindb = vm.chaindb
        tx_root = list_root(chaindb, [o.pending.raw for o in self.outcomes])
        receipt_root = list_root(chaindb, [encode_receipt(o.receipt) for o in self.outcomes])
        state = vm.state
        state.persist()
        header = rlpfast.replace(self._header, transaction_root=tx_root, receipt_root=receipt_root,
                                 state_root=state.state_root, gas_used=self._gas_used())
        block = new_block(vm.get_block_class(), header, txs)
        store_header(chaindb, header)
        return SealedBlock(block, self.outcomes, self.base_state_root)

    def _gas_used(self) -> int:
        pending = self._pending_gas_used
        return int(self._header.gas_used if pending is None else pending)

    def _seal_empty(self) -> SealedBlock:
        """An empty block straight from its header: no transaction ran, so the state root is
        the parent state's and the tries are empty, exactly what finalising a VM would give
        (the zero block reward touches no account). Saves a VM and a trie pass per idle chain
        per superblock."""
        block = new_block(self._chain.get_vm_class(self.header).get_block_class(), self.header, ())
        store_header(self._chain.chaindb, self.header)
        return SealedBlock(block, [], self.base_state_root)


def new_block(block_class: type[BlockAPI], header: BlockHeaderAPI, txs: Sequence[SignedTransactionAPI]) -> BlockAPI:
    """``block_class(header, transactions=txs, uncles=[], withdrawals=[])`` for a post-merge
    block, built as rlpfast.construct builds (tests/chains compares the two)."""
    block = rlpfast.construct(block_class, (header, tuple(txs), (), ()))
    block.bloom_filter = BloomFilter(header.bloom)
    block.block_requests = []
    return cast(BlockAPI, block)


def state_over(vm: Any, account_db: Any) -> Any:
    """The state ``vm.state`` would build (py-evm's VM.build_state and BaseState.__init__),
    over ``account_db``, already open at the header's state root. It skips opening a second
    account database only to drop it, and the Cancun and Prague system-contract set-up: that
    rewrites the beacon-roots and history contracts' code only where that same code is
    already there (a no-op for the state root), and ran when ``account_db``'s first state
    was built."""
    state = object.__new__(vm.get_state_class())
    state._db = vm.chaindb.db
    state.execution_context = vm.create_execution_context(vm.get_header(), vm.previous_hashes, vm.chain_context)
    state._account_db = account_db
    return state


def child_header(parent: BlockHeaderAPI, state_root: bytes, env: BlockEnv) -> BlockHeaderAPI:
    """The header of an empty child of ``parent``, in one construction. It equals py-evm's
    create_header_from_parent with these fields (tests/chains checks that): that one builds
    and copies the header several times, each time re-validating every field."""
    # anvil_setNextBlockBaseFeePerGas overrides EIP-1559's value
    base_fee = calculate_expected_base_fee_per_gas(parent) if env.base_fee is None else env.base_fee
    # anvil_setNextBlockPrevRandao / hardhat_setPrevRandao set the mixHash (block.prevrandao)
    mix_hash = keccak(parent.hash) if env.prev_randao is None else bytes(env.prev_randao)
    return rlpfast.construct(PragueBlockHeader, (  # the fields in order (HEADER_FIELDS)
        parent.hash, EMPTY_UNCLE_HASH, bytes(env.coinbase), bytes(state_root), BLANK_ROOT_HASH, BLANK_ROOT_HASH, 0,
        0, parent.block_number + 1, env.gas_limit, 0, env.timestamp, b"", mix_hash, b"\x00" * 8,
        base_fee, BLANK_ROOT_HASH, 0, calc_excess_blob_gas_prague(parent), ZERO_HASH, EMPTY_SHA256,
    ))


def rejection_message(detail: str) -> str:
    """Map py-evm's validation messages to the plain words clients match on."""
    text = detail.lower()
    if "nonce" in text:
        return "nonce too low" if "expected" in text and _nonce_low(detail) else f"invalid nonce: {detail}"
    if "enough balance" in text or "cannot afford" in text or "insufficient funds" in text:
        return "insufficient funds for gas * price + value"
    if "base fee" in text:
        return "max fee per gas less than block base fee"
    if "exceeds gas limit" in text:
        return "exceeds block gas limit"
    if "intrinsic" in text:
        return "intrinsic gas too low"
    return detail


def _nonce_low(detail: str) -> bool:
    match = re.search(r"Expected (\d+), but got (\d+)", detail)
    return bool(match and int(match.group(2)) < int(match.group(1)))


def build(
    chain: MiningChain,
    parent: BlockHeaderAPI,
    state_root: bytes,
    env: BlockEnv,
    txs: Sequence[PendingTx],
) -> SealedBlock:
    """Build a block from transactions that must all be valid (replay's entry point).

    Raises TransactionRejected naming the index of the first invalid transaction.
    """
    builder = BlockBuilder(chain, parent, state_root, env)
    for index, pending in enumerate(txs):
        try:
            builder.apply(pending)
        except TransactionRejected as exc:
            raise TransactionRejected(f"transaction {index}: {exc}") from exc
    return builder.seal()
