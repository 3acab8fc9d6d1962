"""The superblock API: xr_getSuperblockByNumber / ByHash and the WebSocket
``eth_subscribe("xr_newSuperblocks")`` stream, against a real devnet."""

from __future__ import annotations

from tests.sequencer.seq_helpers import DevnetServer, hex_int, transfer
from tests.support import WsRpc

CHAINS = (901, 902, 903)


def test_superblock_by_number_and_hash() -> None:
    with DevnetServer(chain_ids=CHAINS, no_mining=True) as server:
        r = {cid: server.rpc(cid) for cid in CHAINS}
        genesis = r[901].call("xr_getSuperblockByNumber", "0x0", False)
        assert hex_int(genesis["number"]) == 0 and genesis["parentHash"] == "0x" + "00" * 32
        assert [hex_int(b["chainId"]) for b in genesis["blocks"]] == list(CHAINS)
        assert r[902].call("xr_getSuperblockByNumber", "earliest", False) == genesis

        sent: dict[int, list[str]] = {cid: [] for cid in CHAINS}
        for cid, sender in ((901, 0), (901, 1), (903, 0)):
            raw, h = transfer(cid, sender, 0)
            r[cid].call("eth_sendRawTransaction", raw)
            sent[cid].append(h)
        r[901].call("evm_mine")

        full = r[903].call("xr_getSuperblockByNumber", "0x1", True)
        assert hex_int(full["number"]) == 1 and full["parentHash"] == genesis["hash"]
        assert full == r[901].call("xr_getSuperblockByNumber", "latest", True)
        by_chain = {hex_int(b["chainId"]): b for b in full["blocks"]}
        assert set(by_chain) == set(CHAINS)
        for cid in CHAINS:
            ref = by_chain[cid]
            assert sorted(ref["transactions"]) == sorted(sent[cid])
            assert hex_int(ref["transactionCount"]) == len(sent[cid])
            block = r[cid].call("eth_getBlockByNumber", "0x1", False)
            assert ref["hash"] == block["hash"] and ref["stateRoot"] == block["stateRoot"]
            assert ref["transactions"] == block["transactions"]
            assert hex_int(ref["number"]) == 1
        assert hex_int(full["timestamp"]) == hex_int(r[901].call("eth_getBlockByNumber", "0x1", False)["timestamp"])

        light = r[902].call("xr_getSuperblockByNumber", "0x1", False)
        assert all("transactions" not in b for b in light["blocks"])
        assert light["hash"] == full["hash"]

        assert r[902].call("xr_getSuperblockByHash", full["hash"], True) == full
        assert r[902].call("xr_getSuperblockByHash", genesis["hash"], False) == genesis
        assert r[902].call("xr_getSuperblockByHash", "0x" + "ab" * 32, False) is None
        assert r[902].call("xr_getSuperblockByNumber", "0x5", False) is None
        assert r[901].call("xr_blockNumber") == "0x1"


def test_ws_xr_new_superblocks_pushes_each_superblock() -> None:
    with DevnetServer(chain_ids=CHAINS) as server:
        r = server.rpc(902)
        with WsRpc(server.urls[901], timeout=10) as ws:
            ws.send({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["xr_newSuperblocks"]})
            reply = ws.recv()
            assert reply["id"] == 1 and isinstance(reply["result"], str)
            sub_id = reply["result"]

            expected = []
            for i in range(3):  # automine: one superblock per transaction, on any chain
                raw, h = transfer(902, 0, i)
                r.call("eth_sendRawTransaction", raw)
                expected.append(h)
            r.call("anvil_mine", "0x2")  # and empty ones are announced too

            pushed = []
            while len(pushed) < 5:
                msg = ws.recv()
                assert msg["method"] == "eth_subscription"
                assert msg["params"]["subscription"] == sub_id
                pushed.append(msg["params"]["result"])
            assert [hex_int(sb["number"]) for sb in pushed] == [1, 2, 3, 4, 5]
            for i, sb in enumerate(pushed):
                assert sb == r.call("xr_getSuperblockByNumber", hex(i + 1), False)
                # automine: only chain 902 advanced; anvil_mine: every chain
                assert [hex_int(b["chainId"]) for b in sb["blocks"]] == ([902] if i < 3 else list(CHAINS))
            for sb, h in zip(pushed[:3], expected, strict=True):
                assert r.call("xr_getSuperblockByNumber", sb["number"], True)["blocks"][0]["transactions"] == [h]
            assert pushed[1]["parentHash"] == pushed[0]["hash"]

            ws.send({"jsonrpc": "2.0", "id": 2, "method": "eth_unsubscribe", "params": [sub_id]})
            assert ws.recv() == {"jsonrpc": "2.0", "id": 2, "result": True}
            r.call("evm_mine")
            ws.send({"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": []})
            assert ws.recv()["id"] == 3, "no push may arrive after eth_unsubscribe"
