"""Cross-rollup traces: an xcall frame nests the destination chain's execute transaction
(recursively, A -> B -> C), debug_traceCall simulates across chains, and `xrollup trace`
prints the whole tree."""

from __future__ import annotations

import io
from typing import Any

from tests.tracing.trace_helpers import (
    MAILBOX,
    SEQUENCER,
    A,
    B,
    C,
    Net,
    calldata,
    counter_init,
    deploy_code,
    hx,
    proxy_runtime,
    xcall_data,
)
from xrollup import trace_cli

INCREMENT = calldata("increment()")
BOOM = calldata("failWithReason()")


def _frames(frame: dict[str, Any]) -> list[dict[str, Any]]:
    return [frame] + [f for child in frame.get("calls", []) for f in _frames(child)]


def test_xcall_nests_the_destination_frame(net: Net) -> None:
    counter = net.deploy(B, counter_init(10))
    tx_hash, receipt = net.send(A, MAILBOX, xcall_data(B, counter, INCREMENT), gas=1_000_000)
    assert receipt["status"] == "0x1"
    (xcall,) = receipt["xcalls"]
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    assert frame["to"] == MAILBOX and frame["gasUsed"] == receipt["gasUsed"]
    x = frame["xrollup"]
    assert x["chainId"] == hex(B) and x["txHash"] == xcall["destinationTxHash"]
    assert x["requestId"] == xcall["requestId"] and "simulated" not in x
    dest = x["trace"]
    assert (dest["from"], dest["to"]) == (SEQUENCER, MAILBOX)
    assert dest["input"].startswith(hx(calldata("execute(uint256,uint256,address,address,uint256,bytes)"))[:10])
    (target,) = dest["calls"]
    assert (target["type"], target["from"], target["to"], target["input"]) == ("CALL", MAILBOX, counter.lower(),
                                                                               hx(INCREMENT))
    assert "error" not in target
    # The destination trace is the destination transaction's own trace.
    own = net.trace(B, x["txHash"], {"tracer": "callTracer"})
    assert own == dest
    # withLog carries over to the destination frames.
    logged = net.trace(A, tx_hash, {"tracer": "callTracer", "tracerConfig": {"withLog": True}})
    assert logged["xrollup"]["trace"]["calls"][0]["logs"][0]["address"] == counter.lower()


def test_nested_xcalls_a_b_c(net: Net) -> None:
    counter = net.deploy(C, counter_init(0))
    relay = net.deploy(B, deploy_code(proxy_runtime(MAILBOX, "CALL")))  # forwards its calldata to the mailbox
    inner = xcall_data(C, counter, INCREMENT)
    tx_hash, receipt = net.send(A, MAILBOX, xcall_data(B, relay, inner), gas=2_000_000)
    assert receipt["status"] == "0x1"
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    on_b = frame["xrollup"]["trace"]
    assert frame["xrollup"]["chainId"] == hex(B)
    nested = [f for f in _frames(on_b) if "xrollup" in f]
    assert len(nested) == 1 and nested[0]["from"] == relay.lower() and nested[0]["to"] == MAILBOX
    second = nested[0]["xrollup"]
    assert second["chainId"] == hex(C) and second["txHash"]
    on_c = second["trace"]
    assert [f["to"] for f in _frames(on_c)] == [MAILBOX, counter.lower()]
    # The C transaction is the one the B chain's receipt names.
    b_receipt = net.rpc(B, "eth_getTransactionReceipt", [frame["xrollup"]["txHash"]])
    assert b_receipt["xcalls"][0]["destinationTxHash"] == second["txHash"]


def test_trace_call_simulates_across_chains(net: Net) -> None:
    counter = net.deploy(B, counter_init(0))
    call = {"from": net.me, "to": MAILBOX, "data": hx(xcall_data(B, counter, INCREMENT))}
    frame = net.rpc(A, "debug_traceCall", [call, "latest", {"tracer": "callTracer"}])
    assert "error" not in frame
    x = frame["xrollup"]
    assert x["chainId"] == hex(B) and x["simulated"] is True
    assert x["trace"]["calls"][0]["to"] == counter.lower()
    # Nothing happened: no block was added and the counter did not move.
    assert net.rpc(B, "eth_call", [{"to": counter, "data": hx(calldata("number()"))}, "latest"]) == "0x" + "00" * 32
    assert net.rpc(A, "eth_getTransactionReceipt", [x["txHash"]]) is None
    # At an older block there is nothing to simulate against: the plain trace shows the
    # mailbox's MissingResponse.
    net.rpc(A, "evm_mine", [])  # A may still be at genesis: chains advance only with work
    number = int(net.rpc(A, "eth_blockNumber", []), 16)
    old = net.rpc(A, "debug_traceCall", [call, hex(number - 1), {"tracer": "callTracer"}])
    assert old["error"] == "execution reverted" and old["xrollup"]["txHash"] is None


def test_reverted_cross_rollup_tx(net: Net) -> None:
    counter = net.deploy(B, counter_init(0))
    tx_hash, receipt = net.send(A, MAILBOX, xcall_data(B, counter, BOOM), gas=1_000_000)
    assert receipt["status"] == "0x0"
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    assert frame["error"] == "execution reverted"
    assert frame["xrollupError"] == {"chainId": hex(B), "reason": "Counter: boom"}
    assert frame["xrollup"]["txHash"] is None  # none of its requests happened
    out = io.StringIO()
    assert trace_cli.main([tx_hash, "--chain", str(A), "--rpc", net.urls[A]], out=out) == 0
    text = out.getvalue()
    assert "reverted" in text and "Counter: boom" in text and "not executed" in text


def test_cli_prints_the_cross_chain_tree(net: Net) -> None:
    counter = net.deploy(B, counter_init(0))
    tx_hash, receipt = net.send(A, MAILBOX, xcall_data(B, counter, INCREMENT), gas=1_000_000)
    dest = receipt["xcalls"][0]["destinationTxHash"]
    out = io.StringIO()
    assert trace_cli.main([tx_hash, "--chain", str(A), "--rpc", net.urls[A]], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"tx {tx_hash} on chain {A}") and "success" in lines[0]
    top = lines[1]
    assert top.startswith("CALL Mailbox(0x4200000000000000000000000000000000000100).xcall(902, ")
    assert "increment()" in top
    arrow = next(i for i, line in enumerate(lines) if "→ chain 902" in line)
    assert lines[arrow].strip().startswith(f"→ chain 902 tx {dest}")
    below = lines[arrow + 1:]
    assert below[0].startswith("    CALL Mailbox(") and ".execute(" in below[0]
    assert below[1].startswith("      CALL Counter(") and ".increment()" in below[1]
    # Without --chain, the transaction is found on whichever chain has it.
    again = io.StringIO()
    assert trace_cli.main([dest, "--rpc", net.urls[A]], out=again) == 0
    assert again.getvalue().startswith(f"tx {dest} on chain {B}")


def test_cli_revert_reason_and_unknown_tx(net: Net, capsys: Any) -> None:
    counter = net.deploy(A, counter_init(0))
    proxy = net.deploy(A, deploy_code(proxy_runtime(counter, "CALL")))
    tx_hash, receipt = net.send(A, proxy, BOOM, gas=200_000)
    assert receipt["status"] == "0x0"
    out = io.StringIO()
    assert trace_cli.main([tx_hash, "--chain", str(A), "--rpc", net.urls[A]], out=out) == 0
    lines = out.getvalue().splitlines()
    assert "reverted" in lines[0]
    assert lines[2].startswith("  CALL Counter(") and ".failWithReason()" in lines[2]
    assert lines[2].endswith("✗ execution reverted: Counter: boom")
    assert trace_cli.main(["0x" + "cd" * 32, "--chain", str(A), "--rpc", net.urls[A]], out=io.StringIO()) == 1
    assert "not found" in capsys.readouterr().err
