"""Transport-level tests: real uvicorn servers on free ports, stdlib HTTP client, websockets sync client."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from rpc import (
    Connection,
    Dispatcher,
    Endpoint,
    InvalidParams,
    Method,
    MethodTable,
    Param,
    RpcError,
    ServerGroup,
    build_app,
    find_free_port,
)

HOST = "127.0.0.1"


# ---------------------------------------------------------------- toy methods


def parse_int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected integer, got {type(value).__name__}")
    return value


def parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected string")
    return value


class Reverted(Exception):
    def __init__(self, payload: str) -> None:
        super().__init__("reverted")
        self.payload = payload


def map_error(exc: Exception) -> RpcError | None:
    if isinstance(exc, Reverted):
        return RpcError(3, "execution reverted", exc.payload)
    return None


class ToyChain:
    """State shared by the toy handlers (only touched on the server's event-loop thread)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.subs: dict[str, Connection] = {}
        self.closed_subs: list[str] = []
        self.calls: list[str] = []
        self._next = 0

    def subscribe(self, conn: Connection, count: int) -> str:
        self._next += 1
        sub_id = f"sub{self._next}"
        conn.on_close(lambda: self._unsubscribe(sub_id))
        for i in range(count):
            conn.notify("toy_subscription", {"subscription": sub_id, "result": i})
        self.subs[sub_id] = conn
        return sub_id

    def _unsubscribe(self, sub_id: str) -> None:
        self.subs.pop(sub_id, None)
        self.closed_subs.append(sub_id)

    def emit(self, value: Any) -> int:
        for sub_id, conn in self.subs.items():
            conn.notify("toy_subscription", {"subscription": sub_id, "result": value})
        return len(self.subs)

    def boom(self) -> None:
        raise RuntimeError("kaboom")

    def revert(self) -> None:
        raise Reverted("0xdeadbeef")

    def bad_params(self) -> None:
        raise InvalidParams("custom invalid params", {"why": "because"})

    async def slow_echo(self, value: Any) -> Any:
        await asyncio.sleep(0.01)
        return value

    def table(self) -> MethodTable:
        any_value = Param("value", lambda v: v)
        return MethodTable([
            Method("chain", lambda: self.label),
            Method("echo", lambda v: v, (any_value,)),
            Method("add", lambda a, b, c: a + b + c,
                   (Param("a", parse_int), Param("b", parse_int), Param("c", parse_int, optional=True, default=0)),
                   aliases=("sum",)),
            Method("greet", lambda name: f"hello {name}", (Param("name", parse_str),)),
            Method("boom", self.boom),
            Method("revert", self.revert),
            Method("bad_params", self.bad_params),
            Method("unserializable", lambda: object()),
            Method("slow_echo", self.slow_echo, (any_value,), is_async=True),
            Method("subscribe", self.subscribe, (Param("count", parse_int),), needs_connection=True),
            Method("emit", self.emit, (any_value,)),
            Method("closed_subs", lambda: list(self.closed_subs)),
            Method("calls", lambda: list(self.calls)),
        ])

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.table(), error_mapper=map_error, on_call=self.calls.append)


# ---------------------------------------------------------------- server harness


class ServerThread:
    """A ServerGroup running in its own thread with its own event loop."""

    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.group = ServerGroup(endpoints)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.group.start()
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.group.stop()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "server did not start"
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive(), "server did not stop"


@pytest.fixture(scope="module")
def chains() -> Iterator[tuple[ToyChain, ToyChain, int, int]]:
    a, b = ToyChain("A"), ToyChain("B")
    port_a, port_b = find_free_port(), find_free_port()
    server = ServerThread([
        Endpoint(HOST, port_a, build_app(a.dispatcher(), title="chain-a")),
        Endpoint(HOST, port_b, build_app(b.dispatcher(), title="chain-b")),
    ])
    server.start()
    assert server.group.ports == [port_a, port_b]
    yield a, b, port_a, port_b
    server.stop()


@pytest.fixture
def port(chains: tuple[ToyChain, ToyChain, int, int]) -> int:
    return chains[2]


def post(port: int, body: bytes | str | Any, headers: dict[str, str] | None = None,
         method: str = "POST") -> tuple[int, bytes, dict[str, str]]:
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, "/", body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def rpc(port: int, payload: Any) -> Any:
    status, body, headers = post(port, payload)
    assert status == 200
    assert headers["content-type"] == "application/json"
    return json.loads(body)


def req(method: str, params: Any = None, rid: Any = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        out["params"] = params
    return out


def err(rid: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": rid, "error": error}


def ok(rid: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# ---------------------------------------------------------------- HTTP


def test_single_call_exact_bytes(port: int) -> None:
    status, body, headers = post(port, req("add", [1, 2]))
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body == b'{"jsonrpc":"2.0","id":1,"result":3}'


def test_a_response_leaves_in_one_piece(port: int) -> None:
    """Head and body in one write: a keep-alive client's first read gets the whole answer
    (one that gets the head alone wakes up twice per answer)."""
    body = json.dumps(req("add", [1, 2])).encode()
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(20):
            sock.sendall(request)
            first = sock.recv(65536)
            assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b'{"jsonrpc":"2.0","id":1,"result":3}'), first


def test_ids_are_echoed_verbatim(port: int) -> None:
    assert rpc(port, req("echo", ["x"], rid="abc")) == ok("abc", "x")
    assert rpc(port, req("echo", [None], rid=None)) == err(None, -32602, "missing value for required argument 0 (value)")
    assert rpc(port, req("echo", [[1, {"a": None}]], rid=7.5)) == ok(7.5, [1, {"a": None}])


def test_alias_optional_and_async(port: int) -> None:
    assert rpc(port, req("sum", [1, 2])) == ok(1, 3)
    assert rpc(port, req("add", [1, 2, None])) == ok(1, 3)
    assert rpc(port, req("add", [1, 2, 4])) == ok(1, 7)
    assert rpc(port, req("slow_echo", [{"k": 1}])) == ok(1, {"k": 1})


def test_missing_jsonrpc_is_accepted_but_wrong_version_rejected(port: int) -> None:
    assert rpc(port, {"id": 4, "method": "chain"}) == ok(4, "A")
    assert rpc(port, {"jsonrpc": "1.0", "id": 5, "method": "chain"}) == err(
        5, -32600, 'invalid request: jsonrpc must be "2.0"')


def test_batch_mixed(port: int) -> None:
    batch = [
        req("add", [2, 3], rid=1),
        {"jsonrpc": "2.0", "id": 2, "method": 5},
        {"jsonrpc": "2.0", "method": "echo", "params": ["notification"]},
        req("nope", [], rid=3),
        42,
        req("greet", ["bob"], rid="x"),
        {"jsonrpc": "2.0", "id": {"bad": "id"}, "method": "chain"},
        req("add", [1, "2"], rid=4),
    ]
    assert rpc(port, batch) == [
        ok(1, 5),
        err(2, -32600, "invalid request: method must be a string"),
        err(3, -32601, "the method nope does not exist/is not available"),
        err(None, -32600, "invalid request: expected an object"),
        ok("x", "hello bob"),
        err(None, -32600, "invalid request: id must be a string, number or null"),
        err(4, -32602, "invalid params: b: expected integer, got str"),
    ]


def test_empty_batch(port: int) -> None:
    assert rpc(port, []) == err(None, -32600, "invalid request: empty batch")


def test_notifications_get_no_response(port: int) -> None:
    for payload in ([{"jsonrpc": "2.0", "method": "echo", "params": [1]},
                     {"jsonrpc": "2.0", "method": "unknown_method"}],
                    {"jsonrpc": "2.0", "method": "boom"}):
        status, body, _ = post(port, payload)
        assert (status, body) == (200, b"")


def test_parse_error_then_keeps_serving(port: int) -> None:
    for bad in (b'{"jsonrpc":"2.0",', b"\xff\xfe\x00garbage", b"", b"[1,2"):
        assert rpc(port, bad) == err(None, -32700, "parse error")
    conn = http.client.HTTPConnection(HOST, port, timeout=10)  # same keep-alive connection
    try:
        for body in (b"{not json", json.dumps(req("chain")).encode()):
            conn.request("POST", "/", body=body)
            resp = conn.getresponse()
            assert resp.status == 200
            replies = json.loads(resp.read())
        assert replies == ok(1, "A")
    finally:
        conn.close()


def test_non_object_top_level(port: int) -> None:
    assert rpc(port, b"42") == err(None, -32600, "invalid request: expected an object")
    assert rpc(port, req("echo", "scalar")) == err(1, -32600, "invalid request: params must be an array or an object")


def test_unknown_method(port: int) -> None:
    assert rpc(port, req("eth_whatever", [])) == err(1, -32601, "the method eth_whatever does not exist/is not available")


def test_invalid_param_type_names_the_parameter(port: int) -> None:
    assert rpc(port, req("add", [1, "2"])) == err(1, -32602, "invalid params: b: expected integer, got str")
    assert rpc(port, req("greet", [5])) == err(1, -32602, "invalid params: name: expected string")


def test_missing_required_param(port: int) -> None:
    assert rpc(port, req("add", [1])) == err(1, -32602, "missing value for required argument 1 (b)")
    assert rpc(port, req("add")) == err(1, -32602, "missing value for required argument 0 (a)")
    assert rpc(port, req("add", [None, 1])) == err(1, -32602, "missing value for required argument 0 (a)")


def test_too_many_params(port: int) -> None:
    assert rpc(port, req("add", [1, 2, 3, 4])) == err(1, -32602, "too many arguments, want at most 3")
    assert rpc(port, req("chain", [1])) == err(1, -32602, "too many arguments, want at most 0")


def test_named_params(port: int) -> None:
    assert rpc(port, req("add", {"b": 2, "a": 40})) == ok(1, 42)
    assert rpc(port, req("add", {"a": 1, "b": 2, "c": 3})) == ok(1, 6)
    assert rpc(port, req("add", {"a": 1})) == err(1, -32602, "missing value for required argument 1 (b)")
    assert rpc(port, req("add", {"a": 1, "b": 2, "zz": 3})) == err(1, -32602, "invalid params: unknown parameter zz")
    assert rpc(port, req("add", {"a": 1, "b": False})) == err(1, -32602, "invalid params: b: expected integer, got bool")


def test_handler_errors(port: int) -> None:
    assert rpc(port, req("revert")) == err(1, 3, "execution reverted", "0xdeadbeef")
    assert rpc(port, req("boom")) == err(1, -32603, "kaboom")
    assert rpc(port, req("bad_params")) == err(1, -32602, "custom invalid params", {"why": "because"})
    reply = rpc(port, req("unserializable"))
    assert reply["id"] == 1 and reply["error"]["code"] == -32603
    assert reply["error"]["message"].startswith("result is not JSON-serializable")


def test_subscribe_over_http_is_refused(port: int) -> None:
    assert rpc(port, req("subscribe", [1])) == err(1, -32000, "subscriptions need a WebSocket connection")


def test_on_call_hook(chains: tuple[ToyChain, ToyChain, int, int]) -> None:
    _, _, _, port_b = chains
    rpc(port_b, [req("chain"), req("nope"), {"jsonrpc": "2.0", "method": "echo", "params": [1]}])
    assert rpc(port_b, req("calls"))["result"][-4:] == ["chain", "nope", "echo", "calls"]


def test_get_and_cors(port: int) -> None:
    status, body, _ = post(port, b"", method="GET")
    assert (status, json.loads(body)) == (200, {"name": "chain-a"})
    status, _, headers = post(port, req("chain"), headers={"Origin": "http://dapp.example"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    status, _, headers = post(port, b"", method="OPTIONS", headers={
        "Origin": "http://dapp.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]


def test_two_endpoints_one_group(chains: tuple[ToyChain, ToyChain, int, int]) -> None:
    _, _, port_a, port_b = chains
    assert port_a != port_b
    assert rpc(port_a, req("chain")) == ok(1, "A")
    assert rpc(port_b, req("chain")) == ok(1, "B")


# ---------------------------------------------------------------- WebSocket


def ws(port: int) -> ClientConnection:
    return ws_connect(f"ws://{HOST}:{port}/", open_timeout=10)


def ws_call(sock: ClientConnection, payload: Any) -> Any:
    sock.send(payload if isinstance(payload, (str, bytes)) else json.dumps(payload))
    return json.loads(sock.recv(timeout=10))


def test_ws_request_response(port: int) -> None:
    with ws(port) as sock:
        assert ws_call(sock, req("add", [1, 2], rid=9)) == ok(9, 3)
        assert ws_call(sock, [req("chain", rid=1), req("nope", rid=2)]) == [
            ok(1, "A"), err(2, -32601, "the method nope does not exist/is not available")]
        assert ws_call(sock, json.dumps(req("echo", ["bin"])).encode()) == ok(1, "bin")


def test_ws_parse_error_keeps_socket_open(port: int) -> None:
    with ws(port) as sock:
        assert ws_call(sock, "{oops") == err(None, -32700, "parse error")
        assert ws_call(sock, req("chain", rid=2)) == ok(2, "A")


def test_ws_notification_message_gets_no_reply(port: int) -> None:
    with ws(port) as sock:
        sock.send(json.dumps({"jsonrpc": "2.0", "method": "echo", "params": [1]}))
        assert ws_call(sock, req("echo", ["after"], rid=3)) == ok(3, "after")


def test_ws_subscription_notifications_follow_result_in_order(chains: tuple[ToyChain, ToyChain, int, int]) -> None:
    chain, _, port, _ = chains
    with ws(port) as sock:
        reply = ws_call(sock, req("subscribe", [3], rid=1))
        sub_id = reply["result"]
        assert reply == ok(1, sub_id)
        for i in range(3):
            assert json.loads(sock.recv(timeout=10)) == {
                "jsonrpc": "2.0", "method": "toy_subscription", "params": {"subscription": sub_id, "result": i}}
        # a notification triggered by another connection (HTTP) is pushed to this socket
        assert rpc(port, req("emit", ["from-http"]))["result"] >= 1
        assert json.loads(sock.recv(timeout=10)) == {
            "jsonrpc": "2.0", "method": "toy_subscription", "params": {"subscription": sub_id, "result": "from-http"}}
        assert ws_call(sock, req("chain", rid=2)) == ok(2, "A")
    wait_for(lambda: sub_id in rpc(port, req("closed_subs"))["result"])
    assert sub_id not in chain.subs


def test_ws_on_close_runs_on_abrupt_disconnect(port: int) -> None:
    with ws(port) as sock:
        sub_id = ws_call(sock, req("subscribe", [0]))["result"]
        sock.socket.shutdown(socket.SHUT_RDWR)  # no close handshake
    wait_for(lambda: sub_id in rpc(port, req("closed_subs"))["result"])


# ---------------------------------------------------------------- ServerGroup lifecycle


def test_taken_port_gives_clear_oserror() -> None:
    free = find_free_port()
    with socket.socket() as blocker:
        blocker.bind((HOST, 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        app = build_app(ToyChain("X").dispatcher())
        group = ServerGroup([Endpoint(HOST, free, app), Endpoint(HOST, taken, app)])
        with pytest.raises(OSError) as info:
            asyncio.run(group.start())
        assert str(info.value) == f"[Errno 98] cannot listen on {HOST}:{taken}: address already in use"
    with socket.socket() as probe:  # the endpoint that did bind was released
        probe.bind((HOST, free))


def test_serve_forever_cancel_and_port_zero() -> None:
    async def main() -> None:
        group = ServerGroup([Endpoint(HOST, 0, build_app(ToyChain("Z").dispatcher()))])
        task = asyncio.create_task(group.serve_forever())
        while not group.ports:
            await asyncio.sleep(0.01)
        port = group.ports[0]
        assert port != 0
        reply = await asyncio.to_thread(rpc, port, req("chain"))
        assert reply == ok(1, "Z")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with socket.socket() as probe:
            probe.bind((HOST, port))

    asyncio.run(main())


# ---------------------------------------------------------------- in-process API


def test_dispatcher_call_in_process() -> None:
    dispatcher = ToyChain("P").dispatcher()

    async def main() -> None:
        assert await dispatcher.call("add", [1, 2]) == 3
        assert await dispatcher.call("sum", {"a": 1, "b": 1}) == 2
        with pytest.raises(RpcError) as info:
            await dispatcher.call("revert", [])
        assert (info.value.code, info.value.message, info.value.data) == (3, "execution reverted", "0xdeadbeef")
        with pytest.raises(InvalidParams):
            await dispatcher.call("add", [1])
        with pytest.raises(RpcError) as info:
            await dispatcher.call("subscribe", [1])
        assert info.value.to_json() == {"code": -32000, "message": "subscriptions need a WebSocket connection"}
        assert await dispatcher.handle_raw(b'{"jsonrpc":"2.0","method":"chain"}', None) is None

    asyncio.run(main())


def test_method_table_rejects_duplicates() -> None:
    table = MethodTable([Method("a", lambda: 1, aliases=("b",))])
    for dup in (Method("a", lambda: 2), Method("c", lambda: 2, aliases=("b",)), Method("d", lambda: 2, aliases=("d",))):
        with pytest.raises(ValueError):
            table.add(dup)
    assert table.names() == ["a"]
    assert table.names(include_aliases=True) == ["a", "b"]
    assert table.get("b") is table.get("a")
    assert table.get("c") is None

    async def coro() -> None: ...

    with pytest.raises(ValueError):
        Method("x", coro)


@pytest.mark.parametrize("expect", [False, True], ids=["direct", "expect-100-continue"])
def test_oversized_body_gets_413_and_the_server_keeps_serving(port: int, monkeypatch: pytest.MonkeyPatch,
                                                              expect: bool) -> None:
    import rpc.fasthttp
    import rpc.server

    monkeypatch.setattr(rpc.server, "MAX_BODY_BYTES", 1024)  # the ASGI path (Expect: 100-continue)
    monkeypatch.setattr(rpc.fasthttp, "MAX_BODY_BYTES", 1024)  # the protocol's own path
    big = json.dumps(req("chain", ["x" * 2000]))
    status, body, headers = post(port, big, {"Expect": "100-continue"} if expect else None)
    assert status == 413 and headers.get("connection") == "close"
    error = json.loads(body)["error"]
    assert error["code"] == -32600 and "too large" in error["message"] and "1024" in error["message"]
    status, body, _ = post(port, req("chain"))  # a new connection is served as before
    assert status == 200 and "result" in json.loads(body)


def raw_exchange(port: int, data: bytes, until: int, timeout: float = 10) -> bytes:
    """Send ``data`` as it is on one connection; read until ``until`` responses came (or the
    server closed the connection)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        got = b""
        while got.count(b"HTTP/1.1 ") < until or not _complete(got):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def _complete(raw: bytes) -> bool:
    """Whether the last response in ``raw`` has its whole body."""
    head, sep, body = raw.rpartition(b"HTTP/1.1 ")[2].partition(b"\r\n\r\n")
    if not sep:
        return False
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    return len(body) >= length


def http_post(body: dict[str, Any], extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    data = json.dumps(body).encode()
    return (b"POST / HTTP/" + version + b"\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(data)).encode() + b"\r\n" + extra + b"\r\n" + data)


def bodies(raw: bytes) -> list[Any]:
    return [json.loads(part.partition(b"\r\n\r\n")[2]) for part in raw.split(b"HTTP/1.1 ")[1:]]


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    """A slow (awaiting) request, then quick ones and a GET pipelined behind it on one
    connection: answered in the order asked."""
    data = (http_post(req("slow_echo", ["first"], 1)) + http_post(req("echo", ["second"], 2))
            + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + http_post(req("slow_echo", ["fourth"], 4))
            + http_post(req("echo", ["fifth"], 5)))
    answers = bodies(raw_exchange(port, data, 5))
    assert [a.get("result", a.get("name")) for a in answers] == ["first", "second", "chain-a", "fourth", "fifth"]


def test_a_body_in_pieces_and_chunked_is_read_whole(port: int) -> None:
    payload = json.dumps(req("echo", ["x" * 5000])).encode()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 700]), payload[i:i + 700]) for i in range(0, len(payload), 700))
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(head)
        for i in range(0, len(chunks), 1000):  # the body arrives in several reads
            sock.sendall(chunks[i:i + 1000])
            time.sleep(0.002)
        sock.sendall(b"0\r\n\r\n")
        got = b""
        while not (got.count(b"HTTP/1.1 ") and _complete(got)):
            got += sock.recv(65536)
    assert bodies(got)[0]["result"] == "x" * 5000


def test_a_chunked_body_over_the_limit_gets_413(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import rpc.fasthttp

    monkeypatch.setattr(rpc.fasthttp, "MAX_BODY_BYTES", 1024)
    payload = json.dumps(req("echo", ["x" * 3000])).encode()
    data = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
    raw = raw_exchange(port, data, 1)
    assert raw.startswith(b"HTTP/1.1 413") and b"connection: close" in raw
    assert "too large" in bodies(raw)[0]["error"]["message"]


def test_http_10_and_connection_close_are_honoured(port: int) -> None:
    for data in (http_post(req("echo", [1]), version=b"1.0"), http_post(req("echo", [2]), b"Connection: close\r\n")):
        raw = raw_exchange(port, data, 1)
        assert b"connection: close" in raw.lower()
        assert bodies(raw)[0]["result"] in (1, 2)  # and the server closed the connection: the read ended


def test_a_notification_gets_an_empty_answer_with_cors(port: int) -> None:
    status, body, headers = post(port, {"jsonrpc": "2.0", "method": "echo", "params": [1]}, {"Origin": "http://dapp"})
    assert status == 200 and body == b"" and headers["content-length"] == "0"
    assert headers["access-control-allow-origin"] == "*"


def test_a_client_that_does_not_read_its_answers_is_not_read_from(chains: tuple[ToyChain, ToyChain, int, int]) -> None:
    """Pipelined requests whose answers the client does not read: once the answers fill the
    connection's buffers the server stops reading its requests (nothing piles up in the
    server's memory), and the connection stays open however slowly it reads; when the client
    reads, every answer comes, in order."""
    toy, port = chains[0], chains[2]
    big = "x" * 65536
    count = 300  # ~20 MB of answers: more than the socket buffers hold
    data = b"".join(http_post(req("echo", [big], i)) for i in range(count))
    before = len(toy.calls)
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sender = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
        sender.start()  # blocks once the server stops reading
        time.sleep(6.0)  # longer than uvicorn's keep-alive timeout (5 s): a slow reader is not idle
        handled = len(toy.calls) - before
        assert handled < count, "the server answered every request although the client read none"
        got = b""
        while got.count(b"HTTP/1.1 200") < count or not _complete(got):
            chunk = sock.recv(1 << 20)
            assert chunk, "the server closed the connection"
            got += chunk
        sender.join(10)
    answers = bodies(got)
    assert [a["id"] for a in answers] == list(range(count)) and all(a["result"] == big for a in answers)
