"""eth_* methods past the core set (node/eth.py), with geth's and anvil's shapes: raw
transactions, signing without sending, the pending block, state overrides in eth_call,
account info in one call, and the synchronous send of EIP-7966. Parameters arrive parsed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from eth_typing import Address

from backend.overrides import StateOverrides
from chains.errors import InvalidInput, ReceiptTimeout
from chains.rollup import BlockRef
from chains.txbuild import decode_raw, sign
from node import views
from node.eth import EthApi
from node.params import TxFields
from node.txrequest import call_message, fill_request
from node.views import d, q

SYNC_TIMEOUT_MS = 2_000  # EIP-7966's default wait when the caller names none
MAX_SYNC_TIMEOUT_MS = 60_000
_POLL_S = 0.01


class EthExtraApi(EthApi):
    # -- raw transactions ---------------------------------------------------------------

    def eth_getRawTransactionByHash(self, tx_hash: bytes) -> str | None:
        mined = self.chain.tx_by_hash.get(tx_hash)
        if mined is not None:
            return d(mined.outcome.pending.raw)
        entry = self.backend.pooled(self.chain_id, tx_hash)
        if entry is None or self.backend.pool_sealed(self.chain_id):  # encrypted: a commitment only
            return None
        return d(entry.pending.raw)

    def eth_getRawTransactionByBlockNumberAndIndex(self, ref: BlockRef, index: int) -> str | None:
        block = self._block_or_none(ref)
        if block is None or index >= len(block.txs):
            return None
        return d(block.txs[index].outcome.pending.raw)

    eth_getRawTransactionByBlockHashAndIndex = eth_getRawTransactionByBlockNumberAndIndex

    # -- signing without sending -----------------------------------------------------------

    async def eth_signTransaction(self, fields: TxFields) -> dict[str, Any]:
        """geth's answer: ``{raw, tx}``, the transaction filled in as eth_sendTransaction
        would and signed by the dev account; nothing is sent. Raises InvalidInput for a
        sender without a key."""
        if fields.sender is None:
            raise InvalidInput("transaction needs a from address")
        key = self._key(fields.sender)
        pending = sign(await fill_request(self.backend, self.chain_id, fields), key)
        return {"raw": d(pending.raw), "tx": views.tx_json(pending, self.chain_id)}

    # -- state ------------------------------------------------------------------------------

    def eth_getAccountInfo(self, address: Address, ref: BlockRef) -> dict[str, str]:
        """anvil's one-call account read: balance, nonce and code."""
        state = self.chain.state_at(ref)
        return {"balance": q(state.get_balance(address)), "nonce": q(state.get_nonce(address)),
                "code": d(state.get_code(address))}

    async def eth_call(self, fields: TxFields, ref: BlockRef, overrides: StateOverrides | None = None) -> str:
        if not overrides:
            return await super().eth_call(fields, ref)
        return d(await self.backend.call_with_overrides(self.chain_id, call_message(fields), ref, overrides))

    # -- blocks -------------------------------------------------------------------------------

    def eth_getBlockByNumber(self, ref: BlockRef, full: bool) -> dict[str, Any] | None:
        if ref != "pending":
            return super().eth_getBlockByNumber(ref, full)
        return views.pending_block_json(self.backend.pending_block(self.chain_id), self.chain_id, full)

    # -- sending and waiting ------------------------------------------------------------------

    async def eth_sendRawTransactionSync(self, raw: bytes, timeout_ms: int | None) -> dict[str, Any]:
        """EIP-7966: send, then answer the receipt once mined. Raises ReceiptTimeout (code 4,
        the hash in ``data``) when it is not mined within ``timeout_ms`` (default 2 s, at most
        60 s), and whatever eth_sendRawTransaction raises."""
        wait_ms = min(timeout_ms if timeout_ms is not None else SYNC_TIMEOUT_MS, MAX_SYNC_TIMEOUT_MS)
        tx_hash = await self.backend.send_transaction(self.chain_id, decode_raw(raw))
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            mined = self.chain.tx_by_hash.get(tx_hash)
            if mined is not None:
                return self._receipt(mined)
            if time.monotonic() >= deadline:
                raise ReceiptTimeout(tx_hash, wait_ms)
            await asyncio.sleep(_POLL_S)
