"""HTTP/1.1 for JSON-RPC: POST / answered from the parser's callbacks, the rest by uvicorn.

uvicorn's httptools protocol turns every request into an ASGI scope, a task, a receive and
two sends; for a JSON-RPC POST that costs more of the server's time than answering most
methods does (an ``eth_chainId`` took about 210 us of server CPU, of which the dispatcher
needs 15). ``FastRpcProtocol`` is that protocol with one short cut: a ``POST /`` request
(no upgrade, no ``Expect: 100-continue``) is collected as the parser reads it and handed to the
dispatcher when its body is complete; the dispatcher's coroutine is driven right there, and
when it finishes without waiting for anything (reads, most dev methods) the response is
written at once, in one write. A request that has to wait (automine, a read moved to a worker)
goes on in a task. Everything else (GET, OPTIONS, WebSocket upgrades, other paths) is uvicorn's
and the FastAPI app's, as before; requests pipelined on one connection are answered in order
through uvicorn's own queue.

``OneWrite`` makes uvicorn's own responses leave in one write too.
"""

from __future__ import annotations

import asyncio
import logging
import types
from collections.abc import Coroutine, Generator, Iterable
from typing import Any

from rpc.jsonrpc import Dispatcher, dumps

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024  # a JSON-RPC request or batch, HTTP body or WebSocket message


class OneWrite(asyncio.Transport):
    """A connection's transport whose writes in one turn of the event loop leave as one
    write, at the end of that turn (nothing waits on a timer).

    uvicorn writes a response's head as soon as the app starts the response and its body
    next: two TCP segments (the socket has TCP_NODELAY). A client that reads the head first
    (Python's http.client, most HTTP/1.1 clients) wakes up for it, then sleeps again until
    the body comes: two wake-ups per answer on each side, which on a busy machine cost more
    than a short answer itself.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def write_now(self, data: bytes) -> None:
        """Write what is held back, then ``data``, at once."""
        if self._pending:
            data = b"".join([*self._pending, data])
            self._pending = []
        if not self.transport.is_closing():
            self.transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Write what is held back now."""
        pending, self._pending = self._pending, []
        if pending and not self.transport.is_closing():
            self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def abort(self) -> None:
        self._pending = []
        self.transport.abort()

    def can_write_eof(self) -> bool:
        return self.transport.can_write_eof()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.transport.get_protocol()

    def is_reading(self) -> bool:
        return self.transport.is_reading()

    def pause_reading(self) -> None:
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        self.transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + sum(len(data) for data in self._pending)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self.transport.get_write_buffer_limits()


def too_large_reply(size: int) -> bytes:
    """The JSON-RPC error of an HTTP 413: the body's size and the limit."""
    return dumps({"jsonrpc": "2.0", "id": None, "error": {
        "code": -32600, "message": f"request body too large: {size} bytes, the limit is {MAX_BODY_BYTES}"}}).encode()


@types.coroutine
def _resume(coro: Coroutine[Any, Any, bytes | None], yielded: Any) -> Generator[Any, Any, bytes | None]:
    """Go on driving ``coro``, which was started outside any task and is waiting on
    ``yielded`` (what it yielded), as a task would have: what the task sends or throws in is
    passed on. Returns what ``coro`` returns."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # the task's cancellation, or a future's exception
            try:
                yielded = coro.throw(exc)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


class _Cycle:
    """One ``POST /`` on a connection: its body so far and whether it was answered. Has the
    attributes uvicorn's protocol reads of its own cycles (``response_complete``,
    ``disconnected``, ``keep_alive``, ``more_body``, ``message_event``, ``run_asgi``), so that
    it can wait in uvicorn's pipeline queue behind an earlier request."""

    __slots__ = ("protocol", "chunks", "size", "received", "keep_alive", "origin", "current", "more_body",
                 "response_complete", "disconnected", "message_event")

    def __init__(self, protocol: Any, keep_alive: bool, origin: bool, declared: int) -> None:
        self.protocol = protocol
        self.chunks: list[bytes] = []
        self.size = declared  # the body's size as far as known (declared, or read so far)
        self.received = 0
        self.keep_alive = keep_alive
        self.origin = origin
        self.current = False  # earlier requests on the connection are answered
        self.more_body = True
        self.response_complete = False
        self.disconnected = False
        self.message_event = asyncio.Event()

    def add(self, body: bytes) -> None:
        """Keep a piece of the body (nothing once it is over the limit)."""
        self.received += len(body)
        self.size = max(self.size, self.received)
        if self.size <= MAX_BODY_BYTES:
            self.chunks.append(body)

    async def run_asgi(self, app: Any) -> None:
        """Its turn came in uvicorn's pipeline queue: answer once the body is complete."""
        self.current = True
        while self.more_body and not self.disconnected and self.size <= MAX_BODY_BYTES:
            await self.message_event.wait()
            self.message_event.clear()
        if not self.disconnected:
            self.protocol.answer(self)


def rpc_protocol(dispatcher: Dispatcher) -> type[asyncio.Protocol] | None:
    """A protocol class answering ``POST /`` with ``dispatcher``; None without uvicorn's
    httptools protocol (httptools not installed: uvicorn picks its h11 protocol)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools where it builds
        return None

    class FastRpcProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = OneWrite(transport, self.loop)

        def handle_websocket_upgrade(self) -> None:
            if isinstance(self.transport, OneWrite):
                self.transport.flush()
                self.transport = self.transport.transport
            super().handle_websocket_upgrade()

        def on_headers_complete(self) -> None:
            parser = self.parser
            if (self.url != b"/" or parser.get_method() != b"POST" or self.expect_100_continue
                    or parser.should_upgrade()):
                super().on_headers_complete()
                return
            declared, origin = 0, False
            for name, value in self.headers:
                if name == b"content-length":
                    declared = int(value) if value.isdigit() else 0
                elif name == b"origin":
                    origin = True
            keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
            existing, cycle = self.cycle, _Cycle(self, keep_alive, origin, declared)
            self.cycle = cycle  # type: ignore[assignment]
            if existing is None or existing.response_complete:
                cycle.current = True
                if declared > MAX_BODY_BYTES:
                    self.refuse(cycle)  # before reading the body
            else:  # pipelined behind a request not answered yet: uvicorn's queue
                self.flow.pause_reading()
                self.pipeline.appendleft((cycle, self.app))  # type: ignore[arg-type]

        def on_body(self, body: bytes) -> None:
            cycle = self.cycle
            if type(cycle) is not _Cycle:
                super().on_body(body)
                return
            if cycle.response_complete:
                return
            cycle.add(body)
            if cycle.size > MAX_BODY_BYTES and cycle.current:
                self.refuse(cycle)

        def on_message_complete(self) -> None:
            cycle = self.cycle
            if type(cycle) is not _Cycle:
                super().on_message_complete()
                return
            if cycle.response_complete:
                return
            cycle.more_body = False
            if cycle.current:
                self.answer(cycle)
            else:
                cycle.message_event.set()

        def answer(self, cycle: _Cycle) -> None:
            """Run the request through the dispatcher: answered at once when it never waits,
            else from a task."""
            if cycle.size > MAX_BODY_BYTES:
                self.refuse(cycle)
                return
            body = cycle.chunks[0] if len(cycle.chunks) == 1 else b"".join(cycle.chunks)
            cycle.chunks = []
            coro = dispatcher.handle_raw(body, None)
            try:
                yielded = coro.send(None)
            except StopIteration as done:
                self.respond(cycle, done.value)
                return
            except Exception:
                logger.exception("JSON-RPC request failed")
                self.respond(cycle, None, status=b"500 Internal Server Error")
                return
            task = self.loop.create_task(_resume(coro, yielded))  # type: ignore[arg-type]
            self.tasks.add(task)  # type: ignore[arg-type]  # uvicorn waits for these at shutdown
            task.add_done_callback(lambda done: self.answered(cycle, done))

        def answered(self, cycle: _Cycle, task: asyncio.Task[bytes | None]) -> None:
            self.tasks.discard(task)
            if task.cancelled():  # the server is shutting down
                cycle.response_complete = True
                self.transport.close()
            elif (exc := task.exception()) is not None:
                logger.error("JSON-RPC request failed", exc_info=exc)
                self.respond(cycle, None, status=b"500 Internal Server Error")
            else:
                self.respond(cycle, task.result())

        def respond(self, cycle: _Cycle, reply: bytes | None, status: bytes = b"200 OK") -> None:
            """Write the answer in one piece; then the next pipelined request, or the
            keep-alive timer (uvicorn's ``on_response_complete``)."""
            if cycle.response_complete:
                return
            cycle.response_complete = True
            if cycle.disconnected or self.transport.is_closing():
                return
            if reply is None:
                parts = [b"HTTP/1.1 ", status, b"\r\ncontent-length: 0\r\n"]
                reply = b""
            else:
                parts = [b"HTTP/1.1 ", status, b"\r\ncontent-type: application/json\r\ncontent-length: ",
                         str(len(reply)).encode(), b"\r\n"]
            if cycle.origin:
                parts.append(b"access-control-allow-origin: *\r\n")
            for name, value in self.server_state.default_headers:
                parts += [name, b": ", value, b"\r\n"]
            if not cycle.keep_alive:
                parts.append(b"connection: close\r\n")
            parts += [b"\r\n", reply]
            transport = self.transport
            assert isinstance(transport, OneWrite)
            transport.write_now(b"".join(parts))
            if not cycle.keep_alive:
                transport.close()
            self.on_response_complete()
            if self.flow.write_paused and not transport.is_closing():
                # answers pile up unread (a client that pipelines and does not read): read no
                # more requests until the client has taken them (``resume_writing``); the
                # connection is not idle meanwhile (no keep-alive timeout)
                self._unset_keepalive_if_required()
                self.flow.pause_reading()

        def resume_writing(self) -> None:
            super().resume_writing()
            cycle = self.cycle
            if self.pipeline or (cycle is not None and type(cycle) is not _Cycle and not cycle.response_complete):
                return  # uvicorn's own request is under way: it resumes its reads itself
            self.flow.resume_reading()
            if ((cycle is None or cycle.response_complete) and self.timeout_keep_alive_task is None
                    and not self.transport.is_closing()):
                self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                                    self.timeout_keep_alive_handler)

        def refuse(self, cycle: _Cycle) -> None:
            """HTTP 413 with a JSON-RPC error, the rest of the body left unread; the
            connection closes."""
            cycle.keep_alive = False
            cycle.chunks = []
            self.respond(cycle, too_large_reply(cycle.size), status=b"413 Request Entity Too Large")

    return FastRpcProtocol
