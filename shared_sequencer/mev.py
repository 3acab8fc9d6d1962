"""The MEV detector: sandwiches, back-runs and cross-rollup arbitrage in one superblock.

Plain functions over what the superblock's blocks logged. Swaps are read from pool events:
the project's ``SimplePool`` (``Swap(sender, tokenIn, amountIn, amountOut, to)``) and any
Uniswap-v2-shaped pool (``Swap(sender, amount0In, amount1In, amount0Out, amount1Out, to)``);
the pool's two tokens come from the caller (``token0()`` / ``token1()``), so that amounts are
in token units of a named token. The actor of a swap is the sender of the transaction it ran
in (a router's ``Swap.sender`` is the router). Tokens with the same address on two chains
(SuperchainERC20) count as one asset, which is what makes cross-rollup arbitrage visible.

- sandwich: on one pool, an actor's swap, then one or more other actors' swaps in the same
  direction (the victims), then the actor's swap back; value: what the actor got back beyond
  what it put in.
- arbitrage: an actor's swaps of one superblock (other than its sandwiches') whose net token
  flows are nowhere negative and somewhere positive; value: those flows. Cross-rollup when the
  swaps span chains (in one superblock, or one atomic bundle).
- back-run: on one pool, right after another actor's swap, an arbitrageur's swap the other way
  (the victim's swap moved the price it profits from); the value is in its arbitrage finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eth_utils import keccak

SIMPLE_SWAP = keccak(b"Swap(address,address,uint256,uint256,address)")
UNISWAP_V2_SWAP = keccak(b"Swap(address,uint256,uint256,uint256,uint256,address)")

TokenPair = tuple[bytes, bytes]
PoolTokens = Callable[[int, bytes], TokenPair | None]  # (chain id, pool) -> (token0, token1)


@dataclass(frozen=True)
class TxLogs:
    """One transaction of a block, as the detector needs it."""

    chain_id: int
    tx_hash: bytes
    tx_index: int
    sender: bytes
    logs: tuple[tuple[bytes, tuple[bytes, ...], bytes], ...]  # (address, topics, data)


@dataclass(frozen=True)
class Swap:
    chain_id: int
    tx_hash: bytes
    tx_index: int
    log_index: int
    actor: bytes
    pool: bytes
    token_in: bytes
    amount_in: int
    token_out: bytes
    amount_out: int

    @property
    def place(self) -> tuple[int, bytes]:
        return self.chain_id, self.pool


@dataclass(frozen=True)
class Finding:
    kind: str  # sandwich | backrun | arbitrage
    superblock: int
    extractor: bytes
    txs: tuple[tuple[int, bytes], ...]  # (chain id, tx hash) of the extractor's swaps
    victims: tuple[tuple[int, bytes], ...]  # (chain id, tx hash)
    pools: tuple[tuple[int, bytes], ...]  # (chain id, pool)
    value: dict[bytes, int] = field(default_factory=dict)  # token -> amount gained (token units)

    @property
    def chains(self) -> tuple[int, ...]:
        return tuple(sorted({c for c, _ in self.txs} | {c for c, _ in self.victims} | {c for c, _ in self.pools}))

    @property
    def cross_rollup(self) -> bool:
        return len(self.chains) > 1


def _words(data: bytes, count: int) -> list[int] | None:
    if len(data) < 32 * count:
        return None
    return [int.from_bytes(data[32 * i: 32 * (i + 1)], "big") for i in range(count)]


def decode_swaps(txs: Iterable[TxLogs], pool_tokens: PoolTokens) -> list[Swap]:
    """Every pool swap the transactions logged, in block order. Logs of other shapes, and
    swaps of pools whose tokens are unknown, are skipped. Never raises for odd logs."""
    out: list[Swap] = []
    for tx in txs:
        for log_index, (address, topics, data) in enumerate(tx.logs):
            if not topics or topics[0] not in (SIMPLE_SWAP, UNISWAP_V2_SWAP):
                continue
            tokens = pool_tokens(tx.chain_id, address)
            if tokens is None:
                continue
            swap = _decode(tx, log_index, address, topics, data, tokens)
            if swap is not None:
                out.append(swap)
    return out


def _decode(tx: TxLogs, log_index: int, pool: bytes, topics: tuple[bytes, ...], data: bytes,
            tokens: TokenPair) -> Swap | None:
    token0, token1 = tokens
    if topics[0] == SIMPLE_SWAP:
        words = _words(data, 2)
        if words is None or len(topics) < 3:
            return None
        token_in = topics[2][-20:]
        if token_in not in tokens:
            return None
        token_out = token1 if token_in == token0 else token0
        amount_in, amount_out = words
    else:
        words = _words(data, 4)
        if words is None:
            return None
        in0, in1, out0, out1 = words
        if in0 > 0 and out1 > 0 and in1 == 0:
            token_in, token_out, amount_in, amount_out = token0, token1, in0, out1
        elif in1 > 0 and out0 > 0 and in0 == 0:
            token_in, token_out, amount_in, amount_out = token1, token0, in1, out0
        else:
            return None  # a flash swap or a mixed one: not a plain trade
    return Swap(tx.chain_id, tx.tx_hash, tx.tx_index, log_index, tx.sender, pool, token_in, amount_in,
                token_out, amount_out)


def _by_pool(swaps: list[Swap]) -> dict[tuple[int, bytes], list[Swap]]:
    pools: dict[tuple[int, bytes], list[Swap]] = defaultdict(list)
    for s in sorted(swaps, key=lambda s: (s.chain_id, s.tx_index, s.log_index)):
        pools[s.place].append(s)
    return pools


def find_sandwiches(superblock: int, swaps: list[Swap]) -> list[tuple[Finding, list[Swap]]]:
    """Sandwiches on each pool, with the extractor's two swaps of each."""
    found = []
    for place, seq in _by_pool(swaps).items():
        i = 0
        while i < len(seq):
            front = seq[i]
            j = i + 1
            victims: list[Swap] = []
            while j < len(seq) and seq[j].actor != front.actor and seq[j].token_in == front.token_in:
                victims.append(seq[j])
                j += 1
            if victims and j < len(seq) and seq[j].actor == front.actor and seq[j].token_in == front.token_out:
                back = seq[j]
                value = {front.token_in: back.amount_out - front.amount_in}
                if front.amount_out != back.amount_in:
                    value[front.token_out] = front.amount_out - back.amount_in
                found.append((Finding("sandwich", superblock, front.actor,
                                      ((front.chain_id, front.tx_hash), (back.chain_id, back.tx_hash)),
                                      tuple((v.chain_id, v.tx_hash) for v in victims), (place,), value),
                              [front, back]))
                i = j + 1
            else:
                i += 1
    return found


def net_flows(swaps: Iterable[Swap]) -> dict[bytes, int]:
    """Token -> what the swaps paid out minus what they took in."""
    flows: dict[bytes, int] = defaultdict(int)
    for s in swaps:
        flows[s.token_in] -= s.amount_in
        flows[s.token_out] += s.amount_out
    return {t: v for t, v in flows.items() if v != 0}


def _profit(flows: dict[bytes, int]) -> dict[bytes, int] | None:
    if flows and all(v >= 0 for v in flows.values()):
        return flows
    return None


def find_mev(superblock: int, swaps: list[Swap]) -> list[Finding]:
    """Every sandwich, back-run and arbitrage of one superblock's swaps."""
    sandwiches = find_sandwiches(superblock, swaps)
    used = {id(s) for _, pair in sandwiches for s in pair}
    findings = [f for f, _ in sandwiches]
    rest = [s for s in swaps if id(s) not in used]
    by_actor: dict[bytes, list[Swap]] = defaultdict(list)
    for s in rest:
        by_actor[s.actor].append(s)
    # arbitrage: an actor's remaining swaps, net non-negative everywhere and positive somewhere
    profitable: set[bytes] = set()
    for actor, own in by_actor.items():
        if len(own) < 2:
            continue
        profit = _profit(net_flows(own))
        if profit is None:
            continue
        profitable.add(actor)
        txs = tuple(dict.fromkeys((s.chain_id, s.tx_hash) for s in own))
        pools = tuple(dict.fromkeys(s.place for s in own))
        findings.append(Finding("arbitrage", superblock, actor, txs, (), pools, profit))
    # back-runs: by a profitable arbitrageur, the next swap on a pool after another actor's, the
    # other way (its value is in the arbitrage finding)
    for place, seq in _by_pool(swaps).items():
        for before, after in zip(seq, seq[1:], strict=False):
            if (after.actor in profitable and id(after) not in used and after.actor != before.actor
                    and after.token_in == before.token_out):
                findings.append(Finding("backrun", superblock, after.actor, ((after.chain_id, after.tx_hash),),
                                        ((before.chain_id, before.tx_hash),), (place,)))
    return findings
