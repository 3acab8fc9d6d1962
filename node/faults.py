"""xr_* handlers for the sequencer's fault modes: xr_setFault, xr_clearFault, xr_faults, xr_reorg.

Answered the same on every chain's endpoint (a fault names its chains in its parameters).
"""

from __future__ import annotations

from typing import Any

from backend import Backend
from shared_sequencer.faults import Fault


class FaultApi:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def xr_setFault(self, fault: Fault) -> dict[str, Any]:
        """Start ``fault``; answers its id and what it does."""
        fault_id = await self.backend.set_fault(fault)
        return {"id": fault_id, **fault.describe()}

    async def xr_clearFault(self, selector: int | str) -> list[int]:
        """End the fault with this id, or every fault of this kind (what it held back is
        mined before the answer, under automine); answers their ids."""
        return await self.backend.clear_faults(selector)

    def xr_faults(self) -> dict[str, Any]:
        return self.backend.faults_view()

    def xr_reorg(self, depth: int) -> dict[str, Any]:
        """Drop the last ``depth`` superblocks and sequence again; answers what happened."""
        record = self.backend.reorg(depth)
        return {**record.to_json(), "head": self.backend.sequencer.head.number}
