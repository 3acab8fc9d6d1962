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
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from chains.block import PendingTx
from chains.mailbox import MESSENGER, SENT_MESSAGE_EVENT, SEQUENCER, decode_relay_message, relay_message_call
from chains.rollup import MinedBlock
from chains.txbuild import AccessList
from shared_sequencer.interop import Identifier, access_list

RELAY_GAS = 8_000_000


@dataclass(frozen=True)
class Relay:
    source: int
    destination: int
    block_number: int
    log_index: int
    timestamp: int
    payload: bytes  # topics ++ data of the SentMessage log

    @property
    def key(self) -> tuple[int, int, int]:
        return self.source, self.block_number, self.log_index

    def calldata(self) -> bytes:
        return relay_message_call(self.source, self.block_number, self.log_index, self.timestamp, self.payload)

    def access_list(self) -> AccessList:
        """CrossL2Inbox's keys declaring the log, as a user's relay declares them."""
        return access_list(Identifier(MESSENGER, self.block_number, self.log_index, self.timestamp, self.source),
                           self.payload)


def sent_messages(chain_id: int, block: MinedBlock, known: Container[int]) -> list[Relay]:
    """Relays that ``block`` asks for, to chains of this devnet."""
    out = []
    timestamp = int(block.header.timestamp)
    for log in block.logs:
        if log.address == MESSENGER and len(log.topics) == 4 and log.topics[0] == SENT_MESSAGE_EVENT:
            destination = int.from_bytes(log.topics[1], "big")
            if destination in known:
                payload = b"".join(log.topics) + log.data
                out.append(Relay(chain_id, destination, block.number, log.log_index, timestamp, payload))
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
