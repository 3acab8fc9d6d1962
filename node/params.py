"""Parsers for Ethereum JSON-RPC parameters. Each raises ValueError with a reason.

The transport wraps a parser's ValueError into -32602 ``invalid params: <name>: <reason>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_typing import Address, Hash32

from backend.logs import LogFilter
from backend.overrides import AccountOverride, StateOverrides
from chains.errors import InvalidInput
from chains.proofs import MAX_STORAGE_KEYS, StorageKey, parse_storage_key
from chains.rollup import BlockRef
from chains.txbuild import AccessList, AuthorizationList, SignedAuthorization, TxFields
from rpc.jsonrpc import MalformedPayload, decode
from shared_sequencer.faults import KINDS as FAULT_KINDS
from shared_sequencer.faults import Fault, fault_from_json

T = TypeVar("T")

_HEX = re.compile(r"^0x[0-9a-fA-F]*$")
BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")
MAX_TIMESTAMP = 2**63 - 1  # a uint64 timestamp with room for every block after it
MAX_MINE_AT_ONCE = 100_000  # blocks one evm_mine / anvil_mine call may mine

# Caps on list parameters, so that no one request holds the devnet for long (geth's where it
# has one).
MAX_LOG_ADDRESSES = 1_000  # geth's maxAddresses (eth_getLogs, eth_newFilter, logs subscriptions)
MAX_SUB_TOPICS = 1_000  # geth's maxSubTopics: alternatives at one topic position
MAX_TOPICS = 4  # geth's maxTopics (LOG0..LOG4)
MAX_FEE_PERCENTILES = 100  # geth's maxQueryLimit for eth_feeHistory's rewardPercentiles
MAX_ACCESS_LIST_KEYS = 10_000  # addresses plus storage keys of one call's access list
MAX_BUNDLE_LEGS = 100  # transactions of one xr_sendBundle / xr_simulateBundle
MAX_AUTHORIZATIONS = 1_000  # EIP-7702 authorizations in one transaction object


def _shown(value: Any, limit: int = 48) -> str:
    """``repr(value)``, cut short: a message about an input never echoes all of a huge one."""
    text = repr(value) if not isinstance(value, (list, dict)) else type(value).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _bounded(value: Any, bits: int) -> int:
    """A 0x-hex quantity or a non-negative integer of at most ``bits`` bits (leading zero
    digits allowed). Raises ValueError saying what is wrong, without converting a number
    longer than the bound."""
    if isinstance(value, bool):
        raise ValueError("expected a hex quantity, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("quantity must not be negative")
        if value.bit_length() > bits:
            raise ValueError(f"number > {bits} bits")
        return value
    if not isinstance(value, str) or not _HEX.match(value) or value == "0x":
        raise ValueError(f"expected a 0x-prefixed hex quantity, got {_shown(value)}")
    digits = value[2:].lstrip("0")
    if len(digits) > bits // 4:
        raise ValueError(f"hex number > {bits} bits")
    number = int(digits or "0", 16)
    if number.bit_length() > bits:
        raise ValueError(f"hex number > {bits} bits")
    return number


def quantity(value: Any) -> int:
    """0x-hex quantity up to 2^256-1 (integers are accepted too, as anvil does). Raises ValueError."""
    return _bounded(value, 256)


def uint64(value: Any) -> int:
    """A quantity up to 2^64-1: block numbers, nonces, indexes, counts, seconds. Raises ValueError."""
    return _bounded(value, 64)


def timestamp(value: Any) -> int:
    """A block timestamp in seconds: a uint64 at most MAX_TIMESTAMP, so that every later block
    still has one. Raises ValueError."""
    number = uint64(value)
    if number > MAX_TIMESTAMP:
        raise ValueError(f"timestamp {number} is beyond the last one supported ({MAX_TIMESTAMP})")
    return number


def seconds(value: Any) -> int:
    """A time offset or interval in seconds, at most MAX_TIMESTAMP. Raises ValueError."""
    number = uint64(value)
    if number > MAX_TIMESTAMP:
        raise ValueError(f"{number} seconds is more than the largest offset supported ({MAX_TIMESTAMP})")
    return number


def base_fee(value: Any) -> int:
    """A base fee per gas in wei: at most 2^64-1 (18.4 ETH per gas), as anvil keeps it. Raises ValueError."""
    return uint64(value)


def mine_count(value: Any) -> int:
    """How many blocks to mine at once: at most MAX_MINE_AT_ONCE. Raises ValueError."""
    number = uint64(value)
    if number > MAX_MINE_AT_ONCE:
        raise ValueError(f"at most {MAX_MINE_AT_ONCE} blocks at once")
    return number


@dataclass(frozen=True)
class MineOptions:
    """evm_mine's argument: how many blocks, and the first one's timestamp (None: the clock's)."""

    blocks: int = 1
    timestamp: int | None = None


def mine_options(value: Any) -> MineOptions:
    """evm_mine's argument as anvil takes it: a timestamp, or {timestamp, blocks}. Raises ValueError."""
    if value is None:
        return MineOptions()
    if not isinstance(value, dict):
        return MineOptions(timestamp=timestamp(value))
    try:
        first = timestamp(value["timestamp"]) if value.get("timestamp") is not None else None
    except ValueError as exc:
        raise ValueError(f"timestamp: {exc}") from None
    try:
        blocks = mine_count(value["blocks"]) if value.get("blocks") is not None else 1
    except ValueError as exc:
        raise ValueError(f"blocks: {exc}") from None
    return MineOptions(blocks, first)


def typed_data(value: Any) -> dict[str, Any]:
    """EIP-712 typed data: an object, or JSON text of one (decoded by the transport's
    depth-checked decoder). Raises ValueError."""
    if isinstance(value, str):
        try:
            value = decode(value)
        except MalformedPayload as exc:
            raise ValueError(f"typed data is not valid JSON ({exc.message})") from None
    if not isinstance(value, dict):
        raise ValueError("expected typed data: an object with types, primaryType, domain and message")
    return value


def typed_data_problem(typed: dict[str, Any]) -> str | None:
    """What makes ``typed`` not EIP-712 typed data in shape (types: {name: [{name, type}]},
    primaryType: one of them, domain and message: objects, fixed-size arrays of their size),
    or None. Whether each value fits its type is the encoder's check."""
    types = typed.get("types")
    if not isinstance(types, dict):
        return "types must be an object"
    for name, fields in types.items():
        if not isinstance(fields, list) or not all(
                isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("type"), str) for f in fields):
            return f"types.{name[:48]} must be a list of {{name, type}} objects with string values"
    primary = typed.get("primaryType")
    if not isinstance(primary, str) or primary not in types:
        return "primaryType must name one of the types"
    for key in ("domain", "message"):
        if not isinstance(typed.get(key), dict):
            return f"{key} must be an object"
    return _array_length_problem(types, primary, typed["message"])


def _array_length_problem(types: dict[str, Any], type_: str, value: Any) -> str | None:
    """A fixed-size array in ``value`` (of EIP-712 type ``type_``) with another number of items
    than its type says, or None. Other mismatches are left to the encoder."""
    if type_.endswith("]"):
        base, _, size = type_[:-1].rpartition("[")
        if not isinstance(value, list):
            return None
        if size.isdigit() and len(value) != int(size):
            return f"Expected {size} items for array type {type_[:64]}, got {len(value)} items"
        for item in value:
            problem = _array_length_problem(types, base, item)
            if problem is not None:
                return problem
        return None
    fields = types.get(type_)
    if not isinstance(value, dict) or not isinstance(fields, list):
        return None
    for field in fields:
        problem = _array_length_problem(types, field["type"], value.get(field["name"]))
        if problem is not None:
            return problem
    return None


def data(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX.match(value):
        raise ValueError(f"expected 0x-prefixed hex data, got {_shown(value)}")
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


def prev_randao(value: Any) -> bytes:
    """A prevRandao: 32 bytes of hex, or a quantity up to 2^256-1 (Hardhat's helpers pad it to
    32 bytes; a shorter one is padded here). Raises ValueError."""
    if isinstance(value, str) and len(value) == 66:
        return bytes(hash32(value))
    return quantity(value).to_bytes(32, "big")


def storage_keys(value: Any) -> list[StorageKey]:
    """eth_getProof's keys: a list of hex strings of at most 32 bytes each (geth's rules)."""
    if not isinstance(value, list):
        raise ValueError("expected a list of storage keys")
    if len(value) > MAX_STORAGE_KEYS:
        raise ValueError(f"at most {MAX_STORAGE_KEYS} storage keys")
    keys = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"expected a hex storage key, got {item!r}")
        try:
            keys.append(parse_storage_key(item))
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
    return keys


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
    return uint64(value)


def block_number_or_tag(value: Any) -> int | str:
    ref = block_ref(value)
    if isinstance(ref, bytes):
        raise ValueError("expected a block number or tag, not a hash")
    return ref


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected a boolean, got {_shown(value)}")
    return value


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_shown(value)}")
    return value


def any_value(value: Any) -> Any:
    return value


def opt_address(value: Any) -> Address | None:
    return None if value is None else address(value)


def optional_field(obj: dict[str, Any], key: str, parse: Callable[[Any], T], where: str = "") -> T | None:
    """``parse(obj[key])``, None when the field is absent or null. Raises ValueError naming the
    field (``where`` + ``key``: what it is a field of, e.g. ``"blockOverrides."``)."""
    item = obj.get(key)
    if item is None:
        return None
    try:
        return parse(item)
    except ValueError as exc:
        raise ValueError(f"{where}{key}: {exc}") from None


def tx_object(value: Any) -> TxFields:
    if not isinstance(value, dict):
        raise ValueError("expected a transaction object")

    def get(key: str, parse: Callable[[Any], Any]) -> Any:
        return optional_field(value, key, parse)

    payload = get("input", data)
    if payload is None:
        payload = get("data", data)
    access = get("accessList", access_list)
    return TxFields(
        sender=get("from", address),
        to=get("to", address),
        gas=get("gas", uint64),
        gas_price=get("gasPrice", quantity),
        max_fee_per_gas=get("maxFeePerGas", quantity),
        max_priority_fee_per_gas=get("maxPriorityFeePerGas", quantity),
        value=get("value", quantity) or 0,
        data=payload or b"",
        nonce=get("nonce", uint64),
        access_list=access or (),
        chain_id=get("chainId", uint64),
        authorization_list=get("authorizationList", authorization_list) or (),
    )


def authorization_list(value: Any) -> AuthorizationList:
    """EIP-7702 signed authorizations: [{chainId, address, nonce, yParity (or v), r, s}], at
    most MAX_AUTHORIZATIONS. Raises ValueError."""
    if not isinstance(value, list):
        raise ValueError("expected a list of {chainId, address, nonce, yParity, r, s} objects")
    if len(value) > MAX_AUTHORIZATIONS:
        raise ValueError(f"at most {MAX_AUTHORIZATIONS} authorizations")
    return tuple(_authorization(item, index) for index, item in enumerate(value))


def _authorization(item: Any, index: int) -> SignedAuthorization:
    if not isinstance(item, dict):
        raise ValueError(f"[{index}]: expected an object with chainId, address, nonce, yParity, r, s")
    parity = item.get("yParity", item.get("v"))
    try:
        y_parity = uint64(parity)
        if y_parity > 1:
            raise ValueError("yParity must be 0 or 1")
        return (quantity(item.get("chainId")), address(item.get("address")), uint64(item.get("nonce")), y_parity,
                quantity(item.get("r")), quantity(item.get("s")))
    except ValueError as exc:
        raise ValueError(f"[{index}]: {exc}") from None


def access_list(value: Any) -> AccessList:
    """An EIP-2930 access list: [{address, storageKeys: [32-byte keys]}], at most
    MAX_ACCESS_LIST_KEYS addresses and keys in all. Raises ValueError."""
    if not isinstance(value, list):
        raise ValueError("expected a list of {address, storageKeys} objects")
    out = []
    size = 0
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("expected a list of {address, storageKeys} objects")
        keys = item.get("storageKeys") or []
        if not isinstance(keys, list):
            raise ValueError("storageKeys: expected a list of 32-byte keys")
        size += 1 + len(keys)
        if size > MAX_ACCESS_LIST_KEYS:
            raise ValueError(f"at most {MAX_ACCESS_LIST_KEYS} addresses and storage keys")
        out.append((address(item.get("address")), tuple(int.from_bytes(hash32(k), "big") for k in keys)))
    return tuple(out)


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


_OVERRIDE_KEYS = {"balance", "nonce", "code", "state", "stateDiff"}


def _slots(value: Any, key: str) -> dict[int, int]:
    if not isinstance(value, dict):
        raise ValueError(f"{key}: expected an object of slot: value")
    return {int.from_bytes(hash32(k), "big"): int.from_bytes(hash32(v), "big") for k, v in value.items()}


def state_overrides(value: Any) -> StateOverrides | None:
    """geth's state override set: ``{address: {balance?, nonce?, code?, state? | stateDiff?}}``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("expected an object of address: account override")
    out: dict[bytes, AccountOverride] = {}
    for key, acct in value.items():
        addr = address(key)
        if not isinstance(acct, dict):
            raise ValueError(f"{key}: expected an account override object")
        unknown = set(acct) - _OVERRIDE_KEYS
        if unknown:
            raise ValueError(f"{key}: unsupported override field(s) {sorted(unknown)}")
        if acct.get("state") is not None and acct.get("stateDiff") is not None:
            raise ValueError(f"{key}: has both 'state' and 'stateDiff'")
        balance = quantity(acct["balance"]) if acct.get("balance") is not None else None
        nonce = quantity(acct["nonce"]) if acct.get("nonce") is not None else None
        if balance is not None and balance >= 2**256:
            raise ValueError(f"{key}: balance does not fit in 256 bits")
        if nonce is not None and nonce >= 2**64:
            raise ValueError(f"{key}: nonce does not fit in 64 bits")
        out[addr] = AccountOverride(
            balance=balance,
            nonce=nonce,
            code=data(acct["code"]) if acct.get("code") is not None else None,
            state=_slots(acct["state"], "state") if acct.get("state") is not None else None,
            state_diff=_slots(acct["stateDiff"], "stateDiff") if acct.get("stateDiff") is not None else {},
        )
    return out


def percentiles(value: Any) -> list[float]:
    """eth_feeHistory's rewardPercentiles: at most 100, ascending, each in [0, 100]."""
    if isinstance(value, list) and len(value) > MAX_FEE_PERCENTILES:
        raise ValueError(f"invalid reward percentile: over the query limit {MAX_FEE_PERCENTILES}")
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and 0 <= v <= 100 for v in value):
        raise ValueError("expected a list of percentiles between 0 and 100")
    if value != sorted(value):
        raise ValueError("percentiles must be in ascending order")
    return [float(v) for v in value]


# -- fault modes (xr_setFault, xr_clearFault, xr_reorg) ---------------------------------------


def fault(value: Any) -> Fault:
    """xr_setFault's object {kind, ...} (shared_sequencer/faults.py ``fault_from_json``)."""
    return fault_from_json(value)


def fault_selector(value: Any) -> int | str:
    """A fault's id (a number or 0x quantity), or a kind (clears every fault of it)."""
    if isinstance(value, str) and value in FAULT_KINDS:
        return value
    if isinstance(value, str) and not value.startswith("0x"):
        raise ValueError(f"expected a fault id or one of {', '.join(FAULT_KINDS)}, got {_shown(value)}")
    return uint64(value)


def reorg_depth(value: Any) -> int:
    """How many superblocks a reorg drops: at least 1."""
    depth = uint64(value)
    if depth < 1:
        raise ValueError("a reorg drops at least 1 superblock")
    return depth
