"""The planner's shortcuts change nothing but the work done.

* A transaction that calls ``Mailbox.xcall`` itself is planned from its calldata instead of
  being probed first (``shared_sequencer.xcall.direct_request``). Two in-process devnets get
  the same signed transactions at the same timestamps, one with the shortcut and one without:
  every block hash (so every transaction, receipt and state root) and every recorded
  cross-rollup error must be the same, and the log must replay.
* ``BlockBuilder.fork`` hands a clean builder's account database to the fork: a builder used
  again after that, and the fork, both give exactly what a fresh builder gives.
* System transactions are signed without py-evm's round trip: same bytes, same sender.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from bridge_contracts import load_artifact
from chains import mailbox
from chains.block import BlockEnv, PendingTx
from chains.txbuild import BUILDER, TxRequest, _prague, decode_raw, sign, unsigned
from shared_sequencer import xcall
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

A, B = 901, 902
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
GENESIS = 1_700_000_000
MAILBOX = "0x4200000000000000000000000000000000000100"
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]


def _sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


class Run:
    """One in-process devnet fed one signed transaction per superblock, at fixed timestamps."""

    def __init__(self) -> None:
        self.dn = Devnet(DevnetConfig(chain_ids=(A, B), genesis_timestamp=GENESIS, silent=True))
        self.ts = GENESIS

    def send(self, cid: int, raw: str) -> dict[str, Any]:
        self.ts += 1
        self.dn.sequencer.clock.next_timestamp = self.ts
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]})
        return dict(json.loads(asyncio.run(self.dn.dispatchers[cid].handle_raw(body, None))))

    def fingerprint(self) -> tuple[Any, ...]:
        seq = self.dn.sequencer
        blocks = tuple((cid, tuple(m.hash for m in chain.blocks)) for cid, chain in sorted(seq.chains.items()))
        return blocks, tuple(sorted(seq.xcall_errors.items()))


def _scenario() -> list[tuple[int, str]]:
    """(chain, raw transaction) in order: two Counters, then direct xcalls of every kind."""
    acct = Account.from_key(KEY)
    nonces = {A: 0, B: 0}

    def raw(cid: int, to: str | None, data: bytes, gas: int = 400_000, value: int = 0) -> tuple[int, str]:
        tx: dict[str, Any] = {"chainId": cid, "nonce": nonces[cid], "value": value, "data": "0x" + data.hex(),
                              "gas": gas, "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2}
        if to is not None:
            tx["to"] = to_checksum_address(to)
        nonces[cid] += 1
        return cid, "0x" + bytes(acct.sign_transaction(tx).raw_transaction).hex()

    code = bytes.fromhex(load_artifact("Counter")["bytecode"].removeprefix("0x")) + encode(["uint256"], [0])
    counter = "0x" + keccak(b"\xd6\x94" + bytes.fromhex(acct.address[2:]) + b"\x80")[12:].hex()  # nonce 0
    out = [raw(A, None, code, 1_000_000), raw(B, None, code, 1_000_000)]

    def direct(call: bytes, dst: int = B, **kw: Any) -> tuple[int, str]:
        return raw(A, MAILBOX, XCALL + encode(["uint256", "address", "bytes"], [dst, counter, call]), **kw)

    out += [
        direct(_sel("increment()")),  # no return data
        direct(_sel("requirePositive(uint256)") + encode(["uint256"], [7])),  # 32 bytes back
        direct(_sel("blockInfo()")),  # 160 bytes back
        direct(_sel("failWithReason()")),  # Error(string) from the far side
        direct(_sel("failWithCustom(uint256)") + encode(["uint256"], [3])),
        direct(_sel("failWithPanic()")),
        direct(b"\xde\xad\xbe\xef"),  # no such function, no fallback: empty revert data
        direct(b"", value=12345),  # receive(): value moves between the mailboxes
        direct(_sel("increment()"), dst=A),  # own chain: InvalidDestination, probed as usual
        direct(_sel("increment()"), dst=999),  # unknown chain: a failure response, probed as usual
    ]
    for gas in (24_000, 30_000, 45_000, 60_000, 75_000, 90_000):  # out of gas before, at and after the lookup
        out.append(direct(_sel("increment()"), gas=gas))
    # Non-canonical calldata (a trailing word): the mailbox accepts it; the shortcut leaves it to the probe.
    args = encode(["uint256", "address", "bytes"], [B, counter, _sel("increment()")])
    out.append(raw(A, MAILBOX, XCALL + args + bytes(32)))
    out.append(direct(_sel("increment()")))
    return out


@pytest.fixture(scope="module")
def runs() -> Iterator[tuple[Run, Run]]:
    txs = _scenario()
    shortcut, probed = Run(), Run()
    answers = [shortcut.send(cid, raw) for cid, raw in txs]
    original = xcall.direct_request
    xcall.direct_request = lambda *args: None  # type: ignore[assignment]
    try:
        answers_probed = [probed.send(cid, raw) for cid, raw in txs]
    finally:
        xcall.direct_request = original  # type: ignore[assignment]
    assert answers == answers_probed
    yield shortcut, probed
    for run in (shortcut, probed):
        run.dn.sequencer.log.close()


def test_shortcut_gives_the_probed_blocks(runs: tuple[Run, Run]) -> None:
    shortcut, probed = runs
    assert shortcut.fingerprint() == probed.fingerprint()
    seq = shortcut.dn.sequencer
    a = seq.chain(A)
    outcomes = [t.outcome for m in a.blocks[1:] for t in m.txs]
    # the scenario did what it says: successes, far-side failures, and out-of-gas runs
    assert sum(1 for o in outcomes if o.success and bytes(o.pending.tx.to) == mailbox.MAILBOX
               and o.pending.sender != mailbox.SEQUENCER) >= 6
    assert len(seq.xcall_errors) >= 5
    assert any("boom" in failure.reason for failure in seq.xcall_errors.values())
    assert mailbox.hash_mismatch({cid: c.state_at("latest") for cid, c in seq.chains.items()}) is None


def test_shortcut_run_replays(runs: tuple[Run, Run]) -> None:
    dn = runs[0].dn
    replayed = dn._new_sequencer(dn.config, dn.sequencer.log.entries[1:], None)  # raises on any mismatch
    for cid, chain in dn.sequencer.chains.items():
        assert replayed.chain(cid).head_state_root == chain.head_state_root
        assert [m.hash for m in replayed.chain(cid).blocks] == [m.hash for m in chain.blocks]


def test_direct_request_is_the_probed_request(runs: tuple[Run, Run]) -> None:
    """What the shortcut plans from is what the probe finds, for a fresh call."""
    dn = runs[0].dn
    seq = dn.sequencer
    counter = "0x" + bytes(seq.chain(A).blocks[1].txs[0].outcome.contract_address or b"").hex()
    acct = Account.from_key(KEY)
    nonce = seq.chain(A).state_at("latest").get_nonce(bytes.fromhex(acct.address[2:]))
    data = XCALL + encode(["uint256", "address", "bytes"], [B, counter, _sel("increment()")])
    tx = {"chainId": A, "nonce": nonce, "to": MAILBOX, "value": 5, "data": "0x" + data.hex(), "gas": 400_000,
          "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2}
    job = decode_raw(bytes(acct.sign_transaction(tx).raw_transaction))
    env = BlockEnv(runs[0].ts + 1, dn.config.gas_limit)
    builders = {cid: c.scratch_builder(env) for cid, c in seq.chains.items()}
    predicted = xcall.direct_request(builders, A, job)
    found: list[mailbox.Request | None] = []
    assert builders[A].probe(job, lambda comp: found.append(xcall.find_missing(comp, A)) or False) is None
    assert predicted is not None and found == [predicted]
    assert predicted.value == 5 and predicted.nonce > 0


def _pending(cid: int, nonce: int, to: str, data: bytes) -> PendingTx:
    acct = Account.from_key(KEY)
    tx = {"chainId": cid, "nonce": nonce, "to": to_checksum_address(to), "value": 0, "data": "0x" + data.hex(),
          "gas": 400_000, "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2}
    return decode_raw(bytes(acct.sign_transaction(tx).raw_transaction))


def test_fork_of_a_clean_builder_and_the_builder_after_it_are_exact() -> None:
    dn = Devnet(DevnetConfig(chain_ids=(A,), genesis_timestamp=GENESIS, silent=True))
    try:
        chain = dn.sequencer.chain(A)
        env = BlockEnv(GENESIS + 1, dn.config.gas_limit)
        sender = bytes.fromhex(Account.from_key(KEY).address[2:])
        transfer = _pending(A, 0, "0x" + "11" * 20, b"")
        xcall_tx = _pending(A, 0, MAILBOX, XCALL + encode(["uint256", "address", "bytes"], [B, sender, b""]))

        def sealed_root(make: Callable[[], Any]) -> bytes:
            builder = make()
            builder.apply(transfer)
            return bytes(builder.seal().header.state_root)

        reference = sealed_root(lambda: chain.scratch_builder(env))

        def probed_then_forked() -> Any:
            parent = chain.scratch_builder(env)
            assert parent.probe(xcall_tx, lambda comp: False) is None  # a probe that is undone
            return parent, parent.fork()

        # the fork takes the probed builder's database ...
        assert sealed_root(lambda: probed_then_forked()[1]) == reference
        # ... and the builder, used again, starts afresh at the same root
        assert sealed_root(lambda: probed_then_forked()[0]) == reference
        # a builder with transactions is persisted and forked as before; both go on exactly
        parent = chain.scratch_builder(env)
        parent.apply(transfer)
        fork = parent.fork()
        second = _pending(A, 1, "0x" + "22" * 20, b"")
        fork.apply(second)
        parent.apply(second)
        assert fork.seal().header.state_root == parent.seal().header.state_root
    finally:
        dn.sequencer.log.close()


@pytest.mark.parametrize("seed", range(4))
def test_system_transaction_signing_matches_py_evm(seed: int) -> None:
    rng = random.Random(seed)
    key = keccak(b"signer %d" % seed)
    address = keys.PrivateKey(key).public_key.to_canonical_address()
    for _ in range(20):
        to = None if rng.random() < 0.1 else rng.randbytes(20)
        fees: dict[str, Any] = ({"gas_price": rng.choice([0, 1, 10**9])} if rng.random() < 0.3 else
                                {"max_fee_per_gas": rng.choice([0, 7, 10**11]),
                                 "max_priority_fee_per_gas": rng.choice([0, 1, 10**9])})
        access = ((rng.randbytes(20), (1, 2**200)),) if rng.random() < 0.3 else ()
        req = TxRequest(rng.choice([1, 901, 2**40]), address, rng.choice([0, 1, 127, 128, 2**40]),
                        rng.choice([21_000, 8_000_000]), to, rng.choice([0, 1, 10**20]),
                        rng.randbytes(rng.choice([0, 1, 55, 56, 300])), access_list=access, **fees)
        ours = sign(req, key)
        theirs = _prague(unsigned(req).as_signed_transaction(keys.PrivateKey(key), chain_id=req.chain_id))
        assert type(ours.tx) is type(theirs) and ours.tx == theirs
        assert ours.tx.encode() == theirs.encode() and ours.tx.hash == theirs.hash
        assert ours.tx.sender == BUILDER.decode(ours.tx.encode()).sender == address


def test_no_shortcut_for_a_replaced_mailbox() -> None:
    """The shortcut reasons about the mailbox's own code: with other code there, it probes."""
    run = Run()
    try:
        acct = Account.from_key(KEY)
        data = XCALL + encode(["uint256", "address", "bytes"], [B, acct.address, b""])
        job = _pending(A, 0, MAILBOX, data)
        env = BlockEnv(GENESIS + 1, run.dn.config.gas_limit)

        def planned() -> mailbox.Request | None:
            builders = {cid: c.scratch_builder(env) for cid, c in run.dn.sequencer.chains.items()}
            return xcall.direct_request(builders, A, job)

        assert planned() is not None
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "anvil_setCode", "params": [MAILBOX, "0x00"]})
        assert "error" not in json.loads(asyncio.run(run.dn.dispatchers[A].handle_raw(body, None)))
        assert planned() is None
    finally:
        run.dn.sequencer.log.close()
