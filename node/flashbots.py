"""Flashbots' eth_sendBundle and eth_callBundle on each chain's endpoint.

Parameter and answer shapes are the Flashbots relay's (mev-geth): amounts in wei as decimal
strings, gas as numbers. ``blockNumber`` names a block of the endpoint's chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend import Backend
from backend.bundles import BundleSpec
from backend.flashbots import CalledBundle, FlashbotsTarget
from node.params import block_number_or_tag, data, hash32, timestamp, uint64
from node.views import d


@dataclass(frozen=True)
class SendBundle:
    spec: BundleSpec
    target: FlashbotsTarget


@dataclass(frozen=True)
class CallBundle:
    spec: BundleSpec
    block_number: int
    state_block: int | str
    timestamp: int | None


def _txs(value: dict[str, Any]) -> tuple[bytes, ...]:
    txs = value.get("txs")
    if not isinstance(txs, list) or not txs:
        raise ValueError("txs: expected a non-empty list of signed raw transactions")
    return tuple(data(t) for t in txs)


def _opt_time(value: dict[str, Any], key: str) -> int | None:
    raw = value.get(key)
    if raw is None or raw == 0:
        return None  # Flashbots: 0 means no bound
    try:
        return timestamp(raw)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def _block_number(value: dict[str, Any]) -> int:
    if value.get("blockNumber") is None:
        raise ValueError("blockNumber: required")
    try:
        return uint64(value["blockNumber"])
    except ValueError as exc:
        raise ValueError(f"blockNumber: {exc}") from None


def send_bundle_param(value: Any) -> SendBundle:
    """{txs, blockNumber, minTimestamp?, maxTimestamp?, revertingTxHashes?}. Raises ValueError."""
    if not isinstance(value, dict):
        raise ValueError("expected a bundle object {txs, blockNumber, ...}")
    reverting = value.get("revertingTxHashes") or []
    if not isinstance(reverting, list):
        raise ValueError("revertingTxHashes: expected a list of transaction hashes")
    spec = BundleSpec(txs=_txs(value), reverting=frozenset(hash32(h) for h in reverting))
    lo, hi = _opt_time(value, "minTimestamp"), _opt_time(value, "maxTimestamp")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError("minTimestamp is after maxTimestamp")
    return SendBundle(spec, FlashbotsTarget(_block_number(value), lo, hi))


def call_bundle_param(value: Any) -> CallBundle:
    """{txs, blockNumber, stateBlockNumber, timestamp?}. Raises ValueError."""
    if not isinstance(value, dict):
        raise ValueError("expected a bundle object {txs, blockNumber, stateBlockNumber, ...}")
    state = value.get("stateBlockNumber", "latest")
    try:
        state_block = block_number_or_tag(state)
    except ValueError as exc:
        raise ValueError(f"stateBlockNumber: {exc}") from None
    return CallBundle(BundleSpec(txs=_txs(value)), _block_number(value), state_block, _opt_time(value, "timestamp"))


def called_json(called: CalledBundle) -> dict[str, Any]:
    results = []
    for r in called.results:
        item: dict[str, Any] = {
            "txHash": d(r.tx_hash), "chainId": hex(r.chain_id), "gasUsed": r.gas_used,
            "gasPrice": str(r.coinbase_diff // r.gas_used if r.gas_used else 0), "gasFees": str(r.gas_fees),
            "fromAddress": d(r.sender), "toAddress": d(r.to) if r.to is not None else None,
            "coinbaseDiff": str(r.coinbase_diff), "ethSentToCoinbase": str(r.eth_sent_to_coinbase),
        }
        if r.error is None:
            item["value"] = d(r.output)
        else:
            item["error"] = r.error
            item["revert"] = r.revert if r.revert is not None else d(r.output)
        results.append(item)
    return {
        "bundleHash": d(called.bundle_hash), "bundleGasPrice": str(called.bundle_gas_price),
        "coinbaseDiff": str(called.coinbase_diff), "ethSentToCoinbase": str(called.coinbase_diff - called.gas_fees),
        "gasFees": str(called.gas_fees), "results": results, "stateBlockNumber": called.state_block,
        "totalGasUsed": called.total_gas_used,
    }


class FlashbotsApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    async def eth_sendBundle(self, request: SendBundle) -> dict[str, Any]:
        bundle_hash = await self.backend.send_flashbots_bundle(self.chain_id, request.spec, request.target)
        return {"bundleHash": d(bundle_hash)}

    def eth_callBundle(self, request: CallBundle) -> dict[str, Any]:
        return called_json(self.backend.call_flashbots_bundle(
            self.chain_id, request.spec, request.block_number, request.state_block, request.timestamp))
