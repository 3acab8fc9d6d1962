"""debug_traceTransaction / debug_traceCall / debug_traceBlock* on one chain: callTracer,
the struct logger, prestateTracer, and the errors."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode

from tests.tracing.trace_helpers import (
    COUNTER,
    CREATE2_DEPLOYER,
    A,
    Net,
    calldata,
    counter_init,
    deploy_code,
    hx,
    proxy_runtime,
    selector,
)

BOOM = calldata("failWithReason()")
INCREMENT = calldata("increment()")
NUMBER = calldata("number()")


def _contracts(net: Net) -> tuple[str, str, str]:
    """Counter(7); a proxy STATICCALLing it; a proxy CALLing that proxy."""
    counter = net.deploy(A, counter_init(7))
    static = net.deploy(A, deploy_code(proxy_runtime(counter, "STATICCALL")))
    outer = net.deploy(A, deploy_code(proxy_runtime(static, "CALL")))
    return counter, static, outer


def test_plain_transfer(net: Net) -> None:
    to = "0x000000000000000000000000000000000000dEaD"
    tx_hash, receipt = net.send(A, to, value=12345)
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    assert frame == {
        "type": "CALL", "from": net.me.lower(), "to": to.lower(), "value": hex(12345),
        "gas": frame["gas"], "gasUsed": hex(21000), "input": "0x",
    }
    tx = net.rpc(A, "eth_getTransactionByHash", [tx_hash])
    assert frame["gas"] == tx["gas"] and receipt["gasUsed"] == hex(21000)


def test_nested_calls_and_revert_reason(net: Net) -> None:
    counter, static, outer = _contracts(net)
    ok_hash, ok = net.send(A, outer, NUMBER, gas=200_000)
    assert ok["status"] == "0x1"
    frame = net.trace(A, ok_hash, {"tracer": "callTracer"})
    assert frame["type"] == "CALL" and frame["to"] == outer.lower() and frame["gas"] == hex(200_000)
    assert frame["gasUsed"] == ok["gasUsed"]
    (mid,) = frame["calls"]
    assert (mid["type"], mid["from"], mid["to"]) == ("CALL", outer.lower(), static.lower())
    (leaf,) = mid["calls"]
    assert (leaf["type"], leaf["from"], leaf["to"]) == ("STATICCALL", static.lower(), counter.lower())
    assert "value" not in leaf and leaf["input"] == hx(NUMBER)
    assert decode(["uint256"], bytes.fromhex(leaf["output"][2:])) == (7,)
    assert frame["output"] == mid["output"] == leaf["output"]
    assert int(leaf["gasUsed"], 16) < int(mid["gasUsed"], 16) < int(frame["gasUsed"], 16)
    assert "error" not in frame and "calls" not in leaf

    bad_hash, bad = net.send(A, outer, BOOM, gas=200_000)
    assert bad["status"] == "0x0"
    frame = net.trace(A, bad_hash, {"tracer": "callTracer"})
    assert frame["gasUsed"] == bad["gasUsed"]
    leaf = frame["calls"][0]["calls"][0]
    for f in (frame, frame["calls"][0], leaf):
        assert f["error"] == "execution reverted"
        assert f["revertReason"] == "Counter: boom"
        assert f["output"].startswith("0x08c379a0")


def test_delegatecall_and_logs(net: Net) -> None:
    counter = net.deploy(A, counter_init(0))
    delegating = net.deploy(A, deploy_code(proxy_runtime(counter, "DELEGATECALL")))
    tx_hash, receipt = net.send(A, delegating, INCREMENT, gas=200_000)
    assert receipt["status"] == "0x1"
    frame = net.trace(A, tx_hash, {"tracer": "callTracer", "tracerConfig": {"withLog": True}})
    (inner,) = frame["calls"]
    assert (inner["type"], inner["from"], inner["to"]) == ("DELEGATECALL", delegating.lower(), counter.lower())
    (log,) = inner["logs"]  # emitted by the delegating contract's storage context
    assert log["address"] == delegating.lower() and log["position"] == "0x0"
    assert log["topics"][0] == receipt["logs"][0]["topics"][0] and "logs" not in frame
    only_top = net.trace(A, tx_hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": True}})
    assert "calls" not in only_top and only_top["gasUsed"] == frame["gasUsed"]


def test_create_and_create2(net: Net) -> None:
    tx_hash, receipt = net.send(A, None, counter_init(3))
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    assert frame["type"] == "CREATE" and frame["to"] == receipt["contractAddress"]
    assert frame["input"] == hx(counter_init(3))
    assert frame["output"] == COUNTER["deployedBytecode"] and frame["gasUsed"] == receipt["gasUsed"]

    pre = net.trace(A, tx_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}})
    assert receipt["contractAddress"] not in pre["pre"]  # did not exist before
    assert pre["post"][receipt["contractAddress"]]["code"] == COUNTER["deployedBytecode"]

    salt = b"\x01" * 32
    tx_hash, receipt = net.send(A, CREATE2_DEPLOYER, salt + counter_init(4), gas=1_000_000)
    assert receipt["status"] == "0x1"
    frame = net.trace(A, tx_hash, {"tracer": "callTracer"})
    (created,) = frame["calls"]
    assert created["type"] == "CREATE2" and created["from"] == CREATE2_DEPLOYER
    assert created["output"] == COUNTER["deployedBytecode"]
    assert frame["output"] == created["to"]  # the deployer returns the new address (20 bytes)


def test_struct_logs(net: Net) -> None:
    counter, static, outer = _contracts(net)
    tx_hash, receipt = net.send(A, outer, NUMBER, gas=200_000)
    result = net.trace(A, tx_hash)
    assert result["gas"] == int(receipt["gasUsed"], 16) and result["failed"] is False
    assert decode(["uint256"], bytes.fromhex(result["returnValue"][2:])) == (7,)
    logs: list[dict[str, Any]] = result["structLogs"]
    assert logs[0] == {"pc": 0, "op": "CALLDATASIZE", "gas": logs[0]["gas"], "gasCost": 2, "depth": 1, "stack": []}
    assert [e["depth"] for e in logs if e["op"] in ("CALL", "STATICCALL")] == [1, 2]
    assert {e["depth"] for e in logs} == {1, 2, 3}
    assert logs[-1]["op"] == "RETURN" and logs[-1]["depth"] == 1
    call = next(e for e in logs if e["op"] == "CALL")
    assert call["stack"][-2] == static.lower() and int(call["stack"][-1], 16) <= call["gas"]
    # Gas only goes down, op by op, inside a frame: gas[i+1] == gas[i] - gasCost[i].
    for here, nxt in zip(logs, logs[1:], strict=False):
        if here["depth"] == nxt["depth"] and here["op"] not in ("CALL", "STATICCALL"):
            assert nxt["gas"] == here["gas"] - here["gasCost"], (here, nxt)
        if nxt["depth"] == here["depth"] + 1:  # entering a call: the callee's gas is what the call passed
            assert nxt["gas"] <= here["gasCost"]
    counter_ops = [e["op"] for e in logs if e["depth"] == 3]
    assert counter_ops[:2] == ["PUSH1", "PUSH1"] and "SLOAD" in counter_ops
    sload = next(e for e in logs if e["op"] == "SLOAD")
    assert sload["storage"] == {"00" * 32: f"{7:064x}"}

    lean = net.trace(A, tx_hash, {"disableStack": True, "disableStorage": True, "enableMemory": True, "limit": 5})
    assert len(lean["structLogs"]) == 5 and all("stack" not in e for e in lean["structLogs"])
    assert lean["structLogs"][-1]["memory"] == [NUMBER.hex() + "00" * 28]  # calldata copied to 0


def test_struct_logs_of_a_revert(net: Net) -> None:
    counter = net.deploy(A, counter_init(0))
    tx_hash, receipt = net.send(A, counter, BOOM, gas=100_000)
    result = net.trace(A, tx_hash)
    assert result["failed"] is True and result["gas"] == int(receipt["gasUsed"], 16)
    assert result["returnValue"].startswith("0x08c379a0")
    assert result["structLogs"][-1]["op"] == "REVERT"


def test_prestate(net: Net) -> None:
    counter = net.deploy(A, counter_init(41))
    tx_hash, _ = net.send(A, counter, INCREMENT, gas=100_000)
    pre = net.trace(A, tx_hash, {"tracer": "prestateTracer"})
    slot0 = "0x" + "00" * 32
    assert pre[counter.lower()]["storage"] == {slot0: "0x" + f"{41:064x}"}
    assert pre[counter.lower()]["code"] == COUNTER["deployedBytecode"]
    assert pre[net.me.lower()]["nonce"] >= 1
    diff = net.trace(A, tx_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}})
    assert diff["post"][counter.lower()] == {"storage": {slot0: "0x" + f"{42:064x}"}}
    assert diff["post"][net.me.lower()]["nonce"] == diff["pre"][net.me.lower()]["nonce"] + 1


def test_trace_call_at_block_tag(net: Net) -> None:
    counter = net.deploy(A, counter_init(5))
    _h, receipt = net.send(A, counter, calldata("setNumber(uint256)", ["uint256"], [6]))
    at = receipt["blockNumber"]
    net.send(A, counter, calldata("setNumber(uint256)", ["uint256"], [9]))
    call = {"from": net.me, "to": counter, "data": hx(NUMBER)}
    for tag, expected in ((at, 6), ("latest", 9), (hex(int(at, 16) - 1), 5)):
        frame = net.rpc(A, "debug_traceCall", [call, tag, {"tracer": "callTracer"}])
        assert frame["type"] == "CALL" and decode(["uint256"], bytes.fromhex(frame["output"][2:])) == (expected,)
    frame = net.rpc(A, "debug_traceCall", [call | {"data": hx(BOOM)}, "latest", {"tracer": "callTracer"}])
    assert frame["revertReason"] == "Counter: boom"
    logs = net.rpc(A, "debug_traceCall", [call, at])
    assert logs["failed"] is False and any(e["op"] == "SLOAD" for e in logs["structLogs"])
    # eth_call agrees
    assert net.rpc(A, "eth_call", [call, at]) == "0x" + encode(["uint256"], [6]).hex()


def test_trace_block(net: Net) -> None:
    counter = net.deploy(A, counter_init(0))
    tx_hash, receipt = net.send(A, counter, INCREMENT)
    traces = net.rpc(A, "debug_traceBlockByNumber", [receipt["blockNumber"], {"tracer": "callTracer"}])
    assert [t["txHash"] for t in traces] == [tx_hash]
    assert traces[0]["result"] == net.trace(A, tx_hash, {"tracer": "callTracer"})
    by_hash = net.rpc(A, "debug_traceBlockByHash", [receipt["blockHash"], {"tracer": "callTracer"}])
    assert by_hash == traces


def test_errors(net: Net) -> None:
    missing = "0x" + "ab" * 32
    err = net.error(A, "debug_traceTransaction", [missing, {"tracer": "callTracer"}])
    assert err["code"] == -32000 and "not found" in err["message"]
    tx_hash, _ = net.send(A, "0x000000000000000000000000000000000000dEaD", value=1)
    err = net.error(A, "debug_traceTransaction", [tx_hash, {"tracer": "noSuchTracer"}])
    assert err["code"] == -32602 and "noSuchTracer" in err["message"]
    err = net.error(A, "debug_traceTransaction", [tx_hash, {"tracer": "callTracer", "tracerConfig": 5}])
    assert err["code"] == -32602
    err = net.error(A, "debug_traceTransaction", ["0x1234"])
    assert err["code"] == -32602


def test_tracing_leaves_execution_alone(net: Net, xrollup_server: Any) -> None:
    from eth.vm.forks.prague.computation import PragueComputation
    from eth.vm.forks.prague.state import PragueState

    counter = net.deploy(A, counter_init(0))
    tx_hash, first = net.send(A, counter, INCREMENT)
    before = net.rpc(A, "eth_getBlockByNumber", ["latest", False])["stateRoot"]
    net.trace(A, tx_hash)
    net.trace(A, tx_hash, {"tracer": "prestateTracer"})
    assert net.rpc(A, "eth_getBlockByNumber", ["latest", False])["stateRoot"] == before
    assert PragueState.computation_class is PragueComputation
    assert PragueComputation.opcodes[0x01].__class__.__name__ != "_Hooked"
    _h, second = net.send(A, counter, INCREMENT)
    assert second["gasUsed"] != "0x0" and second["status"] == "0x1"
    assert net.rpc(A, "eth_call", [{"to": counter, "data": hx(NUMBER)}, "latest"]) == "0x" + f"{2:064x}"
    assert selector("number()") == NUMBER


def test_dev_edits_and_impersonation_replay(net: Net) -> None:
    """A block built after anvil_setBalance/setNextBlockBaseFeePerGas, with an impersonated
    sender, re-executes on the state and in the environment it was built with."""
    who = "0x00000000000000000000000000000000000BEEF1"
    counter = net.deploy(A, counter_init(0))
    net.rpc(A, "anvil_setBalance", [who, hex(10**18)])
    net.rpc(A, "anvil_impersonateAccount", [who])
    net.rpc(A, "anvil_setNextBlockBaseFeePerGas", [hex(3 * 10**9)])
    tx_hash, receipt = net.send(A, counter, INCREMENT, gas=100_000, sender=who)
    assert receipt["status"] == "0x1"
    frame = net.trace(A, tx_hash, {"tracer": "callTracer", "tracerConfig": {"withLog": True}})
    assert frame["from"] == who.lower() and frame["gasUsed"] == receipt["gasUsed"]
    pre = net.trace(A, tx_hash, {"tracer": "prestateTracer"})
    assert pre[who.lower()]["balance"] == hex(10**18)
    net.rpc(A, "anvil_stopImpersonatingAccount", [who])
