"""Log queries: which logs of a chain match a filter (eth_getLogs, filters, subscriptions)."""

from __future__ import annotations

from dataclasses import dataclass

from chains.errors import InvalidInput
from chains.rollup import BlockRef, LogRecord, RollupChain

MAX_LOG_RANGE = 100_000
MAX_LOG_RESULTS = 10_000  # logs one query may return (as hosted nodes cap eth_getLogs)


@dataclass(frozen=True)
class LogFilter:
    from_block: BlockRef = "latest"
    to_block: BlockRef = "latest"
    block_hash: bytes | None = None
    addresses: tuple[bytes, ...] = ()
    topics: tuple[tuple[bytes, ...] | None, ...] = ()


def matches(log: LogRecord, flt: LogFilter) -> bool:
    if flt.addresses and log.address not in flt.addresses:
        return False
    if len(flt.topics) > len(log.topics):  # geth: every position named, even by null, must exist
        return False
    for position, wanted in enumerate(flt.topics):
        if wanted is None:
            continue
        if position >= len(log.topics) or log.topics[position] not in wanted:
            return False
    return True


def find_logs(chain: RollupChain, flt: LogFilter) -> list[LogRecord]:
    """Logs matching ``flt``. Raises BlockNotFound for an unknown block, InvalidInput for a
    range that is inverted or too long, or for more than MAX_LOG_RESULTS logs."""
    if flt.block_hash is not None:
        blocks = [chain.block(flt.block_hash)]
    else:
        lo, hi = chain.block(flt.from_block).number, chain.block(flt.to_block).number
        if lo > hi:
            raise InvalidInput(f"fromBlock {lo} is after toBlock {hi}")
        if hi - lo > MAX_LOG_RANGE:
            raise InvalidInput(f"block range too large: at most {MAX_LOG_RANGE} blocks")
        blocks = chain.blocks[lo : hi + 1]
    found: list[LogRecord] = []
    for block in blocks:
        if not block.txs:
            continue
        found.extend(log for tx in block.txs for log in tx.logs if matches(log, flt))
        if len(found) > MAX_LOG_RESULTS:
            raise InvalidInput(f"query returned more than {MAX_LOG_RESULTS} results: "
                               f"narrow the block range (this one reached block {block.number})")
    return found
