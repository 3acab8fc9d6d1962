"""xr_getForcedInclusion: a deposit's way from the L1 into its rollup (settlement/forced.py)."""

from __future__ import annotations

from typing import Any

from backend import Backend


class ForcedApi:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def xr_getForcedInclusion(self, l1_tx_hash: bytes) -> dict[str, Any] | None:
        """The deposits of L1 transaction ``l1_tx_hash``: submitted at, deadline, included at,
        by the sequencer or by force, and the hand-off; null for an unknown transaction."""
        return await self.backend.forced_inclusion(l1_tx_hash)
