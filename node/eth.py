"""eth_*, net_* and web3_* handlers of one chain. Parameters arrive parsed (see table.py)."""

from __future__ import annotations

from importlib.metadata import version as _package_version
from typing import Any

from eth_typing import Address
from eth_utils import keccak

from backend import Backend
from chains.block import base_fee_of
from chains.errors import BlockNotFound, InvalidInput
from chains.proofs import StorageKey, get_proof, proof_json
from chains.rollup import BlockRef, CallMessage, MinedBlock, MinedTx, RollupChain
from chains.txbuild import decode_raw
from node import views
from node.params import LogFilter, TxFields, typed_data_problem
from node.txrequest import DEFAULT_TIP, call_message, signed_or_impersonated
from node.views import d, q

# Hardhat's network helpers accept only a client whose version starts with hardhat, zksync or
# anvil; the anvil release whose RPC surface xrollup follows comes first, then xrollup's own.
CLIENT_VERSION = f"anvil/v1.7.1 xrollup/{_package_version('xrollup')}"


class EthApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    @property
    def chain(self) -> RollupChain:
        return self.backend.chain(self.chain_id)

    # -- node ------------------------------------------------------------------------------

    def eth_chainId(self) -> str:
        return q(self.chain_id)

    def net_version(self) -> str:
        return str(self.chain_id)

    def net_listening(self) -> bool:
        return True

    def net_peerCount(self) -> str:
        return "0x0"

    def web3_clientVersion(self) -> str:
        return CLIENT_VERSION

    def web3_sha3(self, payload: bytes) -> str:
        return d(keccak(payload))

    def eth_syncing(self) -> bool:
        return False

    def eth_mining(self) -> bool:
        return True

    def eth_hashrate(self) -> str:
        return "0x0"

    def eth_coinbase(self) -> str:
        return d(self.backend.coinbase())

    def eth_accounts(self) -> list[str]:
        return [d(a.address) for a in self.backend.accounts]

    def eth_blockNumber(self) -> str:
        return q(self.chain.height)

    # -- fees --------------------------------------------------------------------------

    def eth_gasPrice(self) -> str:
        return q(self.backend.next_base_fee(self.chain_id) + DEFAULT_TIP)

    def eth_maxPriorityFeePerGas(self) -> str:
        return q(DEFAULT_TIP)

    def eth_blobBaseFee(self) -> str:
        return "0x1"

    def eth_feeHistory(self, count: int, newest: int | str, percentiles: list[float] | None) -> dict[str, Any]:
        if count < 1:
            raise InvalidInput("blockCount must be at least 1")
        last = self.chain.block(newest).number
        first = max(0, last - min(count, 1024) + 1)
        blocks = [self.chain.blocks[n] for n in range(first, last + 1)]
        base_fees = [q(base_fee_of(b.header)) for b in blocks]
        next_fee = self.backend.next_base_fee(self.chain_id) if last == self.chain.height else (
            base_fee_of(self.chain.blocks[last + 1].header))
        out: dict[str, Any] = {
            "oldestBlock": q(first),
            "baseFeePerGas": base_fees + [q(next_fee)],
            "gasUsedRatio": [b.header.gas_used / b.header.gas_limit for b in blocks],
            "baseFeePerBlobGas": ["0x1"] * (len(blocks) + 1),
            "blobGasUsedRatio": [0.0] * len(blocks),
        }
        if percentiles:
            out["reward"] = [[q(tip) for tip in _tips_at(b, percentiles)] for b in blocks]
        return out

    # -- state ---------------------------------------------------------------------------

    def eth_getBalance(self, address: Address, ref: BlockRef) -> str:
        return q(self.chain.state_at(ref).get_balance(address))

    def eth_getTransactionCount(self, address: Address, ref: BlockRef) -> str:
        if ref == "pending":
            return q(self.backend.pending_nonce(self.chain_id, address))
        return q(self.chain.state_at(ref).get_nonce(address))

    def eth_getCode(self, address: Address, ref: BlockRef) -> str:
        return d(self.chain.state_at(ref).get_code(address))

    def eth_getStorageAt(self, address: Address, slot: int, ref: BlockRef) -> str:
        value = self.chain.state_at(ref).get_storage(address, slot)
        return d(int(value).to_bytes(32, "big"))

    def eth_getProof(self, address: Address, keys: list[StorageKey], ref: BlockRef) -> dict[str, Any]:
        return proof_json(get_proof(self.chain, ref, address, keys))

    # -- execution without effect ------------------------------------------------------------

    def _message(self, fields: TxFields, gas: int | None = None) -> CallMessage:
        return call_message(fields, gas)

    async def eth_call(self, fields: TxFields, ref: BlockRef, _overrides: Any = None) -> str:
        return d(await self.backend.call(self.chain_id, self._message(fields), ref))

    async def eth_estimateGas(self, fields: TxFields, ref: BlockRef, _overrides: Any = None) -> str:
        return q(await self.backend.estimate_gas(self.chain_id, self._message(fields), ref))

    async def eth_createAccessList(self, fields: TxFields, ref: BlockRef) -> dict[str, Any]:
        result = await self.backend.access_list(self.chain_id, self._message(fields), ref)
        answer = {
            "accessList": [{"address": d(a), "storageKeys": [d(s.to_bytes(32, "big")) for s in sorted(slots)]}
                           for a, slots in result.accessed],
            "gasUsed": q(result.gas_used),
        }
        if result.error is not None:
            answer["error"] = result.error
        return answer

    # -- sending -------------------------------------------------------------------------

    async def eth_sendRawTransaction(self, raw: bytes) -> str:
        return d(await self.backend.send_transaction(self.chain_id, decode_raw(raw)))

    async def eth_sendTransaction(self, fields: TxFields) -> str:
        pending = await signed_or_impersonated(self.backend, self.chain_id, fields)
        return d(await self.backend.send_transaction(self.chain_id, pending))

    def _key(self, address: bytes) -> bytes:
        key = self.backend.private_key(address)
        if key is None:
            raise InvalidInput(f"no key for {d(address)}: not a dev account")
        return key

    def eth_sign(self, address: bytes, message: bytes) -> str:
        from eth_account import Account  # imported here: it costs most of a second of start-up
        from eth_account.messages import encode_defunct

        signed = Account.sign_message(encode_defunct(primitive=message), self._key(address))
        return d(signed.signature)

    def personal_sign(self, message: bytes, address: bytes) -> str:
        return self.eth_sign(address, message)

    def eth_signTypedData_v4(self, address: bytes, typed: dict[str, Any]) -> str:
        """Sign EIP-712 ``typed`` data (an object: node.params.typed_data). Raises InvalidInput
        for data that is not well-formed typed data or whose values do not fit their types."""
        from eth_account import Account
        from eth_account.messages import encode_typed_data

        problem = typed_data_problem(typed)
        if problem is not None:
            raise InvalidInput(f"invalid typed data: {problem}")
        try:
            signable = encode_typed_data(full_message=typed)
        except ValueError as exc:  # eth_account's, eth_abi's and eth_utils' checks of the values
            raise InvalidInput(f"invalid typed data: {str(exc)[:300]}") from exc
        except (TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
            raise InvalidInput("invalid typed data: a value does not fit its declared type") from exc
        return d(Account.sign_message(signable, self._key(address)).signature)

    # -- transactions, receipts, blocks --------------------------------------------------------

    def eth_getTransactionByHash(self, tx_hash: bytes) -> dict[str, Any] | None:
        mined = self.chain.tx_by_hash.get(tx_hash)
        if mined is not None:
            return views.tx_json(mined.outcome.pending, self.chain_id, mined)
        entry = self.backend.pooled(self.chain_id, tx_hash)
        return views.pending_tx_json(entry.pending, self.chain_id, self.backend.pool_sealed(self.chain_id)) if entry else None

    def _receipt(self, mined: MinedTx) -> dict[str, Any]:
        return views.receipt_json(mined, self.chain_id, self.backend.receipt_extra(self.chain_id, mined))

    def eth_getTransactionReceipt(self, tx_hash: bytes) -> dict[str, Any] | None:
        mined = self.chain.tx_by_hash.get(tx_hash)
        return None if mined is None else self._receipt(mined)

    def eth_getBlockReceipts(self, ref: BlockRef) -> list[dict[str, Any]] | None:
        block = self._block_or_none(ref)
        return None if block is None else [self._receipt(t) for t in block.txs]

    def _block_or_none(self, ref: BlockRef) -> MinedBlock | None:
        try:
            return self.chain.block(ref)
        except BlockNotFound:
            return None

    def eth_getBlockByNumber(self, ref: BlockRef, full: bool) -> dict[str, Any] | None:
        block = self._block_or_none(ref)
        return None if block is None else views.block_json(block, self.chain_id, full)

    eth_getBlockByHash = eth_getBlockByNumber

    def eth_getBlockTransactionCountByNumber(self, ref: BlockRef) -> str | None:
        block = self._block_or_none(ref)
        return None if block is None else q(len(block.txs))

    eth_getBlockTransactionCountByHash = eth_getBlockTransactionCountByNumber

    def eth_getTransactionByBlockNumberAndIndex(self, ref: BlockRef, index: int) -> dict[str, Any] | None:
        block = self._block_or_none(ref)
        if block is None or index >= len(block.txs):
            return None
        mined = block.txs[index]
        return views.tx_json(mined.outcome.pending, self.chain_id, mined)

    eth_getTransactionByBlockHashAndIndex = eth_getTransactionByBlockNumberAndIndex

    def eth_getUncleCountByBlockNumber(self, _ref: Any) -> str:
        return "0x0"

    def eth_getUncleByBlockNumberAndIndex(self, _ref: Any, _index: Any) -> None:
        return None

    # -- logs ---------------------------------------------------------------------------

    def eth_getLogs(self, flt: LogFilter) -> list[dict[str, Any]]:
        return [views.log_json(log) for log in self.backend.logs(self.chain_id, flt)]


def _tips_at(block: Any, percentiles: list[float]) -> list[int]:
    """The effective tip at each percentile (ascending) of the block's gas, as geth's
    feeHistory: transactions sorted by tip once, then walked once for all percentiles. A deposit
    (gas price 0) tips nothing, never a negative amount."""
    tips = sorted((max(0, t.outcome.effective_gas_price - block.header.base_fee_per_gas), t.outcome.gas_used)
                  for t in block.txs)
    if not tips:
        return [0] * len(percentiles)
    total = sum(g for _, g in tips)
    out: list[int] = []
    index, acc = 0, tips[0][1]
    for percentile in percentiles:
        threshold = total * percentile / 100
        while acc < threshold and index < len(tips) - 1:
            index += 1
            acc += tips[index][1]
        out.append(max(0, tips[index][0]))
    return out
