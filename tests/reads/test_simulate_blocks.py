"""eth_simulateV1's engine (backend/simulate.py) on a real chain: its calls share the gas cap,
its blocks chain on each other in a throwaway copy of the chain, and the chain keeps nothing."""

from __future__ import annotations

from backend.simulate import BlockOverrides, SimBlock, SimulateRequest, simulate_blocks
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain, StateEdit
from chains.txbuild import TxFields

ACCOUNTS = dev_accounts(count=1)
SENDER = ACCOUNTS[0].address
LOOP_AT = b"\xe6" * 20
SSTORE_AT = b"\xe7" * 20  # CALLVALUE PUSH0 SSTORE STOP: slot 0 = the value sent


def _chain() -> RollupChain:
    chain = RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS)
    chain.edit_state(StateEdit("code", LOOP_AT, bytes.fromhex("5b5f56")))  # JUMPDEST PUSH0 JUMP
    chain.edit_state(StateEdit("code", SSTORE_AT, bytes.fromhex("345f5500")))
    return chain


def test_the_calls_share_the_gas_cap() -> None:
    chain = _chain()
    loop = TxFields(SENDER, LOOP_AT, gas=60_000)
    request = SimulateRequest((SimBlock(calls=(loop,)), SimBlock(calls=(loop,))))
    first, second = simulate_blocks(chain, chain.read_point("latest"), request, gas_cap=100_000)
    assert first.calls[0].gas_used == 60_000 and first.calls[0].error is not None  # out of gas
    assert second.calls[0].gas_used == 40_000  # what was left of the cap


def test_blocks_chain_and_the_chain_keeps_nothing() -> None:
    chain = _chain()
    head, root = chain.head.hash, chain.head_state_root
    store = TxFields(SENDER, SSTORE_AT, value=7)
    request = SimulateRequest((SimBlock(calls=(store,)), SimBlock(BlockOverrides(number=chain.height + 5))))
    blocks = simulate_blocks(chain, chain.read_point("latest"), request, gas_cap=0)
    assert [b.block.number for b in blocks] == list(range(1, 6))
    for parent, child in zip(blocks, blocks[1:], strict=False):
        assert child.block.header.parent_hash == parent.block.hash
    assert chain.head.hash == head and chain.head_state_root == root and chain.height == 0
    assert chain.state_at("latest").get_storage(SSTORE_AT, 0) == 0
    assert blocks[0].block.hash not in chain.by_hash
    assert not any(b.block.hash in chain.evm.chaindb.db for b in blocks)  # no simulated header was stored
