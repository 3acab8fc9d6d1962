"""Polling filters are capped per chain and expire unpolled; pending filters and log
subscriptions are fed in proportion to what matches. Against a real devnet (conftest.py: at
most 20 filters per chain, 1 s without a poll)."""

from __future__ import annotations

import time

from tests.reads.conftest import FILTER_TIMEOUT, MAX_FILTERS
from tests.support import ChainRpc, WsRpc

A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
INVALID_PARAMS = -32602
LOG0 = "0x5f5fa000"  # PUSH0 PUSH0 LOG0 STOP: one log with no data


def _transfer(rpc: ChainRpc, chain_id: int, to: str = "0x" + "ab" * 20) -> str:
    return str(rpc.ok(chain_id, "eth_sendTransaction", [{"from": A0, "to": to, "value": "0x1"}]))


def test_filters_are_capped_per_chain(bounded: ChainRpc) -> None:
    made: list[str] = []
    try:
        for _ in range(MAX_FILTERS + 1):
            reply = bounded(902, "eth_newBlockFilter", [])
            if "error" in reply:
                error = reply["error"]
                break
            made.append(reply["result"])
        else:
            raise AssertionError(f"{MAX_FILTERS + 1} filters were accepted")
        assert error["code"] == INVALID_PARAMS
        assert f"too many filters: at most {MAX_FILTERS} per chain" in error["message"]
        # the cap is per chain: the other chain still takes one
        other = bounded.ok(901, "eth_newBlockFilter")
        assert bounded.ok(901, "eth_uninstallFilter", [other]) is True
        # uninstalling one makes room again
        assert bounded.ok(902, "eth_uninstallFilter", [made.pop()]) is True
        made.append(bounded.ok(902, "eth_newPendingTransactionFilter"))
    finally:
        for filter_id in made:
            bounded.ok(902, "eth_uninstallFilter", [filter_id])


def test_unpolled_filters_expire_and_polled_ones_stay(bounded: ChainRpc) -> None:
    idle = bounded.ok(901, "eth_newBlockFilter")
    kept = bounded.ok(901, "eth_newFilter", [{"address": "0x" + "ab" * 20}])
    deadline = time.monotonic() + 2.5 * FILTER_TIMEOUT
    while time.monotonic() < deadline:
        assert bounded.ok(901, "eth_getFilterChanges", [kept]) == []
        time.sleep(FILTER_TIMEOUT / 4)
    error = bounded.err(901, "eth_getFilterChanges", [idle])
    assert error["message"] == "filter not found"
    assert bounded.ok(901, "eth_uninstallFilter", [idle]) is False
    assert bounded.ok(901, "eth_uninstallFilter", [kept]) is True


def test_pending_filters_each_see_every_new_transaction_once(bounded: ChainRpc) -> None:
    first = bounded.ok(902, "eth_newPendingTransactionFilter")
    one = _transfer(bounded, 902)
    second = bounded.ok(902, "eth_newPendingTransactionFilter")
    two = _transfer(bounded, 902)
    try:
        assert bounded.ok(902, "eth_getFilterChanges", [first]) == [one, two]
        assert bounded.ok(902, "eth_getFilterChanges", [second]) == [two]
        three = _transfer(bounded, 902)
        assert bounded.ok(902, "eth_getFilterChanges", [first]) == [three]
        assert bounded.ok(902, "eth_getFilterChanges", [second]) == [three]
        assert bounded.ok(902, "eth_getFilterChanges", [first]) == []
    finally:
        bounded.ok(902, "eth_uninstallFilter", [first])
        bounded.ok(902, "eth_uninstallFilter", [second])


def test_log_subscriptions_get_the_logs_of_their_addresses(bounded: ChainRpc) -> None:
    x, y, z = ("0x" + f"{tag:02x}" * 20 for tag in (0xA1, 0xA2, 0xA3))
    for address in (x, y):
        bounded.ok(901, "anvil_setCode", [address, LOG0])
    ws = WsRpc(bounded.urls[901])
    try:
        sub_x = ws.subscribe("logs", {"address": x})
        sub_xy = ws.subscribe("logs", {"address": [x, y]})
        sub_z = ws.subscribe("logs", {"address": z})
        sub_all = ws.subscribe("logs", {})
        sub_heads = ws.subscribe("newHeads")
        _transfer(bounded, 901, y)
        _transfer(bounded, 901, x)
        assert ws.next(sub_xy)["address"] == y
        assert ws.next(sub_xy)["address"] == x
        assert ws.next(sub_x)["address"] == x
        assert [ws.next(sub_all)["address"] for _ in range(2)] == [y, x]
        ws.next(sub_heads)
        assert ws.ok("eth_unsubscribe", [sub_x]) is True
        _transfer(bounded, 901, x)
        assert ws.next(sub_xy)["address"] == x
        ws.next(sub_all)
        # nothing ever came for z, nor for x after it unsubscribed
        pushed = {m["params"]["subscription"] for m in ws.notifications}
        assert sub_z not in pushed and sub_x not in pushed
    finally:
        ws.ws.close()
