"""Mining modes: automine (a superblock per submission), interval (--block-time), manual
(--no-mining). Every superblock advances every chain by exactly one block.

The interval and manual modes run the real ``xrollup`` command, so their flags are covered too.
"""

from __future__ import annotations

import time

from tests.sequencer.seq_helpers import GWEI, CliDevnet, DevnetServer, Rpc, hex_int, transfer, wait_for

CHAINS = (901, 902, 903)


def assert_superblocks_consistent(clients: dict[int, Rpc], upto: int) -> None:
    """Superblocks 0..upto link to their parents, each holds blocks of the devnet's chains only,
    and each block it names is the one the chain serves."""
    any_client = next(iter(clients.values()))
    parent = None
    for n in range(upto + 1):
        sb = any_client.call("xr_getSuperblockByNumber", hex(n), False)
        assert sb is not None, f"superblock {n} missing"
        assert hex_int(sb["number"]) == n
        if parent is not None:
            assert sb["parentHash"] == parent
        parent = sb["hash"]
        by_chain = {hex_int(b["chainId"]): b for b in sb["blocks"]}
        assert set(by_chain) <= set(clients), f"superblock {n} has blocks of {sorted(by_chain)}"
        for cid, ref in by_chain.items():  # the chains that advanced in it
            block = clients[cid].call("eth_getBlockByNumber", ref["number"], False)
            assert block["hash"] == ref["hash"] and block["stateRoot"] == ref["stateRoot"]


def test_automine_mines_one_superblock_per_transaction_on_any_chain() -> None:
    with DevnetServer(chain_ids=CHAINS) as server:
        clients = {cid: server.rpc(cid) for cid in CHAINS}
        assert clients[901].call("anvil_getAutomine") is True
        assert {c.height() for c in clients.values()} == {0}
        sent = []
        for i, cid in enumerate((901, 902, 902, 903, 901)):
            nonce = sum(1 for c, _ in sent if c == cid)
            raw, h = transfer(cid, 0, nonce)
            clients[cid].call("eth_sendRawTransaction", raw)
            sent.append((cid, h))
            # included by the time the call returns, in a superblock of its own
            receipt = clients[cid].receipt(h)
            assert receipt is not None and hex_int(receipt["blockNumber"]) == nonce + 1
            assert clients[cid].superblock_of(receipt) == i + 1
            assert clients[cid].superblock_height() == i + 1
            assert {c: clients[c].height() for c in CHAINS} == {c: sum(1 for s, _ in sent if s == c) for c in CHAINS}
            sb = clients[903].call("xr_getSuperblockByNumber", hex(i + 1), True)
            txs = {hex_int(b["chainId"]): b["transactions"] for b in sb["blocks"]}
            assert txs == {cid: [h]}  # only the chain with work advanced
        assert_superblocks_consistent(clients, 5)


def test_interval_mining_advances_every_chain_without_transactions() -> None:
    with CliDevnet("--block-time", "0.5", chains=CHAINS) as node:
        clients = {cid: node.rpc(cid) for cid in CHAINS}
        assert clients[902].call("anvil_nodeInfo")["miningMode"] == "interval"
        wait_for(lambda: clients[901].superblock_height() >= 3, timeout=30, what="3 interval superblocks")
        for client in clients.values():
            assert client.height() >= 3
        # a transaction is pooled, then included by a later tick
        raw, h = transfer(902, 1, 0)
        assert clients[902].call("eth_sendRawTransaction", raw) == h
        receipt = wait_for(lambda: clients[902].receipt(h), timeout=30, what="interval inclusion")
        n = hex_int(receipt["blockNumber"])
        sb = clients[901].call("xr_getSuperblockByNumber", hex(n), True)
        assert [b["transactions"] for b in sb["blocks"] if hex_int(b["chainId"]) == 902] == [[h]]
        height = clients[901].superblock_height()
        assert_superblocks_consistent(clients, height)
        for client in clients.values():
            client.close()


def test_manual_mining_waits_for_evm_mine() -> None:
    with CliDevnet("--no-mining", "--order", "fifo", chains=CHAINS) as node:
        clients = {cid: node.rpc(cid) for cid in CHAINS}
        info = clients[901].call("anvil_nodeInfo")
        assert info["miningMode"] == "manual" and info["transactionOrder"] == "fifo"
        assert clients[901].call("anvil_getAutomine") is False
        # fifo: arrival order, whatever the tips
        sent = []
        for sender, tip in ((3, 1), (1, 7), (2, 4)):
            raw, h = transfer(901, sender, 0, tip=tip * GWEI, fee_cap=20 * GWEI)
            clients[901].call("eth_sendRawTransaction", raw)
            sent.append(h)
        time.sleep(0.6)  # give a (wrong) background miner the chance to act
        assert clients[901].superblock_height() == 0
        assert {c.height() for c in clients.values()} == {0}
        assert all(clients[901].receipt(h) is None for h in sent)
        assert clients[901].call("txpool_status")["pending"] == "0x3"

        assert clients[903].call("evm_mine") == "0x0"  # any chain's endpoint mines the superblock
        assert {c.height() for c in clients.values()} == {1}
        assert clients[901].call("eth_getBlockByNumber", "0x1", False)["transactions"] == sent
        clients[902].call("anvil_mine", "0x3")
        assert {c.height() for c in clients.values()} == {4}
        assert clients[901].superblock_height() == 4
        assert_superblocks_consistent(clients, 4)
        for client in clients.values():
            client.close()


def test_switching_modes_at_runtime() -> None:
    with DevnetServer(no_mining=True) as server:
        rpc = server.rpc(901)
        raw, h = transfer(901, 0, 0)
        rpc.call("eth_sendRawTransaction", raw)
        assert rpc.receipt(h) is None
        rpc.call("evm_setAutomine", True)  # turning automine on mines what is pending
        assert rpc.receipt(h) is not None and rpc.superblock_height() == 1
        raw, h = transfer(901, 0, 1)
        rpc.call("eth_sendRawTransaction", raw)
        assert rpc.receipt(h) is not None and rpc.superblock_height() == 2
        rpc.call("evm_setIntervalMining", 1)
        assert rpc.call("anvil_nodeInfo")["miningMode"] == "interval"
        wait_for(lambda: rpc.superblock_height() >= 3, timeout=20, what="interval superblock after switch")
        rpc.call("evm_setAutomine", False)
        assert rpc.call("anvil_nodeInfo")["miningMode"] == "manual"
        assert server.rpc(902).height() == rpc.height() - 2  # the two automine superblocks were 901's alone
