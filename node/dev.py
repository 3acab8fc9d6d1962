"""evm_*, anvil_* (hardhat_* aliases) and txpool_* handlers.

Snapshots, time and mining are devnet-wide: whichever chain's endpoint answers, every chain
moves together, because chains share one superblock history (see backend/dev.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend import Backend
from chains.block import base_fee_of
from chains.errors import InvalidInput
from node import views
from node.eth import DEFAULT_TIP
from node.params import MineOptions
from node.views import d, q
from shared_sequencer.mempool import PoolTx


class DevApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    # -- snapshots and mining ------------------------------------------------------------

    def evm_snapshot(self) -> str:
        return q(self.backend.snapshot())

    def evm_revert(self, snap_id: int) -> bool:
        return self.backend.revert(snap_id)

    def evm_mine(self, options: MineOptions) -> str:
        """evm_mine(), evm_mine(timestamp) or evm_mine({timestamp, blocks}) as anvil takes
        (parsed by node.params.mine_options)."""
        self.backend.mine(options.blocks, timestamp=options.timestamp)
        return "0x0"

    def anvil_mine(self, count: int | None, interval: int | None) -> None:
        self.backend.mine(1 if count is None else count, interval=interval)

    def evm_increaseTime(self, seconds: int) -> str:
        return q(self.backend.increase_time(seconds))

    def evm_setNextBlockTimestamp(self, timestamp: int) -> None:
        self.backend.set_next_timestamp(timestamp)

    def anvil_setTime(self, timestamp: int) -> str:
        return q(self.backend.set_time(timestamp))

    def evm_setAutomine(self, enabled: bool) -> None:
        self.backend.set_automine(enabled)

    def anvil_getAutomine(self) -> bool:
        return self.backend.automine()

    def evm_setIntervalMining(self, seconds: int) -> None:
        self.backend.set_interval_mining(seconds)

    # -- state edits --------------------------------------------------------------------

    def anvil_setBalance(self, address: bytes, value: int) -> None:
        self.backend.set_balance(self.chain_id, address, value)

    def anvil_setNonce(self, address: bytes, value: int) -> None:
        self.backend.set_nonce(self.chain_id, address, value)

    def anvil_setCode(self, address: bytes, code: bytes) -> None:
        self.backend.set_code(self.chain_id, address, code)

    def anvil_setStorageAt(self, address: bytes, slot: int, value: bytes) -> bool:
        self.backend.set_storage(self.chain_id, address, slot, value)
        return True

    def anvil_impersonateAccount(self, address: bytes) -> None:
        self.backend.impersonate(address)

    def anvil_stopImpersonatingAccount(self, address: bytes) -> None:
        self.backend.stop_impersonating(address)

    def anvil_setNextBlockBaseFeePerGas(self, fee: int) -> None:
        self.backend.set_next_base_fee(fee)

    def anvil_setCoinbase(self, address: bytes) -> None:
        self.backend.set_coinbase(address)

    def anvil_setNextBlockPrevRandao(self, value: bytes) -> None:
        """The next block's prevRandao (mixHash), once; anvil answers null."""
        self.backend.set_next_prev_randao(value)

    def hardhat_setPrevRandao(self, value: bytes) -> bool:
        """Hardhat's name and answer (true) for ``anvil_setNextBlockPrevRandao``."""
        self.backend.set_next_prev_randao(value)
        return True

    def evm_setBlockGasLimit(self, gas_limit: int) -> bool:
        self.backend.set_block_gas_limit(gas_limit)
        return True

    # -- the pool ------------------------------------------------------------------------

    def anvil_dropTransaction(self, tx_hash: bytes) -> str | None:
        return d(tx_hash) if self.backend.drop_transaction(self.chain_id, tx_hash) else None

    def hardhat_dropTransaction(self, tx_hash: bytes) -> bool:
        """Hardhat's answer (its network helpers insist on a boolean), where anvil's alias
        answers the hash or null."""
        return self.backend.drop_transaction(self.chain_id, tx_hash)

    def anvil_dropAllTransactions(self) -> None:
        self.backend.drop_all(self.chain_id)

    def txpool_status(self) -> dict[str, str]:
        pool = self.backend.pool(self.chain_id)
        return {"pending": q(len(pool.pending)), "queued": q(len(pool.queued))}

    def _grouped(self, entries: list[PoolTx], fmt: Callable[[PoolTx], Any]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for entry in entries:
            out.setdefault(d(entry.pending.sender), {})[str(entry.pending.tx.nonce)] = fmt(entry)
        return out

    def txpool_content(self) -> dict[str, Any]:
        pool = self.backend.pool(self.chain_id)

        sealed = self.backend.pool_sealed(self.chain_id)

        def fmt(e: PoolTx) -> Any:
            return views.pending_tx_json(e.pending, self.chain_id, sealed)

        return {"pending": self._grouped(pool.pending, fmt), "queued": self._grouped(pool.queued, fmt)}

    def txpool_inspect(self) -> dict[str, Any]:
        pool = self.backend.pool(self.chain_id)

        sealed = self.backend.pool_sealed(self.chain_id)

        def fmt(e: PoolTx) -> str:
            if sealed:
                return f"sealed commitment {d(e.pending.hash)}"
            tx = e.pending.tx
            to = d(tx.to) if tx.to else "contract creation"
            price = getattr(tx, "max_fee_per_gas", None) or tx.gas_price
            return f"{to}: {tx.value} wei + {tx.gas} gas × {price} wei"

        return {"pending": self._grouped(pool.pending, fmt), "queued": self._grouped(pool.queued, fmt)}

    # -- saved state -------------------------------------------------------------------------

    def anvil_dumpState(self) -> str:
        return d(self.backend.dump_state())

    def anvil_loadState(self, blob: bytes) -> bool:
        self.backend.load_state(blob)
        return True

    def anvil_reset(self, _options: Any = None) -> None:
        if _options:
            raise InvalidInput("forking is not supported: anvil_reset takes no options here")
        self.backend.reset()

    # -- about the node --------------------------------------------------------------------

    def anvil_nodeInfo(self) -> dict[str, Any]:
        seq = self.backend.sequencer
        chain = seq.chain(self.chain_id)
        # anvil's shapes (alloy's NodeInfo): the block number and the U256 amounts are hex
        # quantities, the timestamp and the chain id plain numbers; gasPrice is eth_gasPrice's.
        return {
            "currentBlockNumber": q(chain.height),
            "currentBlockTimestamp": int(chain.head.header.timestamp),
            "currentBlockHash": d(chain.head.hash),
            "hardFork": "prague",
            "transactionOrder": seq.order.name,
            "environment": {
                "baseFee": q(base_fee_of(chain.head.header)),
                "chainId": self.chain_id,
                "gasLimit": q(chain.config.gas_limit),
                "gasPrice": q(seq.next_base_fee_of(self.chain_id) + DEFAULT_TIP),
            },
            "forkConfig": {},
            "superblock": seq.head.number,
            "miningMode": seq.mode.name,
        }
