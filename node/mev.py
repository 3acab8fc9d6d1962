"""xr_getMevReport: what the MEV detector finds in one superblock or a range of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend import Backend
from node.params import uint64
from node.views import d, q
from shared_sequencer.mev import Finding


@dataclass(frozen=True)
class ReportRange:
    first: int | str  # a number, or "latest"
    last: int | str


def _ref(value: Any, what: str) -> int | str:
    if value in ("latest", "earliest"):
        return str(value)
    try:
        return uint64(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def report_range(value: Any) -> ReportRange:
    """A superblock number (or "latest"), or {from, to} (either defaults to "latest").
    Raises ValueError."""
    if isinstance(value, dict):
        return ReportRange(_ref(value.get("from", "latest"), "from"), _ref(value.get("to", "latest"), "to"))
    ref = _ref(value, "superblock")
    return ReportRange(ref, ref)


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "superblock": q(f.superblock),
        "extractor": d(f.extractor),
        "transactions": [{"chainId": q(c), "hash": d(h)} for c, h in f.txs],
        "victims": [{"chainId": q(c), "hash": d(h)} for c, h in f.victims],
        "pools": [{"chainId": q(c), "address": d(a)} for c, a in f.pools],
        "chains": [q(c) for c in f.chains],
        "crossRollup": f.cross_rollup,
        "value": [{"token": d(t), "amount": str(v)} for t, v in f.value.items()],
    }


class MevApi:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def _number(self, ref: int | str) -> int:
        if ref == "latest":
            return self.backend.sequencer.head.number
        if ref == "earliest":
            return 0
        return int(ref)

    def xr_getMevReport(self, span: ReportRange) -> dict[str, Any]:
        first, last = self._number(span.first), self._number(span.last)
        findings = self.backend.mev_report(first, last)
        return {"from": q(first), "to": q(last), "findings": [finding_json(f) for f in findings]}
