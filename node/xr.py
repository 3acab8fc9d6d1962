"""xr_* handlers: the devnet-wide view (chains, superblocks, atomic bundles).

Answered the same on every chain's endpoint.
"""

from __future__ import annotations

from typing import Any

from backend import Backend
from backend.bundles import BundleSpec
from chains.rollup import BlockRef
from node.params import MAX_BUNDLE_LEGS, data, hash32, quantity
from node.views import d, q
from shared_sequencer.bundles import BundleStatus


def bundle_param(value: Any) -> BundleSpec:
    """{txs: [raw...], revertingTxHashes?, minSuperblock?, maxSuperblock?} (parsed, not decoded)."""
    if not isinstance(value, dict):
        raise ValueError("expected a bundle object {txs: [...]}")
    txs = value.get("txs")
    if not isinstance(txs, list) or not txs:
        raise ValueError("txs: expected a non-empty list of signed raw transactions")
    if len(txs) > MAX_BUNDLE_LEGS:
        raise ValueError(f"txs: a bundle has at most {MAX_BUNDLE_LEGS} transactions, got {len(txs)}")
    return BundleSpec(
        txs=tuple(data(t) for t in txs),
        reverting=frozenset(hash32(h) for h in value.get("revertingTxHashes") or []),
        min_superblock=quantity(value["minSuperblock"]) if value.get("minSuperblock") is not None else None,
        max_superblock=quantity(value["maxSuperblock"]) if value.get("maxSuperblock") is not None else None,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return d(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def status_json(bundle_hash: bytes, status: BundleStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"bundleHash": d(bundle_hash), "status": status.state}
    out.update(_jsonable(status.detail))
    for key in ("superblock",):
        if isinstance(out.get(key), int):
            out[key] = q(out[key])
    return out


class XrApi:
    def __init__(self, backend: Backend, chain_id: int) -> None:
        self.backend = backend
        self.chain_id = chain_id

    def xr_chains(self) -> list[dict[str, Any]]:
        return self.backend.chains_json()

    def xr_blockNumber(self) -> str:
        return q(self.backend.sequencer.head.number)

    def xr_getSuperblockByNumber(self, ref: int | str, full: bool) -> dict[str, Any] | None:
        seq = self.backend.sequencer
        if ref == "safe" and seq.settled:
            number = seq.safe_superblock
        elif ref == "finalized" and seq.settled:
            number = seq.finalized_superblock
        elif ref in ("latest", "pending", "safe", "finalized"):
            number = seq.head.number
        elif ref == "earliest":
            number = 0
        else:
            number = int(ref)
        if number >= len(seq.superblocks):
            return None
        return seq.superblock_json(seq.superblocks[number], full)

    def xr_getSuperblockByHash(self, block_hash: bytes, full: bool) -> dict[str, Any] | None:
        seq = self.backend.sequencer
        for sb in reversed(seq.superblocks):
            if sb.hash == block_hash:
                return seq.superblock_json(sb, full)
        return None

    def xr_getSuperblockOfBlock(self, ref: BlockRef, full: bool) -> dict[str, Any]:
        """The superblock that holds this chain's block ``ref`` (a number, tag or hash): chains
        advance unevenly, so a chain's block number is not the superblock's. Raises
        BlockNotFound."""
        seq = self.backend.sequencer
        return seq.superblock_json(seq.superblock_of(self.chain_id, seq.chain(self.chain_id).block(ref).number), full)

    async def xr_sendBundle(self, spec: BundleSpec) -> dict[str, Any]:
        bundle = self.backend.bundle(spec)
        return status_json(bundle.hash, await self.backend.send_bundle(bundle))

    async def xr_simulateBundle(self, spec: BundleSpec) -> dict[str, Any]:
        bundle = self.backend.bundle(spec)
        result = await self.backend.simulate_bundle(bundle)
        return {
            "bundleHash": d(bundle.hash),
            "success": result.ok,
            "failedLeg": result.failed.index if result.failed else None,
            "legs": [leg.to_json() for leg in result.legs],
        }

    def xr_getBundleStatus(self, bundle_hash: bytes) -> dict[str, Any]:
        return status_json(bundle_hash, self.backend.bundle_status(bundle_hash))


__all__ = ["XrApi", "bundle_param", "status_json"]
