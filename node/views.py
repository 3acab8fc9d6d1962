"""JSON shapes of blocks, transactions, receipts and logs, as geth and anvil answer them.

Quantities are 0x-hex without leading zeros, data is 0x-hex bytes, field names camelCase,
and a contract creation has ``"to": null``.
"""

from __future__ import annotations

from typing import Any, cast

import rlp
from eth.abc import LegacyTransactionFieldsAPI, SignedTransactionAPI
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_typing import Hash32

from chains.block import PendingTx, base_fee_of
from chains.deposits import DepositReceipt, DepositTx
from chains.encoding import block_size
from chains.rollup import LogRecord, MinedBlock, MinedTx


def q(value: int) -> str:
    return hex(int(value))


def d(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def log_json(log: LogRecord) -> dict[str, Any]:
    return {
        "address": d(log.address),
        "topics": [d(t) for t in log.topics],
        "data": d(log.data),
        "blockNumber": q(log.block_number),
        "blockHash": d(log.block_hash),
        "transactionHash": d(log.tx_hash),
        "transactionIndex": q(log.tx_index),
        "logIndex": q(log.log_index),
        "removed": False,
    }


def pending_tx_json(pending: PendingTx, chain_id: int, sealed: bool) -> dict[str, Any]:
    """A pooled transaction as read methods show it: whole, or under a commit-reveal policy
    (``sealed``) only its commitment: hash, sender and chain."""
    if not sealed:
        return tx_json(pending, chain_id)
    return {"hash": d(pending.hash), "from": d(pending.sender), "chainId": q(chain_id), "sealed": True,
            "blockHash": None, "blockNumber": None, "transactionIndex": None}


def deposit_tx_json(pending: PendingTx, tx: DepositTx, mined: MinedTx | None) -> dict[str, Any]:
    """A deposit (type 0x7e) as op-geth's RPC shows it: sourceHash, mint, isSystemTx only when
    true, the receipt's depositNonce as nonce and its depositReceiptVersion, a gas price of 0,
    zero v/r/s and no yParity, chainId or fee fields. ``mint`` is always there ("0x0" when
    none), as op-reth has it; op-geth leaves a zero mint out."""
    deposit = tx.deposit
    receipt = mined.outcome.receipt if mined else None
    out: dict[str, Any] = {
        "hash": d(pending.hash),
        "type": q(tx.type_id),
        "sourceHash": d(deposit.source_hash),
        "from": d(deposit.sender),
        "to": d(deposit.to) if deposit.to else None,
        "mint": q(deposit.mint),
        "value": q(deposit.value),
        "gas": q(deposit.gas),
        "gasPrice": "0x0",
        "input": d(deposit.data),
        "nonce": q(receipt.deposit_nonce if isinstance(receipt, DepositReceipt) else 0),
        "blockHash": d(mined.block_hash) if mined else None,
        "blockNumber": q(mined.block_number) if mined else None,
        "transactionIndex": q(mined.index) if mined else None,
        "v": "0x0",
        "r": "0x0",
        "s": "0x0",
    }
    if deposit.is_system_tx:
        out["isSystemTx"] = True
    if isinstance(receipt, DepositReceipt):
        out["depositReceiptVersion"] = q(receipt.deposit_receipt_version)
    return out


def tx_json(pending: PendingTx, chain_id: int, mined: MinedTx | None = None, base_fee: int | None = None) -> dict[str, Any]:
    if isinstance(pending.tx, DepositTx):
        return deposit_tx_json(pending, pending.tx, mined)
    tx: SignedTransactionAPI = pending.tx
    type_id = tx.type_id or 0
    out: dict[str, Any] = {
        "hash": d(pending.hash),
        "type": q(type_id),
        "from": d(pending.sender),
        "to": d(tx.to) if tx.to else None,
        "nonce": q(tx.nonce),
        "gas": q(tx.gas),
        "value": q(tx.value),
        "input": d(tx.data),
        "chainId": q(getattr(tx, "chain_id", None) or chain_id),
        "blockHash": d(mined.block_hash) if mined else None,
        "blockNumber": q(mined.block_number) if mined else None,
        "transactionIndex": q(mined.index) if mined else None,
    }
    if type_id in (0, 1):
        out["gasPrice"] = q(tx.gas_price)
    else:
        out["maxFeePerGas"] = q(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
        price = mined.outcome.effective_gas_price if mined else tx.max_fee_per_gas
        out["gasPrice"] = q(price)
    if type_id:
        out["accessList"] = [
            {"address": d(addr), "storageKeys": ["0x" + k.to_bytes(32, "big").hex() for k in keys]}
            for addr, keys in tx.access_list
        ]
        out["yParity"] = q(tx.y_parity)
        out["v"] = q(tx.y_parity)
    else:
        out["v"] = q(cast(LegacyTransactionFieldsAPI, tx).v)  # type 0: a legacy transaction
    if type_id == 4:
        out["authorizationList"] = [
            {"chainId": q(a.chain_id), "address": d(a.address), "nonce": q(a.nonce),
             "yParity": q(a.y_parity), "r": q(a.r), "s": q(a.s)}
            for a in tx.authorization_list
        ]
    out["r"] = q(tx.r)
    out["s"] = q(tx.s)
    return out


def receipt_json(mined: MinedTx, chain_id: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    outcome = mined.outcome
    tx = outcome.pending.tx
    receipt = outcome.receipt
    out = {
        "transactionHash": d(mined.hash),
        "transactionIndex": q(mined.index),
        "blockHash": d(mined.block_hash),
        "blockNumber": q(mined.block_number),
        "from": d(outcome.pending.sender),
        "to": d(tx.to) if tx.to else None,
        "cumulativeGasUsed": q(receipt.gas_used),
        "gasUsed": q(outcome.gas_used),
        "contractAddress": d(outcome.contract_address) if outcome.contract_address and outcome.success else None,
        "logs": [log_json(log) for log in mined.logs],
        "logsBloom": d(receipt.bloom.to_bytes(256, "big")),
        "status": q(1 if outcome.success else 0),
        "effectiveGasPrice": q(outcome.effective_gas_price),
        "type": q(tx.type_id or 0),
        "blobGasUsed": "0x0",
    }
    if isinstance(receipt, DepositReceipt):  # op-geth's receipt fields of a deposit
        out["depositNonce"] = q(receipt.deposit_nonce)
        out["depositReceiptVersion"] = q(receipt.deposit_receipt_version)
    if extra:
        out.update(extra)
    return out


def block_json(mined: MinedBlock, chain_id: int, full: bool) -> dict[str, Any]:
    h = mined.header  # Prague's (the casts below: BlockHeaderAPI types later forks' fields Optional)
    txs: list[Any] = (
        [tx_json(t.outcome.pending, chain_id, t) for t in mined.txs] if full else [d(t.hash) for t in mined.txs]
    )
    return {
        "number": q(h.block_number),
        "hash": d(h.hash),
        "parentHash": d(h.parent_hash),
        "nonce": d(h.nonce),
        "mixHash": d(h.mix_hash),
        "sha3Uncles": d(h.uncles_hash),
        "logsBloom": d(h.bloom.to_bytes(256, "big")),
        "transactionsRoot": d(h.transaction_root),
        "stateRoot": d(h.state_root),
        "receiptsRoot": d(h.receipt_root),
        "miner": d(h.coinbase),
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": d(h.extra_data),
        "size": q(_size(mined)),
        "gasLimit": q(h.gas_limit),
        "gasUsed": q(h.gas_used),
        "timestamp": q(h.timestamp),
        "baseFeePerGas": q(base_fee_of(h)),
        "withdrawalsRoot": d(cast(Hash32, h.withdrawals_root)),
        "withdrawals": [],
        "blobGasUsed": q(h.blob_gas_used),
        "excessBlobGas": q(h.excess_blob_gas),
        "parentBeaconBlockRoot": d(cast(Hash32, h.parent_beacon_block_root)),
        "requestsHash": d(cast(PragueBlockHeader, h).requests_hash),
        "transactions": txs,
        "uncles": [],
    }


def _size(mined: MinedBlock) -> int:
    """The block's rlp size; py-evm's block serializer knows no deposits (type 0x7e)."""
    if any(isinstance(t.outcome.pending.tx, DepositTx) for t in mined.txs):
        return block_size(mined.sealed.block)
    return len(rlp.encode(mined.sealed.block))


def pending_block_json(block: MinedBlock, chain_id: int, full: bool) -> dict[str, Any]:
    """The pending block as geth answers it: no hash, nonce or miner yet, and its
    transactions in no block."""
    out = block_json(block, chain_id, full)
    out.update(hash=None, nonce=None, miner=None)
    if full:
        for tx in out["transactions"]:
            tx["blockHash"] = None
    return out
