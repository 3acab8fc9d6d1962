"""eth_call with state overrides (geth's shape): accounts changed on the throwaway state first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from eth.abc import StateAPI
from eth_typing import Address

from backend.calls import CallServices
from chains.rollup import BlockRef, CallMessage, ReadPoint, RollupChain, raise_for_computation


@dataclass(frozen=True)
class AccountOverride:
    """What one account looks like for the call. ``state`` replaces the whole storage,
    ``state_diff`` changes the slots it names; geth refuses both at once."""

    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    state: Mapping[int, int] | None = None
    state_diff: Mapping[int, int] = field(default_factory=dict)


StateOverrides = Mapping[bytes, AccountOverride]


def apply_overrides(state: StateAPI, overrides: StateOverrides) -> None:
    """Write ``overrides`` into ``state`` (a throwaway one)."""
    for address, acct in overrides.items():
        addr = Address(address)
        if acct.balance is not None:
            state.set_balance(addr, acct.balance)
        if acct.nonce is not None:
            state.set_nonce(addr, acct.nonce)
        if acct.code is not None:
            state.set_code(addr, acct.code)
        if acct.state is not None:
            state.delete_storage(addr)
            for slot, value in acct.state.items():
                state.set_storage(addr, slot, value)
        for slot, value in acct.state_diff.items():
            state.set_storage(addr, slot, value)


class OverrideServices(CallServices):
    async def call_with_overrides(self, chain_id: int, msg: CallMessage, ref: BlockRef,
                                  overrides: StateOverrides) -> bytes:
        """eth_call at block ``ref`` after ``overrides`` are applied to a throwaway state,
        bounded as every read is (gas cap, time limit). Cross-rollup calls are not resolved on
        this path (the far chains know nothing of the overrides). Raises ExecutionReverted,
        ExecutionHalted, ExecutionTimeout, BlockNotFound, UnknownChain."""
        chain, msg, point = self._read(chain_id, msg, ref)
        return await self.reads.run(self.reads.deadline(), _overridden_call, chain, msg, point, overrides)


def _overridden_call(chain: RollupChain, msg: CallMessage, point: ReadPoint, overrides: StateOverrides) -> bytes:
    with chain.call_state(point) as (state, header):
        apply_overrides(state, overrides)
        gas = msg.gas if msg.gas is not None else int(header.gas_limit)
        tx = chain.call_tx(msg, state.get_nonce(Address(msg.sender)), gas)
        computation = state.costless_execute_transaction(tx)
    raise_for_computation(computation, chain.chain_id)
    return bytes(computation.output)
