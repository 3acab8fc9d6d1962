"""Fault modes of the shared sequencer: a sequencer that is down, censors, delays or halts a chain.

Each fault is a small frozen dataclass; ``FaultBook`` holds the active ones (by id), the periods
they were active (for the explorer) and the reorgs done (``Reorg``). The sequencer consults the
plain functions below while it builds a superblock, as it consults its ordering policy:

- ``down``: no superblock at all (``is_down``): automine, interval mining, evm_mine and bundles
  wait; submissions wait in the pools; reads keep working.
- ``censor``: a transaction from one of ``senders``, to one of ``contracts`` or on one of
  ``chains`` is never included (``tx_hold``); a bundle with such a leg waits as a whole
  (``bundle_hold``); a relay of a message to such a chain, target or from such a sender waits
  (``relay_hold``).
- ``delay``: a transaction of one of ``chains`` or ``senders`` is included only ``superblocks``
  superblocks and ``seconds`` seconds after it was pooled; with ``messages``, asynchronous
  messages are relayed that late (the relay policy's own delay, ``relay_policy``). A deposit
  from the L1 to such a chain or from such a sender waits as long, but never past its
  sequencing window (shared_sequencer/window.py).
- ``halt``: one chain produces no block; atomic work that touches it fails as a whole
  (``halted_chains``; the sequencer raises ChainHalted, the cross-rollup planner answers a
  request to it with ``halted_error``).

The reorg itself is the sequencer's (``Sequencer.reorg``); ``Reorg`` is its record, also kept in
the superblock log (``reorg_entry`` / ``reorg_from_entry``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chains.block import PendingTx
from chains.mailbox import error_string
from shared_sequencer.relay import Relay, RelayPolicy

KINDS = ("down", "censor", "delay", "halt")


@dataclass(frozen=True)
class Down:
    kind: str = "down"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


@dataclass(frozen=True)
class Censor:
    senders: frozenset[bytes] = frozenset()
    contracts: frozenset[bytes] = frozenset()
    chains: frozenset[int] = frozenset()
    kind: str = "censor"

    def __post_init__(self) -> None:
        if not (self.senders or self.contracts or self.chains):
            raise ValueError("censor: name at least one sender, contract or chain")

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "senders": _addrs(self.senders), "contracts": _addrs(self.contracts),
                "chains": sorted(self.chains)}


@dataclass(frozen=True)
class Delay:
    chains: frozenset[int] = frozenset()
    senders: frozenset[bytes] = frozenset()
    messages: bool = False  # asynchronous cross-chain messages (relays)
    superblocks: int = 0
    seconds: int = 0
    kind: str = "delay"

    def __post_init__(self) -> None:
        if not (self.chains or self.senders or self.messages):
            raise ValueError("delay: name at least one chain or sender, or messages")
        if self.superblocks < 0 or self.seconds < 0 or not (self.superblocks or self.seconds):
            raise ValueError("delay: give a positive number of superblocks or seconds")

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "chains": sorted(self.chains), "senders": _addrs(self.senders),
                "messages": self.messages, "superblocks": self.superblocks, "seconds": self.seconds}


@dataclass(frozen=True)
class Halt:
    chain_id: int
    kind: str = "halt"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "chainId": self.chain_id}


Fault = Down | Censor | Delay | Halt


def named_chains(fault: Fault) -> frozenset[int]:
    """The chains ``fault`` names (each must be one of the devnet's)."""
    if isinstance(fault, Halt):
        return frozenset({fault.chain_id})
    return fault.chains if isinstance(fault, (Censor, Delay)) else frozenset()


def _addrs(addresses: Iterable[bytes]) -> list[str]:
    return ["0x" + a.hex() for a in sorted(addresses)]


@dataclass(frozen=True)
class Arrival:
    """When the sequencer took a transaction or bundle: the head's number and the wall clock."""

    height: int
    time: float


@dataclass
class FaultPeriod:
    """One fault, from the superblock it was set at to the one it was cleared at (None: active)."""

    id: int
    fault: Fault
    since: int
    since_time: float
    until: int | None = None
    until_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.fault.describe(), "since": self.since, "sinceTime": int(self.since_time),
                "until": self.until, "untilTime": None if self.until_time is None else int(self.until_time),
                "active": self.until is None}


@dataclass(frozen=True)
class Reorg:
    """A reorg: superblocks ``fork`` + 1 .. ``fork`` + ``depth`` dropped (their hashes), the user
    transactions sent back to the pools (chain id, hash), and what could not be sequenced
    again (chain id, hash, reason)."""

    fork: int
    depth: int
    dropped: tuple[bytes, ...]
    requeued: tuple[tuple[int, bytes], ...]
    time: float
    invalid: tuple[tuple[int, bytes, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"fork": self.fork, "depth": self.depth, "dropped": ["0x" + h.hex() for h in self.dropped],
                "requeued": [{"chainId": c, "hash": "0x" + h.hex()} for c, h in self.requeued],
                "invalid": [{"chainId": c, "hash": "0x" + h.hex(), "reason": r} for c, h, r in self.invalid],
                "time": int(self.time)}


def reorg_entry(reorg: Reorg, length: int) -> dict[str, Any]:
    """The superblock log's record of ``reorg``: a truncation to ``length`` entries that says why."""
    return {"t": "reorg", "length": length, "fork": reorg.fork, "depth": reorg.depth,
            "dropped": ["0x" + h.hex() for h in reorg.dropped],
            "requeued": [[c, "0x" + h.hex()] for c, h in reorg.requeued], "time": int(reorg.time)}


def reorg_from_entry(entry: dict[str, Any]) -> Reorg:
    """The ``Reorg`` a log record (``reorg_entry``) describes."""
    return Reorg(int(entry["fork"]), int(entry["depth"]), tuple(bytes.fromhex(h[2:]) for h in entry["dropped"]),
                 tuple((int(c), bytes.fromhex(h[2:])) for c, h in entry["requeued"]), float(entry["time"]))


@dataclass
class FaultBook:
    active: dict[int, FaultPeriod] = field(default_factory=dict)
    history: list[FaultPeriod] = field(default_factory=list)  # every period, the active ones too
    reorgs: list[Reorg] = field(default_factory=list)
    arrivals: dict[bytes, Arrival] = field(default_factory=dict)  # tx or bundle hash, while a delay is active
    base_relay: RelayPolicy | None = None  # the relay policy before a message delay replaced it
    next_id: int = 1

    def faults(self) -> list[Fault]:
        return [p.fault for p in self.active.values()]

    def add(self, fault: Fault, height: int) -> FaultPeriod:
        period = FaultPeriod(self.next_id, fault, height, time.time())
        self.next_id += 1
        self.active[period.id] = period
        self.history.append(period)
        return period

    def remove(self, ids: Iterable[int], height: int) -> list[FaultPeriod]:
        gone = []
        for fault_id in ids:
            period = self.active.pop(fault_id)
            period.until, period.until_time = height, time.time()
            gone.append(period)
        if not any(isinstance(f, Delay) for f in self.faults()):
            self.arrivals.clear()
        return gone

    def matching(self, selector: int | str) -> list[int]:
        """The ids of the active faults ``selector`` names: an id, or a kind (every fault of it)."""
        if isinstance(selector, int):
            return [selector] if selector in self.active else []
        return [i for i, p in self.active.items() if p.fault.kind == selector]

    def note_arrival(self, key: bytes, height: int) -> None:
        """Remember when a transaction or bundle came, while a delay fault may hold it."""
        if any(isinstance(f, Delay) for f in self.faults()):
            self.arrivals.setdefault(key, Arrival(height, time.time()))


# -- what the builder asks --------------------------------------------------------------------------


def is_down(book: FaultBook) -> bool:
    return any(isinstance(f, Down) for f in book.faults())


def halted_chains(book: FaultBook) -> frozenset[int]:
    return frozenset(f.chain_id for f in book.faults() if isinstance(f, Halt))


def halted_error(chain_id: int) -> bytes:
    """The revert data of a cross-rollup request to a halted chain (``Error(string)``)."""
    return error_string(f"xrollup: chain {chain_id} is halted")


def _arrival(book: FaultBook, key: bytes, period: FaultPeriod) -> Arrival:
    """When ``key`` came, or when the delay began if it came before."""
    seen = book.arrivals.get(key)
    if seen is None or seen.height < period.since:
        return Arrival(period.since, period.since_time)
    return seen


def delayed(book: FaultBook, period: FaultPeriod, key: bytes, number: int, now: float) -> bool:
    """Whether the delay fault of ``period`` still holds ``key`` (a transaction, bundle or
    deposit hash) out of superblock ``number`` at wall-clock ``now``: its superblocks or its
    seconds, counted from when ``key`` came (or the delay began), have not passed."""
    fault = period.fault
    assert isinstance(fault, Delay)
    came = _arrival(book, key, period)
    return number <= came.height + fault.superblocks or now < came.time + fault.seconds


def _censors(fault: Censor, chain_id: int, pending: PendingTx) -> bool:
    return pending.sender in fault.senders or bytes(pending.tx.to) in fault.contracts or chain_id in fault.chains


def _delays(fault: Delay, chain_id: int, pending: PendingTx) -> bool:
    return chain_id in fault.chains or pending.sender in fault.senders


def tx_hold(book: FaultBook, chain_id: int, pending: PendingTx, number: int, now: float) -> str | None:
    """Why ``pending`` (on ``chain_id``) may not go into superblock ``number`` at wall-clock
    ``now``: ``down``, ``halted``, ``censored``, ``delayed``; None when it may."""
    for period in book.active.values():
        fault = period.fault
        if isinstance(fault, Down):
            return "down"
        if isinstance(fault, Halt) and fault.chain_id == chain_id:
            return "halted"
        if isinstance(fault, Censor) and _censors(fault, chain_id, pending):
            return "censored"
        if (isinstance(fault, Delay) and _delays(fault, chain_id, pending)
                and delayed(book, period, pending.hash, number, now)):
            return "delayed"
    return None


def bundle_hold(book: FaultBook, bundle_hash: bytes, legs: Sequence[tuple[int, PendingTx]], number: int,
                now: float) -> str | None:
    """Why a bundle waits as a whole: ``down``, a leg ``censored``, or ``delayed`` (counted from
    when the bundle came); None when it may go. A leg on a halted chain is no reason to wait:
    the bundle fails (``halted_chains``)."""
    for period in book.active.values():
        fault = period.fault
        if isinstance(fault, Down):
            return "down"
        for chain_id, pending in legs:
            if isinstance(fault, Censor) and _censors(fault, chain_id, pending):
                return "censored"
            if (isinstance(fault, Delay) and _delays(fault, chain_id, pending)
                    and delayed(book, period, bundle_hash, number, now)):
                return "delayed"
    return None


def relay_hold(book: FaultBook, relay: Relay) -> bool:
    """Whether a due relay waits: censored (its destination chain, target or sender) or its
    destination is halted."""
    target, sender = relay.payload[76:96], relay.payload[140:160]
    for fault in book.faults():
        if isinstance(fault, Halt) and fault.chain_id == relay.destination:
            return True
        if isinstance(fault, Censor) and (relay.destination in fault.chains or target in fault.contracts
                                          or sender in fault.senders):
            return True
    return False


def relay_policy(base: RelayPolicy, book: FaultBook) -> RelayPolicy:
    """``base`` with the message delays of the active faults (the longest of each kind)."""
    delays = [f for f in book.faults() if isinstance(f, Delay) and f.messages]
    if not delays:
        return base
    return dataclasses.replace(base, delay=max([base.delay, *(d.seconds for d in delays)]),
                               delay_superblocks=max([base.delay_superblocks, *(d.superblocks for d in delays)]))


def release_at(book: FaultBook, pooled: Iterable[tuple[int, PendingTx]],
               bundles: Iterable[tuple[bytes, Sequence[tuple[int, PendingTx]]]] = ()) -> float | None:
    """The earliest wall-clock time a transaction (or a queued bundle: its hash and legs) held
    by a delay in seconds becomes eligible (what the mining service wakes for under automine);
    None when none waits for time."""
    waiting = [(pending.hash, [(chain_id, pending)]) for chain_id, pending in pooled] + [
        (bundle_hash, list(legs)) for bundle_hash, legs in bundles]
    times = []
    for period in book.active.values():
        fault = period.fault
        if not isinstance(fault, Delay) or not fault.seconds:
            continue
        for key, legs in waiting:
            if any(_delays(fault, chain_id, pending) for chain_id, pending in legs):
                times.append(_arrival(book, key, period).time + fault.seconds)
    return min(times, default=None)


# -- parsing: the --fault flag and xr_setFault's object -----------------------------------------------


def _address(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 42:
        raise ValueError(f"expected a 20-byte 0x address, got {text!r}")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise ValueError(f"expected a 20-byte 0x address, got {text!r}") from None


def _chain(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a chain id, got {value!r}")
    try:
        cid = int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a chain id, got {value!r}") from None
    if not 0 < cid < 2**64:
        raise ValueError(f"chain id {cid} is out of range")
    return cid


def _count(value: Any, what: str) -> int:
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"{what}: expected a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise ValueError(f"{what}: expected a non-negative integer")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what}: expected a list")
    return value


def fault_from_json(value: Any) -> Fault:
    """xr_setFault's object: {kind: down} | {kind: censor, senders?, contracts?, chains?} |
    {kind: delay, chains?, senders?, messages?, superblocks?, seconds?} | {kind: halt, chainId}.
    Raises ValueError naming the bad field."""
    if not isinstance(value, dict):
        raise ValueError("expected a fault object {kind, ...}")
    kind = value.get("kind")
    if kind == "down":
        return Down()
    if kind == "censor":
        return Censor(frozenset(_address(a) for a in _list(value.get("senders"), "senders")),
                      frozenset(_address(a) for a in _list(value.get("contracts"), "contracts")),
                      frozenset(_chain(c) for c in _list(value.get("chains"), "chains")))
    if kind == "delay":
        messages = value.get("messages", False)
        if not isinstance(messages, bool):
            raise ValueError("messages: expected true or false")
        return Delay(frozenset(_chain(c) for c in _list(value.get("chains"), "chains")),
                     frozenset(_address(a) for a in _list(value.get("senders"), "senders")), messages,
                     _count(value.get("superblocks", 0), "superblocks"), _count(value.get("seconds", 0), "seconds"))
    if kind == "halt":
        return Halt(_chain(value.get("chainId")))
    raise ValueError(f"kind: expected one of {', '.join(KINDS)}")


FLAG_HELP = ("start with a fault (repeatable): down | halt:CHAIN | censor:TARGET[,TARGET...] where TARGET is "
             "0xSENDER, to=0xCONTRACT or a chain id | delay:TARGET:N[s] where TARGET is a chain id, 0xSENDER or "
             "messages and N counts superblocks (Ns: seconds)")


def parse_fault_flag(text: str) -> Fault:
    """``--fault`` text (``FLAG_HELP``): ``down``, ``halt:902``, ``censor:0xabc...,to=0xdef...,902``,
    ``delay:902:3``, ``delay:0xabc...:10s``, ``delay:messages:5s``. Raises ValueError."""
    kind, _, rest = text.partition(":")
    if kind == "down" and not rest:
        return Down()
    if kind == "halt":
        return Halt(_chain(rest))
    if kind == "censor":
        senders, contracts, chains = set(), set(), set()
        for part in (p.strip() for p in rest.split(",")):
            if part.startswith("to="):
                contracts.add(_address(part[3:]))
            elif part.startswith("0x"):
                senders.add(_address(part))
            else:
                chains.add(_chain(part))
        return Censor(frozenset(senders), frozenset(contracts), frozenset(chains))
    if kind == "delay":
        target, _, amount = rest.rpartition(":")
        if not target or not amount:
            raise ValueError(f"--fault {text!r}: expected delay:TARGET:N or delay:TARGET:Ns")
        seconds = amount.endswith("s")
        n = _count(amount[:-1] if seconds else amount, "delay")
        if target == "messages":
            return Delay(messages=True, superblocks=0 if seconds else n, seconds=n if seconds else 0)
        who: dict[str, Any] = ({"senders": frozenset({_address(target)})} if target.startswith("0x")
                               else {"chains": frozenset({_chain(target)})})
        return Delay(**who, superblocks=0 if seconds else n, seconds=n if seconds else 0)
    raise ValueError(f"--fault {text!r}: expected down, halt:CHAIN, censor:TARGETS or delay:TARGET:N")
