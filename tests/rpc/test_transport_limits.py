"""Transport limits against real servers: crash payloads (deep nesting), NaN/Infinity ids, batch
caps, and a WebSocket peer that never reads (dropped while other peers keep being answered).

The devnet tests run with py-evm imported, so Python's recursion limit is the raised one
(100,000) under which a recursive JSON decoder runs off the C stack.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

import rpc.server
from rpc import Connection, Dispatcher, Endpoint, Method, MethodTable, Param, ServerGroup, build_app
from rpc.jsonrpc import MAX_BATCH, MAX_DEPTH, MalformedPayload, decode
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

HOST = "127.0.0.1"
TOO_DEEP = f"invalid request: arrays and objects nest deeper than {MAX_DEPTH} levels"


# ---------------------------------------------------------------- clients


def post(port: int, body: bytes | str | Any) -> tuple[int, Any]:
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def req(method: str, params: Any = None, rid: Any = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        out["params"] = params
    return out


def err(rid: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}}


def ws(port: int) -> ClientConnection:
    return ws_connect(f"ws://{HOST}:{port}/", open_timeout=10, max_size=None)


def ws_call(sock: ClientConnection, payload: bytes | str | Any) -> Any:
    sock.send(payload if isinstance(payload, (str, bytes)) else json.dumps(payload))
    return json.loads(sock.recv(timeout=30))


class RawWebSocket:
    """A WebSocket client on a bare socket, so that it can stop reading (the websockets client
    reads in a background thread). Its receive buffer is kept small."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect((HOST, port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self._read(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    def send(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        mask = os.urandom(4)
        size = len(data)
        if size < 126:
            header = bytes([0x81, 0x80 | size])
        elif size < 1 << 16:
            header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
        else:
            header = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame; raises EOFError when the server closed."""
        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(self._read(2), "big")
        elif size == 127:
            size = int.from_bytes(self._read(8), "big")
        return first & 0x0F, self._read(size)

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------- the real devnet


@pytest.fixture(scope="module")
def devnet_port() -> Iterator[int]:
    thread = DevnetThread(DevnetConfig(chain_ids=(901,), port=0, silent=True)).start()
    try:
        yield int(thread.urls[901].rsplit(":", 1)[1])
    finally:
        thread.stop()


def alive(port: int) -> None:
    assert post(port, req("eth_chainId")) == (200, {"jsonrpc": "2.0", "id": 1, "result": hex(901)})


CRASH_PAYLOADS = {
    "70000 open brackets": "[" * 70_000,
    "params nested 60000 deep": json.dumps(req("eth_call"))[:-1] + ',"params":' + "[" * 60_000 + "]" * 60_000 + "}",
    "objects nested 60000 deep": '{"a":' * 60_000 + "1" + "}" * 60_000,
    "a batch entry nested deep": "[" + json.dumps(req("eth_chainId")) + "," + "[" * 5_000 + "]" * 5_000 + "]",
}


def test_recursion_limit_is_the_raised_one() -> None:
    assert sys.getrecursionlimit() >= 100_000  # py-evm's, the condition the crash needed


@pytest.mark.parametrize("name", list(CRASH_PAYLOADS))
def test_deep_nesting_over_http_is_refused_and_the_devnet_lives(devnet_port: int, name: str) -> None:
    status, reply = post(devnet_port, CRASH_PAYLOADS[name])
    assert status == 200
    assert reply["id"] is None and reply["error"]["code"] in (-32600, -32700)
    if name != "70000 open brackets":  # balanced: JSON but too deep
        assert reply == err(None, -32600, TOO_DEEP)
    alive(devnet_port)


def test_deep_nesting_over_websocket_keeps_the_socket(devnet_port: int) -> None:
    with ws(devnet_port) as sock:
        for payload in CRASH_PAYLOADS.values():
            reply = ws_call(sock, payload)
            assert reply["id"] is None and reply["error"]["code"] in (-32600, -32700)
            assert ws_call(sock, req("eth_chainId", rid=2)) == {"jsonrpc": "2.0", "id": 2, "result": hex(901)}
    alive(devnet_port)


def test_nesting_within_the_limit_reaches_the_method(devnet_port: int) -> None:
    nested: Any = 1
    for _ in range(MAX_DEPTH - 3):  # the envelope and params add three levels
        nested = [nested]
    status, reply = post(devnet_port, req("eth_getBalance", [nested]))
    assert status == 200 and reply["error"]["code"] == -32602


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_ids_and_params_are_parse_errors(devnet_port: int, constant: str) -> None:
    for body in (f'{{"jsonrpc":"2.0","id":{constant},"method":"eth_chainId"}}',
                 f'{{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[{constant}]}}'):
        status, reply = post(devnet_port, body)  # json.loads of the reply proves it is JSON
        assert status == 200 and reply["id"] is None and reply["error"]["code"] == -32700
        assert reply["error"]["message"].startswith("parse error")
    with ws(devnet_port) as sock:
        reply = ws_call(sock, f'{{"jsonrpc":"2.0","id":{constant},"method":"eth_chainId"}}')
        assert reply["id"] is None and reply["error"]["code"] == -32700
        assert ws_call(sock, req("eth_chainId", rid=3))["result"] == hex(901)


@pytest.mark.parametrize("rid", [{"a": 1}, [1], True])
def test_ids_that_are_not_strings_or_numbers(devnet_port: int, rid: Any) -> None:
    assert post(devnet_port, req("eth_chainId", rid=rid)) == (
        200, err(None, -32600, "invalid request: id must be a string, number or null"))


def test_huge_integer_is_a_parse_error(devnet_port: int) -> None:
    status, reply = post(devnet_port, '{"jsonrpc":"2.0","id":' + "9" * 5000 + ',"method":"eth_chainId"}')
    assert status == 200 and reply == err(None, -32700, "parse error: a number has too many digits")


def test_batch_limits(devnet_port: int) -> None:
    assert post(devnet_port, []) == (200, err(None, -32600, "invalid request: empty batch"))
    status, reply = post(devnet_port, [req("eth_chainId", rid=i) for i in range(MAX_BATCH + 1)])
    assert (status, reply) == (200, err(
        None, -32600, f"invalid request: batch too large: {MAX_BATCH + 1} requests, the limit is {MAX_BATCH}"))
    status, replies = post(devnet_port, [req("eth_chainId", rid=i) for i in range(MAX_BATCH)])
    assert status == 200 and [r["id"] for r in replies] == list(range(MAX_BATCH))
    status, replies = post(devnet_port, [req("eth_chainId", rid=1), 7, {"id": [2], "method": "eth_chainId"},
                                         req("eth_getBalance", ["0x12"], rid=3)])
    assert status == 200
    assert replies[0] == {"jsonrpc": "2.0", "id": 1, "result": hex(901)}
    assert replies[1] == err(None, -32600, "invalid request: expected an object")
    assert replies[2] == err(None, -32600, "invalid request: id must be a string, number or null")
    assert replies[3]["id"] == 3 and replies[3]["error"]["code"] == -32602
    with ws(devnet_port) as sock:
        reply = ws_call(sock, [req("eth_chainId", rid=i) for i in range(MAX_BATCH + 1)])
        assert reply["error"]["code"] == -32600 and "batch too large" in reply["error"]["message"]
        assert ws_call(sock, req("eth_chainId", rid=4))["result"] == hex(901)


# ---------------------------------------------------------------- a peer that never reads


class Pusher:
    """Subscriptions that push whatever ``push`` is given (state touched on the server's loop only)."""

    def __init__(self) -> None:
        self.subs: dict[str, Connection] = {}
        self.closed: list[str] = []
        self._next = 0

    def subscribe(self, conn: Connection) -> str:
        self._next += 1
        sub_id = f"s{self._next}"
        self.subs[sub_id] = conn
        conn.on_close(lambda: self._closed(sub_id))
        return sub_id

    def _closed(self, sub_id: str) -> None:
        self.subs.pop(sub_id, None)
        self.closed.append(sub_id)

    def push(self, value: Any) -> int:
        for sub_id, conn in list(self.subs.items()):
            conn.notify("push_subscription", {"subscription": sub_id, "result": value})
        return len(self.subs)

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(MethodTable([
            Method("subscribe", self.subscribe, needs_connection=True),
            Method("push", self.push, (Param("value", lambda v: v),)),
            Method("closed", lambda: list(self.closed)),
        ]))


@pytest.fixture
def pusher_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(rpc.server, "MAX_SEND_QUEUE_BYTES", 1 << 20)
    group = ServerGroup([Endpoint(HOST, 0, build_app(Pusher().dispatcher()))])
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        await group.start()
        started.set()
        await stop.wait()
        await group.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(10)
    yield group.ports[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def test_a_peer_that_never_reads_is_dropped_and_others_are_served(pusher_port: int) -> None:
    slow = RawWebSocket(pusher_port)
    slow.send(req("subscribe"))
    opcode, payload = slow.recv_frame()
    slow_sub = json.loads(payload)["result"]
    with ws(pusher_port) as fast:
        fast_sub = ws_call(fast, req("subscribe"))["result"]
        blob = "x" * 100_000
        pushes = 0
        while slow_sub not in post(pusher_port, req("closed"))[1]["result"]:
            pushes += 1
            assert pushes < 400, "the peer that never reads was not dropped"
            post(pusher_port, req("push", [blob]))
            note = json.loads(fast.recv(timeout=10))  # the reading peer gets every push
            assert note["params"] == {"subscription": fast_sub, "result": blob}
        # the slow peer's queue is bounded: it was dropped after about (limit + socket buffers) / push
        assert pushes * len(blob) < 40 * (1 << 20)
        assert post(pusher_port, req("push", ["after"]))[1]["result"] == 1  # only the reading peer is left
        assert json.loads(fast.recv(timeout=10))["params"]["result"] == "after"
        assert ws_call(fast, req("closed", rid=5))["result"] == [slow_sub]
    # once the slow peer reads, it finds what had been sent, then the end of the connection
    deadline = time.monotonic() + 30
    frames = 0
    try:
        while time.monotonic() < deadline:
            opcode, payload = slow.recv_frame()
            frames += 1
            if opcode == 0x8:  # close frame: 1008, policy violation
                assert int.from_bytes(payload[:2], "big") == 1008
                break
    except EOFError:
        pass
    else:
        assert opcode == 0x8, "the dropped peer's connection stayed open"
    finally:
        slow.close()
    assert frames < pushes


# ---------------------------------------------------------------- the nesting check itself


def _outcome(text: str) -> Any:
    try:
        return decode(text)
    except MalformedPayload as exc:
        return exc.code


@pytest.mark.parametrize(("text", "expected"), [
    ("[" * MAX_DEPTH + "]" * MAX_DEPTH, "ok"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), -32600),
    ('{"a":' * 64 + "[" * 64 + "1" + "]" * 64 + "}" * 64, "ok"),  # objects and arrays count alike
    ('{"a":' * 65 + "[" * 64 + "1" + "]" * 64 + "}" * 65, -32600),
    ('["' + "[" * 500 + '"]', "ok"),  # brackets inside strings do not nest
    ('["\\"' + "]" * 500 + '", ' + "[" * 200 + "]" * 200 + "]", -32600),  # nor close, past an escaped quote
    ('["\\\\", ' + "[" * 100 + "]" * 100 + "]", "ok"),  # an escaped backslash ends no string early
    ("[" * 100 + "}" * 100, -32700),  # mismatched: the decoder's finding
    ("[" * 100 + "]" * 99, -32700),
    ("[" * 200 + "]" * 199, -32600),  # deeper than the limit before it fails to balance
    ('["' + "[" * 200, -32700),
    ("[" + "[1,2]," * 5000 + "1]", "ok"),  # wide, shallow
])
def test_nesting_counts_only_structure(text: str, expected: Any) -> None:
    got = _outcome(text)
    assert (got if isinstance(got, int) else "ok") == expected
    if expected == "ok":
        assert got == json.loads(text)
