"""The execution budget of a superblock (shared_sequencer/budget.py): a far-side burn that runs
past it while others wait is interrupted and deferred, at most ``max_deferrals`` times, so
that light work is mined first and nothing starves; the log replays to the same blocks.

A far-side burn: a transaction on 901 that calls Mailbox.xcall of a contract on 902 burning
about 1M gas, the misbehaving client of scripts/bench_misbehave.py.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from bridge_contracts import MAILBOX_ADDRESS
from chains.rollup import StateEdit
from chains.txbuild import decode_raw
from shared_sequencer.budget import Budget, Yielded
from shared_sequencer.sequencer import Sequencer
from tests.sequencer.seq_helpers import ADDRS, DevnetServer, Rpc, sign, transfer, wait_for
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet

BURNER = bytes.fromhex("b0" * 20)
# PUSH3 38000; loop: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH1 4 JUMPI; STOP: about 1M gas
BURNER_CODE = bytes.fromhex("62" + (38_000).to_bytes(3, "big").hex() + "5b600190038060045700")
XCALL = keccak(text="xcall(uint256,address,bytes)")[:4]
BURN_CALL = "0x" + (XCALL + encode(["uint256", "address", "bytes"], [902, "0x" + BURNER.hex(), b""])).hex()


def burn(nonce: int) -> tuple[str, str]:
    """A far-side burn from dev account 0 on 901."""
    return sign(901, 0, nonce, to=MAILBOX_ADDRESS, data=BURN_CALL, gas=16_000_000, fee_cap=100 * 10**9)


def pooled(seq: Sequencer, chain_id: int, raw: str) -> bytes:
    pending = decode_raw(bytes.fromhex(raw[2:]))
    return seq.submit(chain_id, pending)


def spent() -> Budget:
    """A budget already run out, with others waiting: every transaction that can be
    interrupted is."""
    return Budget(0.0, lambda: True)


def hashes_of(seq: Sequencer, number: int) -> set[bytes]:
    return {h for ref in seq.superblock(number).blocks for h in ref.tx_hashes}


@pytest.mark.parametrize("max_deferrals", [0, 1, 3])
def test_a_deferred_transaction_is_mined_within_max_deferrals_superblocks(max_deferrals: int) -> None:
    devnet = Devnet(DevnetConfig(chain_ids=(901, 902), silent=True, port=0, no_mining=True))
    seq = devnet.sequencer
    seq.max_deferrals = max_deferrals
    seq.edit_state(902, StateEdit("code", BURNER, BURNER_CODE))
    heavy = pooled(seq, 901, burn(0)[0])
    lights: list[bytes] = []
    committed_without: list[int] = []
    for round_ in range(max_deferrals + 1):
        lights.append(pooled(seq, 902, transfer(902, 1, round_)[0]))
        build = seq.prepare(budget=spent(), off_loop=True)
        if round_ < max_deferrals:  # interrupted: nothing of the build is committed
            height = seq.head.number
            with pytest.raises(Yielded) as caught:
                seq.build(build, allow_empty=False)
            assert caught.value.tx_hash == heavy and seq.head.number == height
            seq.defer(heavy)
            # the next superblock takes what waits, without the deferred transaction
            built = seq.build(seq.prepare(budget=spent(), off_loop=True), allow_empty=False)
            assert built is not None
            superblock = seq.commit_built(built)
            assert superblock is not None
            assert lights[-1] in hashes_of(seq, superblock.number) and heavy not in hashes_of(seq, superblock.number)
            committed_without.append(superblock.number)
        else:  # deferred max_deferrals times: it runs to its end, budget or not
            built = seq.build(build, allow_empty=False)
            assert built is not None
            superblock = seq.commit_built(built)
            assert superblock is not None
            assert heavy in hashes_of(seq, superblock.number)
    assert len(committed_without) == max_deferrals
    assert not seq.deferrals and not any(seq.pools.values())
    replayed = devnet.from_log(seq.log.entries, None)  # the log rebuilds the same blocks
    assert [s.hash for s in replayed.superblocks] == [s.hash for s in seq.superblocks]


def test_a_burn_yields_to_another_senders_transaction_in_its_own_superblock_only() -> None:
    devnet = Devnet(DevnetConfig(chain_ids=(901, 902), silent=True, port=0, no_mining=True))
    seq = devnet.sequencer
    seq.edit_state(902, StateEdit("code", BURNER, BURNER_CODE))
    heavy = pooled(seq, 901, burn(0)[0])
    quiet = Budget(0.0, lambda: False)  # past its time, but no new submission waits
    built = seq.build(seq.prepare(budget=quiet, off_loop=True), allow_empty=False)
    assert built is not None  # alone (with its own sender's next one), it runs to its end
    pooled(seq, 901, burn(1)[0])
    light = pooled(seq, 902, transfer(902, 1, 0)[0])  # another sender, in the same superblock
    with pytest.raises(Yielded) as caught:
        seq.build(seq.prepare(budget=Budget(0.0, lambda: False), off_loop=True), allow_empty=False)
    assert caught.value.tx_hash == heavy
    seq.defer(heavy)
    built = seq.build(seq.prepare(budget=Budget(0.0, lambda: False), off_loop=True), allow_empty=False)
    assert built is not None
    superblock = seq.commit_built(built)
    assert superblock is not None and hashes_of(seq, superblock.number) == {light}
    assert seq.is_deferred(heavy) and seq.is_deferred()


def test_a_build_whose_base_moved_is_not_committed() -> None:
    devnet = Devnet(DevnetConfig(chain_ids=(901, 902), silent=True, port=0, no_mining=True))
    seq = devnet.sequencer
    pooled(seq, 902, transfer(902, 1, 0)[0])
    built = seq.build(seq.prepare(budget=spent(), off_loop=True), allow_empty=False)
    assert built is not None
    seq.edit_state(902, StateEdit("balance", BURNER, 1))  # anvil_setBalance while it was built
    height = seq.head.number
    assert seq.commit_built(built) is None and seq.head.number == height
    seq.mine(allow_empty=False)  # built again on the edited state
    assert seq.head.number == height + 1 and not any(seq.pools.values())


def test_light_transfers_overtake_a_far_side_burn_which_is_still_mined() -> None:
    """Served, under automine: transfers on 902 sent while a burn waits are mined ahead of it,
    in at most max_deferrals superblocks, and the burn is mined too; every receipt is there
    when eth_sendRawTransaction returns."""
    with DevnetServer() as server:
        server.run(lambda: setattr(server.devnet.sequencer, "max_deferrals", 3))
        r901, r902 = Rpc(server.urls[901]), Rpc(server.urls[902])
        r902.call("anvil_setCode", "0x" + BURNER.hex(), "0x" + BURNER_CODE.hex())
        raw, heavy = burn(r901.nonce(ADDRS[0], "pending"))
        answer: dict[str, Any] = {}

        def send() -> None:
            client = Rpc(server.urls[901])
            answer["hash"] = client.call("eth_sendRawTransaction", raw)
            answer["receipt"] = client.receipt(heavy)

        sender = threading.Thread(target=send)
        sender.start()
        wait_for(lambda: r901.call("eth_getTransactionByHash", heavy), what="the burn pooled")
        nonce, lights = r902.nonce(ADDRS[1], "pending"), []
        while sender.is_alive() and len(lights) < 400:
            light_raw, light = transfer(902, 1, nonce)
            assert r902.call("eth_sendRawTransaction", light_raw) == light
            receipt = r902.receipt(light)
            assert receipt is not None and receipt["status"] == "0x1"  # mined before the answer
            lights.append(receipt)
            nonce += 1
        sender.join(60)
        assert answer["hash"] == heavy
        receipt = answer["receipt"]
        assert receipt is not None and receipt["status"] == "0x1" and receipt["xcalls"][0]["success"]
        heavy_superblock = r901.superblock_of(receipt)
        ahead = {r902.superblock_of(r) for r in lights if r902.superblock_of(r) < heavy_superblock}
        assert 1 <= len(ahead) <= 3



def test_a_build_off_the_loop_leaves_the_pools_to_the_loop() -> None:
    """A transaction found invalid at inclusion by a build in the worker thread, with nothing
    else to mine: the build changes no pool (they are the event loop's); it lists the
    transaction and the loop drops it."""
    devnet = Devnet(DevnetConfig(chain_ids=(901, 902), silent=True, port=0, no_mining=True))
    seq = devnet.sequencer
    tx_hash = pooled(seq, 902, transfer(902, 1, 0)[0])
    seq.edit_state(902, StateEdit("balance", bytes.fromhex(ADDRS[1][2:]), 0))  # it cannot pay any more
    build = seq.prepare(budget=spent(), off_loop=True)
    assert seq.build(build, allow_empty=False) is None
    assert build.invalid == [(902, tx_hash)] and tx_hash in seq.pools[902].by_hash
    seq.drop_invalid(build.invalid)
    assert tx_hash not in seq.pools[902].by_hash
