"""evm_*, anvil_* (hardhat_* aliases) and txpool_* handlers.

Snapshots, time and mining are devnet-wide: whichever chain's endpoint answers, every chain
moves together, because chains share one superblock history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chains.errors import InvalidInput
from chains.rollup import StateEdit
from rpc.eth import views
from rpc.eth.api import DEFAULT_TIP
from rpc.eth.views import d, q
from shared_sequencer.mining import Automine, IntervalMining, Manual

if TYPE_CHECKING:
    from xrollup.devnet import Devnet


class DevApi:
    def __init__(self, devnet: Devnet, chain_id: int) -> None:
        self.devnet = devnet
        self.chain_id = chain_id

    @property
    def seq(self) -> Any:
        return self.devnet.sequencer

    # -- snapshots and mining ------------------------------------------------------------

    def evm_snapshot(self) -> str:
        return q(self.seq.snapshot())

    def evm_revert(self, snap_id: int) -> bool:
        return bool(self.seq.revert(snap_id))

    def evm_mine(self, arg: Any) -> str:
        """evm_mine(), evm_mine(timestamp) or evm_mine({timestamp, blocks}) as anvil takes."""
        from rpc.eth.params import quantity

        blocks, timestamp = 1, None
        if isinstance(arg, dict):
            timestamp = quantity(arg["timestamp"]) if arg.get("timestamp") is not None else None
            blocks = quantity(arg["blocks"]) if arg.get("blocks") is not None else 1
        elif arg is not None:
            timestamp = quantity(arg)
        for i in range(blocks):
            self.seq.mine(timestamp + i if timestamp is not None else None)
        return "0x0"

    def anvil_mine(self, count: int | None, interval: int | None) -> None:
        count = 1 if count is None else count
        if count > 100_000:
            raise InvalidInput("at most 100000 blocks at once")
        for _ in range(count):
            ts = self.seq.head.timestamp + interval if interval else None
            self.seq.mine(ts)

    def evm_increaseTime(self, seconds: int) -> str:
        self.seq.clock.offset += seconds
        return q(self.seq.clock.offset)

    def evm_setNextBlockTimestamp(self, timestamp: int) -> None:
        if timestamp <= self.seq.head.timestamp:
            raise InvalidInput(f"timestamp {timestamp} is not after the latest block's {self.seq.head.timestamp}")
        self.seq.clock.next_timestamp = timestamp

    def anvil_setTime(self, timestamp: int) -> str:
        import time

        self.seq.clock.offset = timestamp - int(time.time())
        return q(self.seq.clock.offset)

    def evm_setAutomine(self, enabled: bool) -> None:
        self.seq.set_mode(Automine() if enabled else Manual())
        if enabled:
            self._mine_if_pending()

    def anvil_getAutomine(self) -> bool:
        return isinstance(self.seq.mode, Automine)

    def evm_setIntervalMining(self, seconds: int) -> None:
        self.seq.set_mode(IntervalMining(seconds) if seconds > 0 else Manual())

    def _mine_if_pending(self) -> None:
        if any(len(p) for p in self.seq.pools.values()) or self.seq.bundles.queue:
            self.seq.mine()

    # -- state edits --------------------------------------------------------------------

    def anvil_setBalance(self, address: bytes, value: int) -> None:
        self.seq.edit_state(self.chain_id, StateEdit("balance", address, value))

    def anvil_setNonce(self, address: bytes, value: int) -> None:
        self.seq.edit_state(self.chain_id, StateEdit("nonce", address, value))

    def anvil_setCode(self, address: bytes, code: bytes) -> None:
        self.seq.edit_state(self.chain_id, StateEdit("code", address, code))

    def anvil_setStorageAt(self, address: bytes, slot: int, value: bytes) -> bool:
        if len(value) > 32:
            raise InvalidInput("storage value is longer than 32 bytes")
        self.seq.edit_state(self.chain_id, StateEdit("storage", address, int.from_bytes(value, "big"), slot))
        return True

    def anvil_impersonateAccount(self, address: bytes) -> None:
        self.seq.impersonated.add(address)

    def anvil_stopImpersonatingAccount(self, address: bytes) -> None:
        self.seq.impersonated.discard(address)

    def anvil_setNextBlockBaseFeePerGas(self, fee: int) -> None:
        self.seq.next_base_fee = fee

    def anvil_setCoinbase(self, address: bytes) -> None:
        self.seq.coinbase = address

    # -- the pool ------------------------------------------------------------------------

    def anvil_dropTransaction(self, tx_hash: bytes) -> str | None:
        return d(tx_hash) if self.seq.drop(self.chain_id, tx_hash) else None

    def anvil_dropAllTransactions(self) -> None:
        self.seq.pools[self.chain_id].clear()

    def txpool_status(self) -> dict[str, str]:
        pending, queued = self._split()
        return {"pending": q(len(pending)), "queued": q(len(queued))}

    def _split(self) -> tuple[list[Any], list[Any]]:
        chain = self.seq.chain(self.chain_id)
        state = chain.state_at("latest")
        nonces: dict[bytes, int] = {}
        pending, queued = [], []
        for entry in sorted(self.seq.pools[self.chain_id].by_key.values(), key=lambda e: (e.pending.sender, e.pending.tx.nonce)):
            sender = entry.pending.sender
            expected = nonces.get(sender, state.get_nonce(sender))
            if entry.pending.tx.nonce == expected:
                pending.append(entry)
                nonces[sender] = expected + 1
            else:
                queued.append(entry)
                nonces[sender] = -1
        return pending, queued

    def _grouped(self, entries: list[Any], fmt: Any) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for entry in entries:
            out.setdefault(d(entry.pending.sender), {})[str(entry.pending.tx.nonce)] = fmt(entry)
        return out

    def txpool_content(self) -> dict[str, Any]:
        pending, queued = self._split()

        def fmt(e: Any) -> Any:
            return views.tx_json(e.pending, self.chain_id)

        return {"pending": self._grouped(pending, fmt), "queued": self._grouped(queued, fmt)}

    def txpool_inspect(self) -> dict[str, Any]:
        pending, queued = self._split()

        def fmt(e: Any) -> str:
            tx = e.pending.tx
            to = d(tx.to) if tx.to else "contract creation"
            price = getattr(tx, "max_fee_per_gas", None) or tx.gas_price
            return f"{to}: {tx.value} wei + {tx.gas} gas × {price} wei"

        return {"pending": self._grouped(pending, fmt), "queued": self._grouped(queued, fmt)}

    # -- saved state -------------------------------------------------------------------------

    def anvil_dumpState(self) -> str:
        return d(self.devnet.dump_state())

    def anvil_loadState(self, blob: bytes) -> bool:
        self.devnet.load_state(blob)
        return True

    def anvil_reset(self, _options: Any = None) -> None:
        if _options:
            raise InvalidInput("forking is not supported: anvil_reset takes no options here")
        self.devnet.reset()

    # -- about the node --------------------------------------------------------------------

    def anvil_nodeInfo(self) -> dict[str, Any]:
        chain = self.seq.chain(self.chain_id)
        cfg = self.devnet.config
        # anvil's shapes (alloy's NodeInfo): the block number and the U256 amounts are hex
        # quantities, the timestamp and the chain id plain numbers; gasPrice is eth_gasPrice's.
        return {
            "currentBlockNumber": q(chain.height),
            "currentBlockTimestamp": int(chain.head.header.timestamp),
            "currentBlockHash": d(chain.head.hash),
            "hardFork": "prague",
            "transactionOrder": self.seq.order.name,
            "environment": {
                "baseFee": q(chain.head.header.base_fee_per_gas),
                "chainId": self.chain_id,
                "gasLimit": q(cfg.gas_limit),
                "gasPrice": q(self.seq.next_base_fee_of(self.chain_id) + DEFAULT_TIP),
            },
            "forkConfig": {},
            "superblock": self.seq.head.number,
            "miningMode": self.seq.mode.name,
        }
