"""The block builder: one-pass blocks equal py-evm's own construction, forks and probes are exact."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from chains.block import ZERO_HASH, BlockEnv
from chains.builder import build, child_header
from chains.errors import TransactionRejected
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain
from chains.txbuild import TxRequest, sign

ACCOUNTS = dev_accounts()


@pytest.fixture
def chain() -> RollupChain:
    return RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS)


def transfer(nonce: int, value: int = 5):  # type: ignore[no-untyped-def]
    req = TxRequest(901, ACCOUNTS[0].address, nonce, 21_000, ACCOUNTS[1].address, value, b"",
                    max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    return sign(req, ACCOUNTS[0].private_key)


@pytest.mark.parametrize("base_fee", [None, 7])
def test_child_header_equals_py_evms(chain: RollupChain, base_fee: int | None) -> None:
    parent = chain.head.header
    env = BlockEnv(2_000, 30_000_000, ACCOUNTS[3].address, base_fee)
    ours = child_header(parent, chain.head_state_root, env)
    theirs = chain.evm.create_header_from_parent(
        parent, timestamp=2_000, gas_limit=30_000_000, coinbase=ACCOUNTS[3].address, mix_hash=keccak(parent.hash),
        parent_beacon_block_root=ZERO_HASH, state_root=chain.head_state_root)
    if base_fee is not None:
        theirs = theirs.copy(base_fee_per_gas=base_fee)
    assert ours == theirs and ours.hash == theirs.hash


def test_empty_block_fast_path_equals_the_full_path(chain: RollupChain) -> None:
    env = BlockEnv(2_000, 30_000_000, ACCOUNTS[3].address)
    full = chain.new_builder(env)
    full.vm  # noqa: B018 (forces the VM: the finalising path)
    assert full.seal().hash == chain.new_builder(env).seal().hash


def test_fork_and_probe_are_exact(chain: RollupChain) -> None:
    env = BlockEnv(2_000, 30_000_000)
    txs = [transfer(n) for n in range(3)]
    main = chain.new_builder(env)
    main.apply(txs[0])
    fork = main.fork()
    fork.apply(txs[1])
    fork.apply(txs[2])
    with pytest.raises(TransactionRejected, match="nonce"):
        main.apply(txs[2])
    assert main.probe(txs[1], lambda computation: False) is None  # undone
    assert main.nonce_of(ACCOUNTS[0].address) == 1
    main.apply(txs[1])
    base = (chain.evm, chain.head.header, chain.head_state_root, env)
    assert main.seal().hash == build(*base, txs[:2]).hash
    assert fork.seal().hash == build(*base, txs).hash


def test_balance_must_cover_max_fee_and_value(chain: RollupChain) -> None:
    """EELS/geth rule, stricter than py-evm's effective-price check."""
    builder = chain.new_builder(BlockEnv(2_000, 30_000_000))
    balance = builder.vm.state.get_balance(ACCOUNTS[0].address)
    with pytest.raises(TransactionRejected, match="insufficient funds"):
        builder.apply(transfer(0, value=balance - 21_000 * 10**10 + 1))
    builder.apply(transfer(0, value=balance - 21_000 * 10**10))
