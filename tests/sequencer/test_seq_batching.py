"""AutomineBatcher: a sequential submission is mined at the end of its tick; concurrent ones
share a superblock, and a gathering batch stops waiting once it is as full as the last one."""

from __future__ import annotations

import asyncio

import pytest

from shared_sequencer import batching
from shared_sequencer.batching import AutomineBatcher


def _batcher() -> tuple[AutomineBatcher, list[int]]:
    mined: list[int] = []
    box: list[AutomineBatcher] = []

    def mine() -> None:
        mined.append(box[0]._last_batch)  # the size of the batch being mined

    box.append(AutomineBatcher(mine))
    return box[0], mined


def test_batches_stop_gathering_once_as_full_as_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "GATHER_SECONDS", 30.0)  # long enough that only a full batch ends early

    async def run() -> list[int]:
        batcher, mined = _batcher()
        batcher.schedule()  # a sequential client: mined at the end of this tick
        await asyncio.wait_for(batcher.settled(), 5)
        for _ in range(3):  # three clients in one tick: one superblock
            batcher.schedule()
        await asyncio.wait_for(batcher.settled(), 5)
        for _ in range(3):  # the same three are back: no 30 s wait
            batcher.schedule()
            await asyncio.sleep(0)
        await asyncio.wait_for(batcher.settled(), 5)
        return mined

    assert asyncio.run(run()) == [1, 3, 3]


def test_a_batch_short_of_the_last_waits_for_the_gathering_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "GATHER_SECONDS", 0.05)

    async def run() -> tuple[list[int], bool]:
        batcher, mined = _batcher()
        for _ in range(3):
            batcher.schedule()
        await batcher.settled()
        batcher.schedule()  # one of the three is back
        await asyncio.sleep(0.01)
        waiting = not batcher._done.done() if batcher._done is not None else False
        batcher.schedule()  # a second joins the same batch
        await batcher.settled()
        return mined, waiting

    mined, waiting = asyncio.run(run())
    assert waiting and mined == [3, 2]
