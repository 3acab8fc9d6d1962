"""Delayed relays of asynchronous messages under automine are the mining service's: it wakes
when the next waiting relay falls due (--interop.delay, or a fault's message delay) and mines
it through its usual step, with no other traffic.

- the service's wake-up time is the first devnet second at which a superblock includes the
  relay (property test over delays, fault delays and clock offsets);
- the running service mines a delayed relay by itself, in one superblock, when it falls due;
- the ``xrollup`` CLI with ``--interop.delay 2``, then a message delay fault over JSON-RPC: each
  message is relayed on the destination by itself, that late.
"""

from __future__ import annotations

import asyncio
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains.mailbox import MESSENGER, SEQUENCER
from chains.txbuild import decode_raw
from shared_sequencer.faults import Delay
from shared_sequencer.mining import MiningService
from shared_sequencer.sequencer import Sequencer
from tests.sequencer.seq_helpers import ADDRS, CliDevnet, Rpc, selector, sign, wait_for
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

A, B = 901, 902
SEND_MESSAGE = selector("sendMessage(uint256,address,bytes)")
SUCCESSFUL_MESSAGES = selector("successfulMessages(bytes32)")
MESSENGER_HEX = "0x" + MESSENGER.hex()
SENT_MESSAGE_TOPIC = "0x" + keccak(text="SentMessage(uint256,address,uint256,address,bytes)").hex()
RELAYED_MESSAGE_TOPIC = "0x" + keccak(text="RelayedMessage(uint256,uint256,bytes32,bytes32)").hex()


def message(source: int, destination: int, nonce: int, payload: bytes = b"\x42") -> tuple[str, str]:
    """A signed ``sendMessage(destination, dev account 9, payload)`` from dev account 0 on
    ``source``: (raw hex, tx hash hex)."""
    data = SEND_MESSAGE + abi_encode(["uint256", "address", "bytes"], [destination, ADDRS[9], payload])
    return sign(source, 0, nonce, to=MESSENGER_HEX, data="0x" + data.hex(), gas=300_000)


def submit(seq: Sequencer, chain_id: int, raw: str) -> None:
    seq.submit(chain_id, decode_raw(bytes.fromhex(raw[2:])))


# -- the wake-up time --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.integers(0, 900), fault=st.one_of(st.none(), st.integers(1, 900)),
       sends=st.lists(st.tuples(st.integers(0, 1200), st.booleans()), min_size=1, max_size=4))
def test_the_service_wakes_at_the_first_second_a_superblock_includes_the_next_relay(
        base: int, fault: int | None, sends: list[tuple[int, bool]]) -> None:
    devnet = Devnet(DevnetConfig(chain_ids=(A, B), silent=True, port=0, relay_delay=base))
    seq = devnet.sequencer  # automine with no service: each submission is mined inline
    if fault is not None:
        seq.set_fault(Delay(messages=True, seconds=fault))
    nonces = {A: 0, B: 0}
    for skip, from_a in sends:  # messages sent at different devnet times, both ways
        if skip:
            seq.increase_time(skip)
        source, destination = (A, B) if from_a else (B, A)
        submit(seq, source, message(source, destination, nonces[source])[0])
        nonces[source] += 1
    service = MiningService()
    service.attach(seq)  # the service's view of this sequencer (its loop is not needed to ask)
    try:
        wake = service.next_wake()
        if wake is None:  # nothing waits for the clock: the next superblock relays everything
            seq.mine()
            assert seq.relays == []
            return
        assert wake == int(wake)
        at = int(wake) + seq.clock.offset  # the devnet second the service wakes at
        waiting = {r.key for r in seq.relays}
        seq.mine(timestamp=at - 1)  # a second before: the relay it wakes for still waits
        earlier = {r.key for r in seq.relays}
        assert earlier and earlier <= waiting
        seq.mine(timestamp=at)  # then: a superblock includes it
        assert {r.key for r in seq.relays} < earlier
    finally:
        service.detach()


def test_the_running_service_mines_a_delayed_relay_by_itself_when_it_falls_due() -> None:
    delay = 3  # seconds: the relay is not due before the next check even on a loaded machine
    devnet = Devnet(DevnetConfig(chain_ids=(A, B), silent=True, port=0, relay_delay=delay))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        devnet.start_services()
        try:
            seq, service = devnet.sequencer, devnet.backend.mining
            submit(seq, A, message(A, B, 0)[0])
            await devnet.settled()
            sent = seq.head.number
            [relay] = seq.relays  # waiting for its delay
            assert service.next_wake() == relay.timestamp + delay - seq.clock.offset
            deadline = loop.time() + 30
            while seq.relays and loop.time() < deadline:  # no other traffic: the service alone mines it
                await asyncio.sleep(0.05)
            assert seq.relays == [], "the delayed relay was never mined"
            assert seq.head.number == sent + 1  # one superblock: the relay's
            block = seq.chain(B).block(seq.chain(B).height)
            [tx] = block.txs
            assert tx.outcome.pending.sender == SEQUENCER and tx.outcome.pending.tx.to == MESSENGER
            assert tx.outcome.success
            assert int(block.header.timestamp) >= relay.timestamp + delay
            assert service.next_wake() is None
        finally:
            devnet.stop_services()

    asyncio.run(run())


# -- the CLI, end to end -----------------------------------------------------------------------


def op_message_hash(source: int, receipt: dict[str, Any]) -> str:
    """OP's hash of the message that the SentMessage log of ``receipt`` carries (what its
    RelayedMessage log indexes): keccak256(abi.encode(destination, source, nonce, sender,
    target, message))."""
    [log] = [entry for entry in receipt["logs"] if entry["topics"][0] == SENT_MESSAGE_TOPIC]
    destination, target, nonce = (int(t, 16) for t in log["topics"][1:4])
    sender, payload = abi_decode(["address", "bytes"], bytes.fromhex(log["data"][2:]))
    encoded = abi_encode(["uint256", "uint256", "uint256", "address", "address", "bytes"],
                         [destination, source, nonce, sender, target.to_bytes(20, "big"), payload])
    return "0x" + keccak(encoded).hex()


def relay_on(rpc: Rpc, msg_hash: str) -> dict[str, Any] | None:
    """The relay of ``msg_hash`` on ``rpc``'s chain (its receipt and block), if it landed."""
    logs = rpc.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": MESSENGER_HEX,
                                    "topics": [RELAYED_MESSAGE_TOPIC, None, None, msg_hash]})
    if not logs:
        return None
    [log] = logs
    return {"receipt": rpc.receipt(log["transactionHash"]),
            "block": rpc.call("eth_getBlockByNumber", log["blockNumber"], False)}


def send_and_wait_for_relay(a: Rpc, b: Rpc, nonce: int, delay: int) -> None:
    """Send a message from A to B, then only read until its relay lands on B: it came by
    itself, at least ``delay`` seconds after the message, alone in the next superblock."""
    raw, tx_hash = message(A, B, nonce)
    a.call("eth_sendRawTransaction", raw)
    receipt = a.receipt(tx_hash)
    assert receipt is not None and receipt["status"] == "0x1"  # automine: mined when it answers
    sent_at = int(a.call("eth_getBlockByNumber", receipt["blockNumber"], False)["timestamp"], 16)
    sent_sb = a.superblock_of(receipt)
    msg_hash = op_message_hash(A, receipt)
    relay = wait_for(lambda: relay_on(b, msg_hash), timeout=60, interval=0.2, what="the delayed relay")
    assert relay["receipt"]["status"] == "0x1"
    assert relay["receipt"]["from"].lower() == "0x" + SEQUENCER.hex()
    assert int(relay["block"]["timestamp"], 16) >= sent_at + delay
    assert b.superblock_of(relay["receipt"]) == sent_sb + 1 == a.superblock_height()  # nothing else was mined
    delivered = b.call("eth_call", {"to": MESSENGER_HEX, "data": "0x" + (SUCCESSFUL_MESSAGES + bytes.fromhex(
        msg_hash[2:])).hex()}, "latest")
    assert int(delivered, 16) == 1


def test_cli_interop_delay_and_a_message_delay_fault_relay_by_themselves() -> None:
    # --no-l1: the L1's blocks would wake automine too (each hands the rollups their L1 origin),
    # and the relay must come from the mining service's own wake-up.
    with CliDevnet("--interop.delay", "2", "--no-l1") as net:
        a, b = net.rpc(A), net.rpc(B)
        try:
            send_and_wait_for_relay(a, b, 0, 2)
            fault = a.call("xr_setFault", {"kind": "delay", "messages": True, "seconds": 4})
            send_and_wait_for_relay(a, b, 1, 4)  # the longer of the two delays
            a.call("xr_clearFault", fault["id"])
            send_and_wait_for_relay(a, b, 2, 2)  # --interop.delay again
        finally:
            a.close()
            b.close()


def test_a_release_held_by_another_fault_too_does_not_spin_the_service() -> None:
    """A transaction whose delay in seconds has passed but which a censor still holds: the
    service wakes for the delay's end once, mines nothing, and then sleeps until something
    changes (it used to wake every millisecond); clearing the censor mines it."""
    from shared_sequencer.faults import Censor

    devnet = Devnet(DevnetConfig(chain_ids=(A, B), silent=True, port=0))

    async def run() -> None:
        devnet.start_services()
        try:
            seq = devnet.sequencer
            sender = bytes.fromhex(ADDRS[3][2:])
            seq.set_fault(Delay(senders=frozenset({sender}), seconds=1))
            seq.set_fault(Censor(senders=frozenset({sender})))
            raw, tx_hash = sign(A, 3, 0, to=ADDRS[9], value=1)
            submit(seq, A, raw)
            height = seq.head.number
            await asyncio.sleep(2.0)  # past the delay: the service has woken for it
            calls = 0
            release_at = seq.release_at

            def counted() -> float | None:
                nonlocal calls
                calls += 1
                return release_at()

            seq.release_at = counted  # type: ignore[method-assign]
            await asyncio.sleep(0.5)
            # a wake-up asks a few times (spinning, it asked hundreds of times in 0.5 s)
            assert calls <= 10, f"the mining service woke {calls} times in 0.5 s for a transaction a censor holds"
            assert seq.head.number == height  # still held
            seq.release_at = release_at  # type: ignore[method-assign]
            [censor] = [fid for fid, p in seq.faults.active.items() if isinstance(p.fault, Censor)]
            seq.clear_faults(censor)
            await devnet.settled()
            assert seq.head.number == height + 1
            block = seq.chain(A).block(seq.chain(A).height)
            assert [tx.outcome.pending.hash for tx in block.txs] == [bytes.fromhex(tx_hash[2:])]
        finally:
            devnet.stop_services()

    asyncio.run(run())


def test_evm_increase_time_past_a_relays_delay_mines_it_at_once() -> None:
    """--interop.delay 600 and a message sent: evm_increaseTime(601) makes the relay due, and
    the service mines it by itself now rather than ten minutes later."""
    devnet = Devnet(DevnetConfig(chain_ids=(A, B), silent=True, port=0, relay_delay=600))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        devnet.start_services()
        try:
            seq = devnet.sequencer
            submit(seq, A, message(A, B, 0)[0])
            await devnet.settled()
            assert seq.relays  # waiting for its delay
            seq.increase_time(601)
            deadline = loop.time() + 20
            while seq.relays and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert seq.relays == [], "the relay made due by evm_increaseTime was not mined"
        finally:
            devnet.stop_services()

    asyncio.run(run())
