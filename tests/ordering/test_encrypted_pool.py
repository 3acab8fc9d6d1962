"""The encrypted (commit-reveal) policy: until its superblock is ordered, a pending transaction
shows only its hash, sender and chain through every read method; once mined, all of it."""

from __future__ import annotations

import json

from tests.sequencer.seq_helpers import ADDRS, DevnetServer, sign, transfer
from tests.support.rpc import WsRpc

SECRET = "0x" + "c0ffee" * 8  # calldata that must not leak
RECIPIENT = "0x" + "ab" * 20
VALUE = 123_456_789


def leaks(payload: object) -> list[str]:
    text = json.dumps(payload).lower()
    return [s for s in (SECRET[2:], RECIPIENT[2:], hex(VALUE)[2:]) if s in text]


def test_no_read_method_shows_more_than_the_commitment_before_ordering() -> None:
    with DevnetServer(no_mining=True, order="encrypted") as server:
        rpc = server.rpc(901)
        ws = WsRpc(server.urls[902])
        try:
            local_full = WsRpc(server.urls[901])
            try:
                full_sub = local_full.subscribe("newPendingTransactions", True)
                hashes_sub = local_full.subscribe("newPendingTransactions")
                stream = ws.subscribe("xr_pendingTransactions")
                pending_filter = rpc.call("eth_newPendingTransactionFilter")
                raw, tx_hash = sign(901, 4, 0, to=RECIPIENT, value=VALUE, data=SECRET, gas=100_000)
                assert rpc.call("eth_sendRawTransaction", raw) == tx_hash
                commitment = {"hash": tx_hash, "from": ADDRS[4].lower(), "chainId": "0x385", "sealed": True,
                              "blockHash": None, "blockNumber": None, "transactionIndex": None}
                reads = {
                    "eth_getTransactionByHash": rpc.call("eth_getTransactionByHash", tx_hash),
                    "txpool_content": rpc.call("txpool_content"),
                    "txpool_inspect": rpc.call("txpool_inspect"),
                    "txpool_status": rpc.call("txpool_status"),
                    "eth_getFilterChanges": rpc.call("eth_getFilterChanges", pending_filter),
                    "newPendingTransactions(full)": local_full.next(full_sub),
                    "newPendingTransactions": local_full.next(hashes_sub),
                    "xr_pendingTransactions": ws.next(stream),
                    "eth_getTransactionReceipt": rpc.call("eth_getTransactionReceipt", tx_hash),
                    "eth_getBlockByNumber(pending)": rpc.call("eth_getBlockByNumber", "pending", True),
                    "eth_getRawTransactionByHash": rpc.call("eth_getRawTransactionByHash", tx_hash),
                }
                for method, result in reads.items():
                    assert leaks(result) == [], (method, result)
                assert reads["eth_getTransactionByHash"] == commitment
                assert reads["newPendingTransactions(full)"] == commitment
                assert reads["xr_pendingTransactions"] == commitment
                assert reads["txpool_content"]["pending"] == {ADDRS[4].lower(): {"0": commitment}}
                assert reads["txpool_inspect"]["pending"][ADDRS[4].lower()]["0"] == f"sealed commitment {tx_hash}"
                assert reads["eth_getFilterChanges"] == [tx_hash]
                # ordered and mined: everything is revealed
                rpc.call("evm_mine")
                mined = rpc.call("eth_getTransactionByHash", tx_hash)
                assert mined["input"] == SECRET and mined["to"] == RECIPIENT and mined["value"] == hex(VALUE)
                assert mined["blockNumber"] == "0x1"
            finally:
                local_full.close()
        finally:
            ws.close()


def test_encrypted_orders_by_arrival_and_other_chains_stay_open() -> None:
    with DevnetServer(no_mining=True, order="901=encrypted") as server:
        rpc = server.rpc(901)
        low = rpc.call("eth_sendRawTransaction", transfer(901, 0, 0, tip=1)[0])
        high = rpc.call("eth_sendRawTransaction", transfer(901, 1, 0, tip=5 * 10**9)[0])
        open_hash = server.rpc(902).call("eth_sendRawTransaction", transfer(902, 2, 0, value=77)[0])
        assert server.rpc(902).call("eth_getTransactionByHash", open_hash)["value"] == hex(77)
        rpc.call("evm_mine")
        assert rpc.call("eth_getBlockByNumber", "0x1", False)["transactions"] == [low, high]
