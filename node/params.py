"""Parsers for Ethereum JSON-RPC parameters. Each raises ValueError with a reason.

The transport wraps a parser's ValueError into -32602 ``invalid params: <name>: <reason>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_typing import Address, Hash32

from backend.logs import LogFilter
from chains.rollup import BlockRef
from chains.txbuild import AccessList

_HEX = re.compile(r"^0x[0-9a-fA-F]*$")
BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")

# Caps on list parameters, so that no one request holds the devnet for long (geth's where it
# has one).
MAX_LOG_ADDRESSES = 1_000  # geth's maxAddresses (eth_getLogs, eth_newFilter, logs subscriptions)
MAX_SUB_TOPICS = 1_000  # geth's maxSubTopics: alternatives at one topic position
MAX_TOPICS = 4  # geth's maxTopics (LOG0..LOG4)
MAX_FEE_PERCENTILES = 100  # geth's maxQueryLimit for eth_feeHistory's rewardPercentiles
MAX_ACCESS_LIST_KEYS = 10_000  # addresses plus storage keys of one call's access list
MAX_BUNDLE_LEGS = 100  # transactions of one xr_sendBundle / xr_simulateBundle


def quantity(value: Any) -> int:
    """0x-hex quantity (integers are accepted too, as anvil does)."""
    if isinstance(value, bool):
        raise ValueError("expected a hex quantity, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("quantity must not be negative")
        return value
    if not isinstance(value, str) or not _HEX.match(value) or value == "0x":
        raise ValueError(f"expected a 0x-prefixed hex quantity, got {value!r}")
    return int(value, 16)


def data(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX.match(value):
        raise ValueError(f"expected 0x-prefixed hex data, got {value!r}")
    if len(value) % 2:
        raise ValueError("hex data has an odd number of digits")
    return bytes.fromhex(value[2:])


def address(value: Any) -> Address:
    raw = data(value)
    if len(raw) != 20:
        raise ValueError(f"expected a 20-byte address, got {len(raw)} bytes")
    return Address(raw)


def hash32(value: Any) -> Hash32:
    raw = data(value)
    if len(raw) != 32:
        raise ValueError(f"expected a 32-byte hash, got {len(raw)} bytes")
    return Hash32(raw)


def block_ref(value: Any) -> BlockRef:
    """A tag, a hex number, or an EIP-1898 object {blockNumber} / {blockHash}."""
    if value is None:
        return "latest"
    if isinstance(value, dict):
        if "blockHash" in value:
            return hash32(value["blockHash"])
        if "blockNumber" in value:
            return block_ref(value["blockNumber"])
        raise ValueError("EIP-1898 block object needs blockHash or blockNumber")
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, str) and len(value) == 66:
        return hash32(value)
    return quantity(value)


def block_number_or_tag(value: Any) -> int | str:
    ref = block_ref(value)
    if isinstance(ref, bytes):
        raise ValueError("expected a block number or tag, not a hash")
    return ref


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected a boolean, got {value!r}")
    return value


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def any_value(value: Any) -> Any:
    return value


def opt_address(value: Any) -> Address | None:
    return None if value is None else address(value)


@dataclass(frozen=True)
class TxFields:
    """A transaction object as eth_call / eth_sendTransaction take it; absent fields None."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    access_list: AccessList = ()
    chain_id: int | None = None


def tx_object(value: Any) -> TxFields:
    if not isinstance(value, dict):
        raise ValueError("expected a transaction object")

    def get(key: str, parse: Any) -> Any:
        v = value.get(key)
        if v is None:
            return None
        try:
            return parse(v)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None

    payload = get("input", data)
    if payload is None:
        payload = get("data", data)
    access = []
    entries = value.get("accessList") or []
    if not isinstance(entries, list):
        raise ValueError("accessList: expected a list")
    size = 0
    for item in entries:
        if not isinstance(item, dict):
            raise ValueError("accessList: expected objects")
        keys = item.get("storageKeys") or []
        if not isinstance(keys, list):
            raise ValueError("accessList: storageKeys: expected a list")
        size += 1 + len(keys)
        if size > MAX_ACCESS_LIST_KEYS:
            raise ValueError(f"accessList: at most {MAX_ACCESS_LIST_KEYS} addresses and storage keys")
        access.append((address(item.get("address")), tuple(int.from_bytes(hash32(k), "big") for k in keys)))
    return TxFields(
        sender=get("from", address),
        to=get("to", address),
        gas=get("gas", quantity),
        gas_price=get("gasPrice", quantity),
        max_fee_per_gas=get("maxFeePerGas", quantity),
        max_priority_fee_per_gas=get("maxPriorityFeePerGas", quantity),
        value=get("value", quantity) or 0,
        data=payload or b"",
        nonce=get("nonce", quantity),
        access_list=tuple(access),
        chain_id=get("chainId", quantity),
    )


def log_filter(value: Any) -> LogFilter:
    if value is None:
        return LogFilter()
    if not isinstance(value, dict):
        raise ValueError("expected a filter object")
    block_hash = hash32(value["blockHash"]) if value.get("blockHash") is not None else None
    if block_hash is not None and (value.get("fromBlock") is not None or value.get("toBlock") is not None):
        raise ValueError("blockHash cannot be combined with fromBlock/toBlock")
    addr = value.get("address")
    if isinstance(addr, list) and len(addr) > MAX_LOG_ADDRESSES:
        raise ValueError(f"exceed max addresses: at most {MAX_LOG_ADDRESSES}")
    addresses = tuple(address(a) for a in addr) if isinstance(addr, list) else ((address(addr),) if addr else ())
    positions = value.get("topics") or []
    if not isinstance(positions, list):
        raise ValueError("topics: expected a list")
    if len(positions) > MAX_TOPICS:
        raise ValueError(f"exceed max topics: at most {MAX_TOPICS} topic positions")
    topics: list[tuple[bytes, ...] | None] = []
    for position in positions:
        if position is None:
            topics.append(None)
        elif isinstance(position, list):
            if len(position) > MAX_SUB_TOPICS:
                raise ValueError(f"exceed max topics: at most {MAX_SUB_TOPICS} topics at one position")
            topics.append(tuple(hash32(t) for t in position if t is not None) or None)
        else:
            topics.append((hash32(position),))
    return LogFilter(
        from_block=block_ref(value.get("fromBlock")) if value.get("fromBlock") is not None else "latest",
        to_block=block_ref(value.get("toBlock")) if value.get("toBlock") is not None else "latest",
        block_hash=block_hash,
        addresses=addresses,
        topics=tuple(topics),
    )


def percentiles(value: Any) -> list[float]:
    """eth_feeHistory's rewardPercentiles: at most 100, ascending, each in [0, 100]."""
    if isinstance(value, list) and len(value) > MAX_FEE_PERCENTILES:
        raise ValueError(f"invalid reward percentile: over the query limit {MAX_FEE_PERCENTILES}")
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and 0 <= v <= 100 for v in value):
        raise ValueError("expected a list of percentiles between 0 and 100")
    if value != sorted(value):
        raise ValueError("percentiles must be in ascending order")
    return [float(v) for v in value]
