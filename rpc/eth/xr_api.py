"""xr_* handlers: the devnet-wide view (chains, superblocks, atomic bundles).

Answered the same on every chain's endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chains.errors import BundleFailed, InvalidInput, TransactionRejected, UnknownChain
from chains.txbuild import decode_raw, tx_chain_id
from rpc.eth.params import data, hash32, quantity
from rpc.eth.views import d, q
from shared_sequencer.bundles import Bundle, execute_bundle

if TYPE_CHECKING:
    from xrollup.devnet import Devnet


def bundle_param(value: Any) -> dict[str, Any]:
    """{txs: [raw...], revertingTxHashes?, minSuperblock?, maxSuperblock?} (parsed, not decoded)."""
    if not isinstance(value, dict):
        raise ValueError("expected a bundle object {txs: [...]}")
    txs = value.get("txs")
    if not isinstance(txs, list) or not txs:
        raise ValueError("txs: expected a non-empty list of signed raw transactions")
    return {
        "txs": [data(t) for t in txs],
        "reverting": frozenset(hash32(h) for h in value.get("revertingTxHashes") or []),
        "min": quantity(value["minSuperblock"]) if value.get("minSuperblock") is not None else None,
        "max": quantity(value["maxSuperblock"]) if value.get("maxSuperblock") is not None else None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return d(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class XrApi:
    def __init__(self, devnet: Devnet, chain_id: int) -> None:
        self.devnet = devnet
        self.chain_id = chain_id

    @property
    def seq(self) -> Any:
        return self.devnet.sequencer

    def xr_chains(self) -> list[dict[str, Any]]:
        return self.devnet.chains_json()

    def xr_blockNumber(self) -> str:
        return q(self.seq.head.number)

    def xr_getSuperblockByNumber(self, ref: int | str, full: bool) -> dict[str, Any] | None:
        if ref in ("latest", "pending", "safe", "finalized"):
            number = self.seq.head.number
        elif ref == "earliest":
            number = 0
        else:
            number = int(ref)
        if number >= len(self.seq.superblocks):
            return None
        return self.seq.superblocks[number].to_json(full)

    def xr_getSuperblockByHash(self, block_hash: bytes, full: bool) -> dict[str, Any] | None:
        for sb in reversed(self.seq.superblocks):
            if sb.hash == block_hash:
                return sb.to_json(full)
        return None

    def _bundle(self, spec: dict[str, Any]) -> Bundle:
        legs = []
        for index, raw in enumerate(spec["txs"]):
            try:
                pending = decode_raw(raw)
            except TransactionRejected as exc:
                raise TransactionRejected(f"bundle leg {index}: {exc}") from exc
            chain_id = tx_chain_id(pending)
            if chain_id is None:
                raise InvalidInput(f"bundle leg {index}: an unprotected transaction names no chain")
            if chain_id not in self.seq.chains:
                raise InvalidInput(f"bundle leg {index}: unknown chain id {chain_id}")
            legs.append((chain_id, pending))
        return Bundle(tuple(legs), spec["reverting"], spec["min"], spec["max"])

    async def xr_sendBundle(self, spec: dict[str, Any]) -> dict[str, Any]:
        bundle = self._bundle(spec)
        self.seq.submit_bundle(bundle)
        await self.devnet.settled()
        status = self.xr_getBundleStatus(bundle.hash)
        failure = self.seq.bundles.status(bundle.hash).failure
        if status["status"] == "failed" and failure is not None:
            raise BundleFailed(bundle.hash, failure)
        return status

    def xr_simulateBundle(self, spec: dict[str, Any]) -> dict[str, Any]:
        bundle = self._bundle(spec)
        ts = self.seq.clock.next(self.seq.head.timestamp)
        envs = self.seq._envs(ts)
        builders = {cid: c.scratch_builder(envs[cid]) for cid, c in self.seq.chains.items()}
        result = execute_bundle(builders, bundle, stop_on_failure=False)
        return {
            "bundleHash": d(bundle.hash),
            "success": result.ok,
            "failedLeg": result.failed.index if result.failed else None,
            "legs": [leg.to_json() for leg in result.legs],
        }

    def xr_getBundleStatus(self, bundle_hash: bytes) -> dict[str, Any]:
        status = self.seq.bundles.status(bundle_hash)
        if status is None:
            raise InvalidInput(f"unknown bundle {d(bundle_hash)}")
        out = {"bundleHash": d(bundle_hash), "status": status.state}
        out.update(_jsonable(status.detail))
        for key in ("superblock",):
            if isinstance(out.get(key), int):
                out[key] = q(out[key])
        return out


__all__ = ["XrApi", "bundle_param", "UnknownChain"]
