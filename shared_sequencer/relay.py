"""Automatic relaying of OP-style asynchronous messages (L2ToL2CrossDomainMessenger).

A ``SentMessage`` log on chain A queues a relay; the next superblock includes, at the top of
the destination's block, a sequencer system transaction ``relayMessage(id, sentMessage)``,
built from the log exactly as OP's relayers do. The queue is a pure function of committed
blocks (a log adds a relay, a relay transaction in a block removes it), so replaying the
superblock log rebuilds it too. The relay declares the log in its access list for
CrossL2Inbox, exactly as a user's relay must (the messenger validates it there). A relay whose
target reverts is included with status 0 and not retried, like a failed relay on OP; anyone
may relay it again, or re-emit it with the messenger's ``resendMessage`` (a new SentMessage
log, relayed anew here).

``RelayPolicy`` is supersim's ``--interop.autorelay`` and ``--interop.delay``: with ``auto``
off no relay is queued (messages wait for a user's ``relayMessage``); with a ``delay``, a
relay waits until the destination's block is at least that many seconds after the block
that sent the message. ``dependencies`` is supersim's ``--dependency.set``: the chains whose
messages each chain accepts (None: every chain accepts every other's). A message to a chain
that does not accept its source is not relayed, and a transaction that executes one there is
refused at submission (``check_dependencies``).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from chains.block import PendingTx
from chains.errors import InvalidExecutingMessage
from chains.mailbox import MESSENGER, SENT_MESSAGE_EVENT, SEQUENCER, decode_relay_message, relay_message_call
from chains.rollup import MinedBlock
from chains.txbuild import AccessList
from shared_sequencer.interop import Identifier, access_list, declared_messages, relay_identifier

RELAY_GAS = 8_000_000


def dependency_map(chain_ids: tuple[int, ...], dependency_set: tuple[int, ...] | None
                   ) -> dict[int, frozenset[int]] | None:
    """Each chain's dependency set as supersim builds it from ``--dependency.set``: None (no
    flag) lets every chain accept every other; otherwise the chains of the set accept each
    other and the rest accept none."""
    if dependency_set is None:
        return None
    members = frozenset(dependency_set)
    return {cid: (members - {cid}) if cid in members else frozenset() for cid in chain_ids}


@dataclass(frozen=True)
class RelayPolicy:
    auto: bool = True
    delay: int = 0  # seconds
    dependencies: Mapping[int, frozenset[int]] | None = None  # chain -> the sources it accepts
    delay_superblocks: int = 0  # and superblocks after the one that sent it (a delay fault's)

    def accepts(self, destination: int, source: int) -> bool:
        """Whether ``destination`` executes messages initiated on ``source``."""
        return self.dependencies is None or source in self.dependencies.get(destination, frozenset())

    def check_dependencies(self, chain_id: int, pending: PendingTx) -> None:
        """Refuse a transaction on ``chain_id`` that executes a message of a chain outside its
        dependency set. Raises InvalidExecutingMessage (field ``chain id``)."""
        if self.dependencies is None:
            return
        sources = [m.chain_id for m in declared_messages(pending.tx.access_list)]
        relay = relay_identifier(bytes(pending.tx.to) or None, bytes(pending.tx.data))
        if relay is not None:
            sources.append(relay[0].chain_id)
        for source in sources:
            if not self.accepts(chain_id, source):
                allowed = sorted(self.dependencies.get(chain_id, frozenset()))
                raise InvalidExecutingMessage(
                    "chain id", f"invalid executing message: chain {source} is not in chain {chain_id}'s "
                                f"dependency set {allowed}")

    def due(self, relays: list[Relay], timestamp: int, number: int | None = None) -> list[Relay]:
        """The relays a block at ``timestamp`` (of superblock ``number``) includes."""
        late = self.delay_superblocks
        return [r for r in relays if r.timestamp + self.delay <= timestamp
                and (not late or number is None or r.superblock + late < number)]

    def next_due(self, relays: list[Relay]) -> int | None:
        """The earliest timestamp at which one of ``relays`` is due; None for none."""
        return min((r.timestamp + self.delay for r in relays), default=None)


@dataclass(frozen=True)
class Relay:
    source: int
    destination: int
    block_number: int
    log_index: int
    timestamp: int
    payload: bytes  # topics ++ data of the SentMessage log
    superblock: int = 0  # the superblock that sent it

    @property
    def key(self) -> tuple[int, int, int]:
        return self.source, self.block_number, self.log_index

    def calldata(self) -> bytes:
        return relay_message_call(self.source, self.block_number, self.log_index, self.timestamp, self.payload)

    def access_list(self) -> AccessList:
        """CrossL2Inbox's keys declaring the log, as a user's relay declares them."""
        return access_list(Identifier(MESSENGER, self.block_number, self.log_index, self.timestamp, self.source),
                           self.payload)


def sent_messages(chain_id: int, block: MinedBlock, known: Container[int], superblock: int = 0) -> list[Relay]:
    """Relays that ``block`` (of superblock ``superblock``) asks for, to chains of this devnet."""
    out = []
    timestamp = int(block.header.timestamp)
    for log in block.logs:
        if log.address == MESSENGER and len(log.topics) == 4 and log.topics[0] == SENT_MESSAGE_EVENT:
            destination = int.from_bytes(log.topics[1], "big")
            if destination in known:
                payload = b"".join(log.topics) + log.data
                out.append(Relay(chain_id, destination, block.number, log.log_index, timestamp, payload, superblock))
    return out


def relayed_keys(block: MinedBlock) -> set[tuple[int, int, int]]:
    """(source, block number, log index) of every relay transaction in ``block``."""
    keys = set()
    for tx in block.txs:
        pending: PendingTx = tx.outcome.pending
        if pending.sender == SEQUENCER and pending.tx.to == MESSENGER:
            key = decode_relay_message(bytes(pending.tx.data))
            if key is not None:
                keys.add(key)
    return keys
