"""Run one transaction on a rollup chain and on the Python execution specs (PyPI
``ethereum-execution``: ``ethereum.forks.prague`` / ``ethereum.forks.osaka``) from the same
genesis, and return what each made of it: refused or not, gas used, state root and receipts
root. Both roots cover everything (every account, balance, nonce, code and storage slot; the
status, gas and logs of the receipt), so equal results mean equal execution.

The xrollup side is the real block builder on a real chain (chains/builder.py); the specs'
side is their ``process_transaction`` in a block environment copied from the header the
builder made (number, time, coinbase, base fee, prev_randao).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ethereum.exceptions import EthereumException
from ethereum_types.bytes import Bytes, Bytes20, Bytes32
from ethereum_types.numeric import U64, U256, Uint

from chains.block import BlockEnv, PendingTx
from chains.engine import Engine
from chains.errors import TransactionRejected
from chains.genesis import DevAccount, Predeploy, dev_accounts, genesis_state
from chains.rollup import ChainConfig, RollupChain
from chains.txbuild import TxRequest, sign

CHAIN_ID = 901
SENDER: DevAccount = dev_accounts(count=1)[0]
BALANCE = 10**24
GAS_LIMIT = 30_000_000
COINBASE = bytes.fromhex("c0ffee0000000000000000000000000000000001")
TIMESTAMP = 1_000


@dataclass(frozen=True)
class Outcome:
    refused: bool
    gas_used: int = 0
    state_root: bytes = b""
    receipts_root: bytes = b""


def tx(to: bytes | None, data: bytes = b"", gas: int = 1_000_000, value: int = 0, nonce: int = 0) -> PendingTx:
    """A signed EIP-1559 transaction from SENDER."""
    return sign(TxRequest(CHAIN_ID, SENDER.address, nonce, gas, to, value, data,
                          max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9), SENDER.private_key)


def run_xrollup(engine: Engine, predeploys: tuple[Predeploy, ...], pending: PendingTx) -> tuple[Outcome, Any]:
    """(outcome, the header it was built in) of ``pending`` in block 1 of a fresh chain."""
    chain = RollupChain(ChainConfig(CHAIN_ID, GAS_LIMIT, 10**9, BALANCE, TIMESTAMP - 12, predeploys),
                        (SENDER,), engine)
    builder = chain.new_builder(BlockEnv(TIMESTAMP, GAS_LIMIT, COINBASE))
    header = builder.header
    try:
        builder.apply(pending)
    except TransactionRejected:
        return Outcome(True), header
    sealed = builder.seal().header
    return Outcome(False, int(sealed.gas_used), bytes(sealed.state_root), bytes(sealed.receipt_root)), header


def spec_state(fork: str, predeploys: tuple[Predeploy, ...]) -> Any:
    """The specs' State of the genesis RollupChain builds from ``predeploys`` and SENDER."""
    st = importlib.import_module(f"ethereum.forks.{fork}.state")
    account_class = importlib.import_module(f"ethereum.forks.{fork}.fork_types").Account
    state = st.State()
    for address, account in genesis_state((SENDER,), BALANCE, predeploys).items():
        st.set_account(state, Bytes20(address), account_class(
            nonce=Uint(account["nonce"]), balance=U256(account["balance"]), code=Bytes(account["code"])))
        for slot, value in account["storage"].items():
            st.set_storage(state, Bytes20(address), Bytes32(slot.to_bytes(32, "big")), U256(value))
    return state


def run_spec(fork: str, predeploys: tuple[Predeploy, ...], pending: PendingTx, header: Any) -> Outcome:
    """The same transaction on the execution specs' ``fork``, in ``header``'s environment."""
    m = {name: importlib.import_module(f"ethereum.forks.{fork}.{name}") for name in ("fork", "state", "vm", "transactions", "trie")}
    state = spec_state(fork, predeploys)
    env = m["vm"].BlockEnvironment(
        chain_id=U64(CHAIN_ID), state=state, block_gas_limit=Uint(GAS_LIMIT), block_hashes=[Bytes32(header.parent_hash)],
        coinbase=Bytes20(header.coinbase), number=Uint(header.block_number),
        base_fee_per_gas=Uint(header.base_fee_per_gas), time=U256(header.timestamp),
        prev_randao=Bytes32(header.mix_hash), excess_blob_gas=U64(header.excess_blob_gas),
        parent_beacon_block_root=Bytes32(header.parent_beacon_block_root),
    )
    output = m["vm"].BlockOutput()
    spec_tx = m["transactions"].decode_transaction(Bytes(pending.raw))
    try:
        m["fork"].process_transaction(env, output, spec_tx, Uint(0))
    except EthereumException:
        return Outcome(True)
    return Outcome(False, int(output.block_gas_used), bytes(m["state"].state_root(state)),
                   bytes(m["trie"].root(output.receipts_trie)))


def genesis_roots_agree(engine: Engine, predeploys: tuple[Predeploy, ...]) -> bool:
    """The two sides start from the same state (a check of the harness itself)."""
    chain = RollupChain(ChainConfig(CHAIN_ID, GAS_LIMIT, 10**9, BALANCE, TIMESTAMP - 12, predeploys), (SENDER,), engine)
    st = importlib.import_module(f"ethereum.forks.{engine.fork}.state")
    return bytes(st.state_root(spec_state(engine.fork, predeploys))) == chain.head_state_root


def compare(engine: Engine, predeploys: tuple[Predeploy, ...], pending: PendingTx) -> tuple[Outcome, Outcome]:
    """(xrollup's outcome, the specs' outcome) of ``pending`` on ``engine``'s fork."""
    ours, header = run_xrollup(engine, predeploys, pending)
    return ours, run_spec(engine.fork, predeploys, pending, header)
