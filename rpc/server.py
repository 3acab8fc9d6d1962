"""HTTP + WebSocket JSON-RPC serving: a FastAPI app per chain, many in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from rpc.fasthttp import MAX_BODY_BYTES, rpc_protocol, too_large_reply
from rpc.jsonrpc import Connection, Dispatcher, dumps

logger = logging.getLogger(__name__)

_ws_ids = itertools.count(1)


# Text waiting to be sent to one WebSocket peer; past it the peer is too slow and is dropped.
MAX_SEND_QUEUE_BYTES = 4 * 1024 * 1024
_SLOW_CLOSE_TIMEOUT = 1.0  # seconds to try a close frame to a dropped peer before giving up


class WsConnection(Connection):
    """A WebSocket peer: replies and notifications leave through one queue, in order.

    Notifications emitted while one of this connection's requests is being
    handled are held back and sent right after that request's response.
    A peer that does not read what it is sent is dropped once more than
    MAX_SEND_QUEUE_BYTES wait for it (one message of any size is always
    accepted): the connection closes, its on_close callbacks run and
    :meth:`receive` returns None.
    """

    supports_notifications = True

    def __init__(self, websocket: WebSocket) -> None:
        super().__init__(f"ws-{next(_ws_ids)}")
        self._websocket = websocket
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._held: list[str] | None = None
        self._waiting = 0  # characters in _queue and _held
        self._dropped = False
        self._receiver: asyncio.Task[Any] | None = None  # the task idle in receive(), if any
        self._sender = asyncio.get_running_loop().create_task(self._send_loop())

    @property
    def dropped(self) -> bool:
        """Whether this peer was dropped for not reading (its send queue overflowed)."""
        return self._dropped

    def notify(self, method: str, params: Any) -> None:
        if self.closed:
            return
        text = dumps({"jsonrpc": "2.0", "method": method, "params": params})
        if not self._admit(text):
            return
        if self._held is not None:
            self._held.append(text)
        else:
            self._queue.put_nowait(text)

    def hold(self) -> None:
        self._held = []

    def release(self, reply: bytes | None) -> None:
        held, self._held = self._held or [], None
        if self.closed:
            return
        if reply is not None:
            text = reply.decode()
            if not self._admit(text):
                return
            self._queue.put_nowait(text)
        for text in held:
            self._queue.put_nowait(text)

    def _admit(self, text: str) -> bool:
        """Count ``text`` as waiting; drop the peer (False) if that overflows its queue."""
        self._waiting += len(text)
        if self._waiting <= MAX_SEND_QUEUE_BYTES or self._waiting == len(text):
            return True
        self._drop()
        return False

    def _drop(self) -> None:
        logger.warning("websocket %s: dropped, it does not read what it is sent (over %d bytes waiting)",
                       self.id, MAX_SEND_QUEUE_BYTES)
        self._dropped = True
        self._held = None
        self._queue = asyncio.Queue()
        self._waiting = 0
        self.close()
        if self._receiver is not None:  # idle in receive(): wake it up to end the session
            self._receiver.cancel()

    async def receive(self) -> Message | None:
        """The peer's next ASGI message, or None once this connection is closed or dropped."""
        if self.closed:
            return None
        task = asyncio.current_task()
        self._receiver = task
        try:
            message = await self._websocket.receive()
        except asyncio.CancelledError:
            if self._dropped and task is not None and task.uncancel() == 0:
                return None
            raise
        finally:
            self._receiver = None
        return None if self.closed else message

    async def close_dropped(self) -> None:
        """Try to tell a dropped peer why (close code 1008); give up if it still does not read."""
        reason = f"send queue over {MAX_SEND_QUEUE_BYTES} bytes: the client does not read"
        with contextlib.suppress(Exception):  # TimeoutError included
            await asyncio.wait_for(self._websocket.close(1008, reason), _SLOW_CLOSE_TIMEOUT)

    def close(self) -> None:
        super().close()
        self._sender.cancel()

    async def _send_loop(self) -> None:
        try:
            while True:
                text = await self._queue.get()
                self._waiting -= len(text)
                await self._websocket.send_text(text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # peer went away mid-send
            logger.debug("websocket %s: send failed: %r", self.id, exc, exc_info=True)
            super().close()


class _JsonRpcHttp:
    """Pure-ASGI ``POST /``, outermost, for the requests the protocol does not answer itself
    (rpc/fasthttp.py: with ``Expect: 100-continue``, or without httptools).

    It answers JSON-RPC POSTs in front of FastAPI's routing and Starlette's middleware stack
    (error, body-limit and CORS layers cost ~0.15 ms a request), adding the CORS header a
    browser dapp needs (any origin, as the CORS middleware is configured for the rest).
    Everything else goes to the FastAPI app.
    """

    def __init__(self, app: ASGIApp, dispatcher: Dispatcher) -> None:
        self.app = app
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"0")
        size = int(declared) if declared.isdigit() else 0  # refused before reading, when declared
        chunks: list[bytes] = []
        received = 0
        while size <= MAX_BODY_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            size = max(size, received)
            if not message.get("more_body", False):
                break
        if size > MAX_BODY_BYTES:
            await _too_large(send, size)
            return
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        reply = await self.dispatcher.handle_raw(body, None)
        if reply is None:
            headers = [(b"content-length", b"0")]
            reply = b""
        else:
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())]
        if any(name == b"origin" for name, _ in scope["headers"]):
            headers.append((b"access-control-allow-origin", b"*"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": reply})


async def _too_large(send: Send, size: int) -> None:
    """HTTP 413 with a JSON-RPC error, the body left unread; the connection closes."""
    reply = too_large_reply(size)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": reply})


def build_app(dispatcher: Dispatcher, *, title: str = "xrollup") -> FastAPI:
    """FastAPI app serving JSON-RPC on POST "/" and WebSocket "/" (GET "/" returns {"name": title})."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    app.state.jsonrpc_dispatcher = dispatcher  # ServerGroup serves POST / in front of the app
    info = dumps({"name": title}).encode()

    async def rpc_info(request: Request) -> Response:
        return Response(content=info, media_type="application/json")

    async def rpc_ws(websocket: WebSocket) -> None:
        await websocket.accept()
        conn = WsConnection(websocket)
        try:
            while True:
                message = await conn.receive()
                if message is None or message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                conn.hold()
                reply: bytes | None = None
                try:
                    reply = await dispatcher.handle_raw(data, conn)
                finally:
                    conn.release(reply)
        finally:
            conn.close()
        if conn.dropped:
            await conn.close_dropped()

    app.router.add_route("/", rpc_info, methods=["GET"])
    app.router.add_websocket_route("/", rpc_ws)
    return app


@dataclass
class Endpoint:
    host: str
    port: int
    app: FastAPI


class _Server(uvicorn.Server):
    """uvicorn server that leaves signal handling to the caller."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for host:port (every address the host resolves to)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(errno.EADDRNOTAVAIL, f"cannot listen on {host}:{port}: {exc}") from exc
    sockets: list[socket.socket] = []
    failure: OSError | None = None
    for family, kind, proto, _, address in dict.fromkeys(infos):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and sockets:  # same ephemeral port on every address
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(2048)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                failure = failure or exc  # e.g. ::1 without IPv6; fine if another address works
                continue
            for s in sockets:
                s.close()
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
            raise OSError(exc.errno, f"cannot listen on {host}:{port}: {reason}") from exc
        sockets.append(sock)
    if not sockets:
        reason = (failure.strerror if failure is not None else None) or "no usable address"
        raise OSError(errno.EADDRNOTAVAIL, f"cannot listen on {host}:{port}: {reason}")
    return sockets


class BindError(OSError):
    """An endpoint's address could not be bound (a port in use...): ``index`` is the endpoint's
    place in the group, ``host`` and ``port`` what was asked for."""

    def __init__(self, index: int, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or f"cannot listen on {host}:{port}: {cause}")
        self.index, self.host, self.port = index, host, port


class ServerGroup:
    """Runs several uvicorn servers (one per chain, each its own port) in ONE asyncio event loop.

    Signals are not touched: the caller owns Ctrl-C (cancel serve_forever or call stop()).
    """

    def __init__(self, endpoints: list[Endpoint], log_level: str = "warning",
                 graceful_timeout: int = 3) -> None:
        self.endpoints = list(endpoints)
        self._log_level = log_level
        self._graceful_timeout = graceful_timeout
        self._servers: list[_Server] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._ports: list[int] = []

    @property
    def ports(self) -> list[int]:
        """Actual listening port of each endpoint (useful with port 0); valid after start()."""
        return list(self._ports)

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("ServerGroup already started")
        bound: list[list[socket.socket]] = []
        for index, ep in enumerate(self.endpoints):
            try:
                bound.append(_bind(ep.host, ep.port))
            except OSError as exc:
                for socks in bound:
                    for s in socks:
                        s.close()
                raise BindError(index, ep.host, ep.port, exc) from exc
        self._ports = [socks[0].getsockname()[1] for socks in bound]
        for ep, port, socks in zip(self.endpoints, self._ports, bound, strict=True):
            dispatcher = getattr(ep.app.state, "jsonrpc_dispatcher", None)
            app: ASGIApp = ep.app if dispatcher is None else _JsonRpcHttp(ep.app, dispatcher)
            config = uvicorn.Config(
                app, host=ep.host, port=port, log_config=None, log_level=self._log_level,
                http=(None if dispatcher is None else rpc_protocol(dispatcher)) or "auto",
                lifespan="off", ws="websockets-sansio", ws_max_size=MAX_BODY_BYTES, access_log=False,
                proxy_headers=False, server_header=False,  # anvil names no server either
                timeout_graceful_shutdown=self._graceful_timeout,
            )
            server = _Server(config)
            self._servers.append(server)
            self._tasks.append(asyncio.create_task(server.serve(sockets=socks), name=f"uvicorn {ep.host}:{port}"))
        try:
            await self._wait_started()
        except BaseException:
            await self.stop()
            raise

    async def _wait_started(self) -> None:
        while not all(s.started for s in self._servers):
            for ep, port, task in zip(self.endpoints, self._ports, self._tasks, strict=True):
                if task.done():
                    exc = None if task.cancelled() else task.exception()
                    raise OSError(f"server for {ep.host}:{port} exited during startup: {exc!r}") from exc
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        tasks, self._tasks = self._tasks, []
        self._servers = []
        if tasks:
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    logger.error("server stopped with an error", exc_info=result)

    async def serve_forever(self) -> None:
        """Serve until stop() is called or this coroutine is cancelled (then shut down gracefully)."""
        if not self._tasks:
            await self.start()
        tasks = list(self._tasks)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self.stop()
        for task in done:  # a server that died on its own takes the group down with it
            exc = None if task.cancelled() else task.exception()
            if exc is not None:
                raise exc


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (uvicorn[standard] brings it, except on
    Windows and PyPy), else asyncio's. Its socket reads and writes are in C: 3-4% more
    automined transfers per second over HTTP in an interleaved A/B."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the platform
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def find_free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
