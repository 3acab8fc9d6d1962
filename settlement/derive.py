"""Derivation: the rollups' superblock log, read back from nothing but the L1.

An ``L1Source`` gives the L1's blocks and, in each, the transactions sent to the batch inbox
(sender, calldata). Only the batcher's count: a write to the inbox by anyone else is ignored.
The batcher's frames make channels (settlement/batches.py), and each channel's entries replace
the derived log from its ``first`` entry on. Replaying the derived log into fresh chains
(``shared_sequencer.replay``) checks every block hash and state root; the portals'
``TransactionDeposited`` logs (``l1_deposits``) then check every deposit the rebuilt rollups hold
(``settlement.deposits.check_deposits``).

Two sources: a running L1's JSON-RPC endpoint (``RpcSource``), and the L1's own saved chain,
its superblock log under ``<state dir>/l1``, replayed into a fresh L1 first (``ChainSource``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chains.deposits import TRANSACTION_DEPOSITED, Deposit
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain
from settlement.batches import BatchError, Channels, apply_channel
from settlement.contracts import BATCH_INBOX, BATCHER, l1_predeploys
from settlement.deposits import PortalLog, block_logs, deposits_in, portals
from shared_sequencer.log import load_entries
from shared_sequencer.replay import replay
from shared_sequencer.sequencer import Sequencer


@dataclass(frozen=True)
class InboxTx:
    """A transaction of an L1 block sent to the batch inbox."""

    block: int
    sender: bytes
    data: bytes


class L1Source(Protocol):
    def describe(self) -> str: ...

    def height(self) -> int: ...

    def inbox_txs(self, number: int) -> list[InboxTx]:
        """The transactions of L1 block ``number`` sent to the batch inbox, in block order."""
        ...

    def portal_logs(self, addresses: Collection[bytes]) -> list[PortalLog]:
        """The TransactionDeposited logs of the contracts at ``addresses``, in L1 order."""
        ...


class SourceError(Exception):
    """An L1 that cannot be read (unreachable, not an L1 of this kind, a bad reply)."""


@dataclass
class Derived:
    """What derivation found: the log, and what it read to get there."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    l1_blocks: int = 0
    frames: int = 0
    channels: int = 0
    ignored_strangers: int = 0
    ignored_bad: int = 0
    last_l1_block: dict[int, int] = field(default_factory=dict)  # superblock number -> L1 block carrying it


def l1_deposits(source: L1Source, rollup_ids: Collection[int]) -> dict[int, list[Deposit]]:
    """Each rollup's deposits, as its portal's logs on the L1 stand for them, in L1 order.
    Raises SourceError."""
    by_portal = portals(rollup_ids)
    return deposits_in(source.portal_logs(list(by_portal)), by_portal)


def derive(source: L1Source) -> Derived:
    """Read every L1 block of ``source`` and put the batcher's channels together. Raises
    SourceError."""
    out = Derived()
    channels = Channels()
    height = source.height()
    out.l1_blocks = height + 1
    for number in range(height + 1):
        for tx in source.inbox_txs(number):
            if tx.sender != BATCHER:
                out.ignored_strangers += 1
                continue
            out.frames += 1
            try:
                done = channels.add(tx.data)
            except BatchError:
                out.ignored_bad += 1
                continue
            if done is None:
                continue
            first, entries = done
            if apply_channel(out.entries, first, entries):
                out.channels += 1
                for entry in entries:
                    if entry.get("t") == "superblock":
                        out.last_l1_block[int(entry["number"])] = number
            else:
                out.ignored_bad += 1
    return out


# -- sources -------------------------------------------------------------------------------------


class ChainSource:
    """An L1 chain in this process (a replayed saved L1, or a running devnet's)."""

    def __init__(self, chain: RollupChain, name: str = "the L1 chain") -> None:
        self.chain = chain
        self.name = name

    def describe(self) -> str:
        return self.name

    def height(self) -> int:
        return self.chain.height

    def inbox_txs(self, number: int) -> list[InboxTx]:
        out = []
        for tx in self.chain.blocks[number].txs:
            signed = tx.outcome.pending.tx
            if bytes(signed.to) == BATCH_INBOX:
                out.append(InboxTx(number, tx.outcome.pending.sender, bytes(signed.data)))
        return out

    def portal_logs(self, addresses: Collection[bytes]) -> list[PortalLog]:
        wanted = set(addresses)
        return [entry for block in self.chain.blocks for entry in block_logs(block) if entry.address in wanted]


def saved_l1(directory: Path) -> ChainSource:
    """The L1 a devnet saved under ``directory`` (its --state-dir, or the ``l1`` directory in
    it), rebuilt from its log with every block checked. Raises SourceError, ReplayMismatch."""
    if (directory / "l1").is_dir():
        directory = directory / "l1"
    entries = load_entries(directory)
    if not entries:
        raise SourceError(f"no L1 log in {directory}")
    cfg = entries[0]["config"]
    try:
        chain_id = int(cfg["chain_ids"][0])
        rollups = tuple(int(c) for c in cfg["rollups"])
        chain = RollupChain(ChainConfig(chain_id, int(cfg["gas_limit"]), int(cfg["base_fee"]),
                                        int(cfg["balance_eth"]) * 10**18, int(cfg["genesis_timestamp"]),
                                        l1_predeploys(rollups), str(cfg.get("hardfork", "prague"))),
                            dev_accounts(str(cfg["mnemonic"]), int(cfg["accounts"])))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SourceError(f"{directory}: not an L1 log ({exc})") from None
    replay(Sequencer({chain_id: chain}), entries[1:])
    return ChainSource(chain, f"the L1 saved in {directory} ({chain.height + 1} blocks, each checked)")


class RpcSource:
    """A running L1's JSON-RPC endpoint."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout

    def describe(self) -> str:
        return f"the L1 at {self.url}"

    def _call(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                answer = json.loads(reply.read())
        except (OSError, ValueError) as exc:
            raise SourceError(f"{self.url}: {exc}") from None
        if "error" in answer:
            raise SourceError(f"{self.url}: {method}: {answer['error'].get('message')}")
        return answer.get("result")

    def height(self) -> int:
        return int(self._call("eth_blockNumber", []), 16)

    def inbox_txs(self, number: int) -> list[InboxTx]:
        block = self._call("eth_getBlockByNumber", [hex(number), True])
        if not isinstance(block, dict):
            raise SourceError(f"{self.url}: no L1 block {number}")
        inbox = "0x" + BATCH_INBOX.hex()
        return [InboxTx(number, bytes.fromhex(tx["from"][2:]), bytes.fromhex(tx["input"][2:]))
                for tx in block.get("transactions", []) if (tx.get("to") or "").lower() == inbox]

    def portal_logs(self, addresses: Collection[bytes]) -> list[PortalLog]:
        height, step = self.height(), 10_000
        out: list[PortalLog] = []
        for start in range(0, height + 1, step):
            logs = self._call("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(min(start + step - 1, height)),
                                               "address": ["0x" + a.hex() for a in addresses],
                                               "topics": [["0x" + TRANSACTION_DEPOSITED.hex()]]}])
            try:
                out.extend(PortalLog(bytes.fromhex(e["address"][2:]), tuple(bytes.fromhex(t[2:]) for t in e["topics"]),
                                     bytes.fromhex(e["data"][2:]), int(e["blockNumber"], 16),
                                     bytes.fromhex(e["blockHash"][2:]), int(e["logIndex"], 16)) for e in logs)
            except (KeyError, TypeError, ValueError) as exc:
                raise SourceError(f"{self.url}: a malformed eth_getLogs reply ({exc})") from None
        return out


def source_of(where: str) -> L1Source:
    """An http(s) URL, or a saved state dir. Raises SourceError."""
    if where.startswith(("http://", "https://")):
        return RpcSource(where)
    path = Path(where)
    if not path.is_dir():
        raise SourceError(f"{where}: neither an L1's URL nor a state dir")
    return saved_l1(path)


def superblocks(entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (e for e in entries if e.get("t") == "superblock")
