"""The builder and the sequencer's pool-filling loop against transactions that are invalid at
inclusion: refused without a trace in the block's state, never raised out of mining."""

from __future__ import annotations

import pytest

from chains.block import BlockEnv
from chains.builder import build
from chains.errors import TransactionRejected
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain
from chains.txbuild import TxRequest, sign
from shared_sequencer.admission import MAX_INITCODE_SIZE

ACCOUNTS = dev_accounts()


@pytest.fixture
def chain() -> RollupChain:
    return RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS)


def _creation(size: int, nonce: int = 0):  # type: ignore[no-untyped-def]
    req = TxRequest(901, ACCOUNTS[0].address, nonce, 2_000_000, None, 0, b"\x00" * size,
                    max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    return sign(req, ACCOUNTS[0].private_key)


def _transfer(nonce: int):  # type: ignore[no-untyped-def]
    req = TxRequest(901, ACCOUNTS[0].address, nonce, 21_000, ACCOUNTS[1].address, 5, b"",
                    max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    return sign(req, ACCOUNTS[0].private_key)


def test_builder_refuses_oversized_initcode_and_leaves_no_trace(chain: RollupChain) -> None:
    env = BlockEnv(2_000, 30_000_000)
    builder = chain.new_builder(env)
    state = builder.vm.state
    before = (state.get_nonce(ACCOUNTS[0].address), state.get_balance(ACCOUNTS[0].address))
    with pytest.raises(TransactionRejected, match="^max initcode size exceeded$"):
        builder.apply(_creation(MAX_INITCODE_SIZE + 1))
    assert (state.get_nonce(ACCOUNTS[0].address), state.get_balance(ACCOUNTS[0].address)) == before
    builder.apply(_transfer(0))
    builder.apply(_creation(MAX_INITCODE_SIZE, nonce=1))
    sealed = builder.seal()
    assert sealed.hash == build(chain.evm, chain.head.header, chain.head_state_root, env,
                                [_transfer(0), _creation(MAX_INITCODE_SIZE, nonce=1)]).hash
