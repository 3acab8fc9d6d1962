"""supersim's admin services: the network's configuration, OP messages by hash, access lists.

What supersim's admin server answers (its ``admin/admin.go``), computed from the devnet's
committed blocks: an L2-to-L2 message is found by OP's message hash
(``Hashing.hashL2toL2CrossDomainMessage``) among the messenger's ``SentMessage`` logs, and
its access list is the one a relay declares for CrossL2Inbox (shared_sequencer/interop.py).
xrollup runs L2s only, so there are no L1 deployments to report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

from chains.errors import InvalidInput, NoL1Deployments, UnknownChain
from chains.mailbox import MESSENGER, SENT_MESSAGE_EVENT
from chains.rollup import LogRecord
from shared_sequencer.interop import CROSS_L2_INBOX, Identifier, payload_of, storage_keys
from shared_sequencer.relay import dependency_map
from shared_sequencer.sequencer import Sequencer


@dataclass(frozen=True)
class NetworkInfo:
    """What the devnet tells the admin API about itself (supersim's ``NetworkConfig``)."""

    chain_ids: tuple[int, ...]
    host: str
    starting_port: int
    block_time: float | None
    accounts: int
    mnemonic: str
    genesis_timestamp: int
    autorelay: bool
    delay: int
    logs_directory: str
    dependency_set: tuple[int, ...] | None  # --dependency.set; None: every chain accepts every other
    l1: L1Info | None = None  # the settlement layer's L1 (None: --no-l1)


@dataclass(frozen=True)
class L1Info:
    """The L1 beside the rollups: its chain id, port and block time, and each rollup's
    settlement addresses (supersim's ``L1Addresses``)."""

    chain_id: int
    port: int
    block_time: float
    addresses: dict[int, dict[str, str]]


@dataclass(frozen=True)
class L2ToL2Message:
    """One message sent through L2ToL2CrossDomainMessenger, and the log that initiated it."""

    destination: int
    source: int
    nonce: int
    sender: bytes
    target: bytes
    message: bytes
    identifier: Identifier
    payload: bytes

    @property
    def hash(self) -> bytes:
        return message_hash(self.destination, self.source, self.nonce, self.sender, self.target, self.message)


@dataclass(frozen=True)
class AccessTuple:
    address: bytes
    storage_keys: tuple[bytes, ...]


def message_hash(destination: int, source: int, nonce: int, sender: bytes, target: bytes, message: bytes) -> bytes:
    """OP's ``Hashing.hashL2toL2CrossDomainMessage``."""
    return keccak(encode(["uint256", "uint256", "uint256", "address", "address", "bytes"],
                         [destination, source, nonce, sender, target, message]))


def decode_sent_message(source: int, timestamp: int, log: LogRecord) -> L2ToL2Message | None:
    """The message a messenger ``SentMessage`` log carries; None for any other log."""
    if log.address != MESSENGER or len(log.topics) != 4 or log.topics[0] != SENT_MESSAGE_EVENT:
        return None
    try:
        sender, message = decode(["address", "bytes"], log.data)
    except DecodingError:
        return None
    ident = Identifier(MESSENGER, log.block_number, log.log_index, timestamp, source)
    return L2ToL2Message(int.from_bytes(log.topics[1], "big"), source, int.from_bytes(log.topics[3], "big"),
                         bytes.fromhex(sender[2:]), log.topics[2][12:], bytes(message), ident, payload_of(log))


def sent_messages(seq: Sequencer) -> Iterator[L2ToL2Message]:
    """Every message sent on a chain of ``seq``, newest block first."""
    for cid, chain in seq.chains.items():
        for block in reversed(chain.blocks):
            timestamp = int(block.header.timestamp)
            for tx in block.txs:
                for log in tx.logs:
                    msg = decode_sent_message(cid, timestamp, log)
                    if msg is not None:
                        yield msg


def find_message(seq: Sequencer, msg_hash: bytes) -> L2ToL2Message:
    """The message whose OP hash is ``msg_hash``. Raises InvalidInput when no chain sent it."""
    for msg in sent_messages(seq):
        if msg.hash == msg_hash:
            return msg
    raise InvalidInput(f"Failed to get message: no message with hash 0x{msg_hash.hex()} was sent on this devnet")


def message_access_list(ident: Identifier, payload: bytes) -> list[AccessTuple]:
    """The access list that declares the executing message (``ident``, ``payload``) to
    CrossL2Inbox. Raises InvalidInput for a field too wide for its packed width."""
    try:
        keys = storage_keys(ident, payload)
    except ValueError as exc:
        raise InvalidInput(f"Invalid parameters: {exc}") from None
    return [AccessTuple(CROSS_L2_INBOX, keys)]


class AdminServices:
    """The services behind supersim's admin API, over the devnet's current sequencer."""

    def __init__(self, sequencer: Callable[[], Sequencer], info: Callable[[], NetworkInfo],
                 ports: Callable[[], dict[int, int]],
                 l1_addresses: Callable[[int], dict[str, str]] | None = None) -> None:
        """``l1_addresses``: a rollup's settlement contracts on the L1 (None: no L1)."""
        self._sequencer = sequencer
        self._l1_addresses = l1_addresses
        self._info = info
        self._ports = ports

    def info(self) -> NetworkInfo:
        return self._info()

    def ports(self) -> dict[int, int]:
        """Each chain's bound port (the configured one until the servers start)."""
        return self._ports()

    def dependency_set(self, chain_id: int) -> list[int]:
        """The chains whose messages ``chain_id`` accepts, in the devnet's order."""
        info = self.info()
        deps = dependency_map(info.chain_ids, info.dependency_set)
        return [cid for cid in info.chain_ids if cid != chain_id and (deps is None or cid in deps[chain_id])]

    def l1_addresses(self, chain_id: int) -> dict[str, str]:
        """Raises UnknownChain for a chain not in the devnet, NoL1Deployments otherwise."""
        if chain_id not in self.info().chain_ids:
            raise UnknownChain(chain_id)
        if self._l1_addresses is None:
            raise NoL1Deployments(chain_id)
        return self._l1_addresses(chain_id)

    def message(self, msg_hash: bytes) -> L2ToL2Message:
        """Raises InvalidInput for a hash no chain sent."""
        return find_message(self._sequencer(), msg_hash)

    def access_list_for(self, ident: Identifier, payload: bytes) -> list[AccessTuple]:
        """Raises InvalidInput as ``message_access_list``."""
        return message_access_list(ident, payload)

    def access_list_by_hash(self, msg_hash: bytes) -> list[AccessTuple]:
        """Raises InvalidInput for a hash no chain sent."""
        msg = self.message(msg_hash)
        return message_access_list(msg.identifier, msg.payload)
