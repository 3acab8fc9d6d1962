"""A rollup chain with the devnet's predeploys (xrollup/predeploys.py), one transaction a block,
for the settlement contracts' tests; also stands in for the L1 (chain 900), where the tests
deploy the portal and the output oracle themselves.

It is the real chain (chains.rollup.RollupChain, the engine ``XROLLUP_ENGINE`` names), driven
directly: transactions are signed with the dev keys, or impersonated (the depositor account),
and each is mined in a block of its own at a clock the test moves.
"""

from __future__ import annotations

from typing import Any

from chains.builder import BlockEnv
from chains.genesis import dev_accounts
from chains.rollup import CallMessage, ChainConfig, MinedTx, RollupChain, StateEdit
from chains.txbuild import TxRequest, impersonate, sign
from tests.contracts.evm_harness import Abi
from xrollup.predeploys import predeploys

ACCOUNTS = dev_accounts()
GENESIS_TIME = 1_700_000_000
BLOCK_TIME = 2
ZERO_ADDRESS = b"\x00" * 20


def addr(hex_address: str) -> bytes:
    return bytes.fromhex(hex_address.removeprefix("0x"))


class Chain:
    def __init__(self, chain_id: int, with_predeploys: bool = True) -> None:
        config = ChainConfig(chain_id, genesis_timestamp=GENESIS_TIME,
                             predeploys=tuple(predeploys()) if with_predeploys else ())
        self.chain = RollupChain(config, ACCOUNTS)
        self.time = GENESIS_TIME

    def send(self, sender: bytes, to: bytes | None, data: bytes = b"", value: int = 0, gas: int = 5_000_000) -> MinedTx:
        """Mine one transaction from ``sender`` (a dev account signs; any other address is
        impersonated) in a block of its own, ``BLOCK_TIME`` after the last one."""
        nonce = self.chain.head_account(sender)[0]
        req = TxRequest(self.chain.chain_id, sender, nonce, gas, to, value, data,
                        max_fee_per_gas=10**10, max_priority_fee_per_gas=0)
        keys = {a.address: a.private_key for a in ACCOUNTS}
        pending = sign(req, keys[sender]) if sender in keys else impersonate(req)
        self.time += BLOCK_TIME
        builder = self.chain.new_builder(BlockEnv(self.time, 30_000_000))
        builder.apply(pending)
        mined = self.chain.append(builder.seal())
        self.chain.keep_warm(builder)
        return mined.txs[0]

    def transact(self, sender: bytes, to: bytes, abi: Abi, fn: str, *args: Any, value: int = 0) -> MinedTx:
        return self.send(sender, to, abi.encode_call(fn, *args), value)

    def deploy(self, sender: bytes, name: str, *args: Any) -> bytes:
        tx = self.send(sender, None, Abi(name).deploy_code(*args))
        assert tx.outcome.success and tx.outcome.contract_address, f"deploying {name} failed"
        return tx.outcome.contract_address

    def call(self, to: bytes, abi: Abi, fn: str, *args: Any, sender: bytes = ZERO_ADDRESS) -> Any:
        """A view call at the head; returns the single output or the tuple. Raises
        ExecutionReverted."""
        out = abi.decode_output(fn, self.chain.call(CallMessage(sender, to, abi.encode_call(fn, *args))))
        return out[0] if len(out) == 1 else out

    def fund(self, address: bytes, wei: int) -> None:
        self.chain.edit_state(StateEdit("balance", address, wei))

    def balance(self, address: bytes) -> int:
        return int(self.chain.state_at("latest").get_balance(address))

    def storage(self, address: bytes, slot: int) -> int:
        return int(self.chain.state_at("latest").get_storage(address, slot))

    def warp(self, seconds: int) -> None:
        """Move the clock: the next block is ``seconds`` (plus a block time) later."""
        self.time += seconds
