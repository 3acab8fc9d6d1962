"""eth_subscribe("xr_pendingTransactions"): every chain's pending transactions, with their
chain id, on any endpoint's WebSocket, as the shared sequencer pools them."""

from __future__ import annotations

from tests.sequencer.seq_helpers import ADDRS, DevnetServer, transfer
from tests.support.rpc import WsRpc


def test_one_subscription_sees_every_chains_pending_transactions() -> None:
    with DevnetServer(no_mining=True) as server:
        ws = WsRpc(server.urls[902])
        try:
            sub = ws.subscribe("xr_pendingTransactions")
            local = ws.subscribe("newPendingTransactions")
            h901 = server.rpc(901).call("eth_sendRawTransaction", transfer(901, 0, 0, value=5)[0])
            h902 = server.rpc(902).call("eth_sendRawTransaction", transfer(902, 1, 0, value=6)[0])
            first, second = ws.next(sub), ws.next(sub)
            assert (first["hash"], first["chainId"]) == (h901, "0x385")
            assert (second["hash"], second["chainId"]) == (h902, "0x386")
            assert first["from"].lower() == ADDRS[0].lower() and first["value"] == "0x5"
            assert first["to"].lower() == ADDRS[9].lower() and "input" in first
            # the chain's own stream still shows only its own chain
            assert ws.next(local) == h902
            assert [n for n in ws.drain() if n["params"]["subscription"] == local] == []
        finally:
            ws.close()


def test_the_stream_shows_transactions_before_they_are_mined() -> None:
    with DevnetServer(no_mining=True) as server:
        ws = WsRpc(server.urls[901])
        try:
            sub = ws.subscribe("xr_pendingTransactions")
            rpc = server.rpc(902)
            tx_hash = rpc.call("eth_sendRawTransaction", transfer(902, 2, 0)[0])
            seen = ws.next(sub)
            assert seen["hash"] == tx_hash and seen["blockNumber"] is None
            assert rpc.receipt(tx_hash) is None
        finally:
            ws.close()


def test_the_subscription_needs_a_websocket() -> None:
    with DevnetServer(no_mining=True) as server:
        err = server.rpc(901).error("eth_subscribe", "xr_pendingTransactions")
        assert err.code == -32601
