"""The suite's one JSON-RPC client: HTTP (keep-alive, single calls and batches) and WebSocket.

Every test that talks raw JSON-RPC to a devnet goes through these classes. A failed call
raises :class:`RpcError`, which carries the error object's ``code``, ``message`` and ``data``.
"""

from __future__ import annotations

import http.client
import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

_ids = itertools.count(1)


class RpcError(Exception):
    """A JSON-RPC error reply: ``code``, ``message``, ``data`` and the whole ``error`` object."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.method = method
        self.error = dict(error)
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.data = error.get("data")
        super().__init__(f"{method}: [{self.code}] {self.message} data={self.data!r}")


def payload(method: str, params: Any = None, rid: Any = None) -> dict[str, Any]:
    """A request object (a fresh id unless one is given)."""
    return {"jsonrpc": "2.0", "id": next(_ids) if rid is None else rid, "method": method,
            "params": [] if params is None else params}


def result_of(method: str, reply: Mapping[str, Any]) -> Any:
    """The result of a reply; raises RpcError for an error reply."""
    if "error" in reply:
        raise RpcError(method, reply["error"])
    return reply["result"]


class Rpc:
    """JSON-RPC over HTTP to one endpoint, on one keep-alive connection (not thread-safe)."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parsed = urlparse(url)
        self.url = url
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes | str) -> tuple[int, bytes]:
        """POST a raw body; returns (HTTP status, raw response body). A connection the server
        closed is reopened once."""
        if isinstance(body, str):
            body = body.encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def send(self, message: Any) -> Any:
        """POST a JSON message (a request, a batch, anything); returns the decoded reply."""
        return json.loads(self.post(json.dumps(message))[1])

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """One call's whole reply (HTTP 200, same id checked)."""
        message = payload(method, params)
        status, raw = self.post(json.dumps(message))
        assert status == 200, (status, raw)
        reply = json.loads(raw)
        assert reply.get("jsonrpc") == "2.0" and reply.get("id") == message["id"], reply
        return dict(reply)

    def call(self, method: str, *params: Any) -> Any:
        """The result of ``method(*params)``; raises RpcError if it fails."""
        return result_of(method, self.request(method, list(params)))

    def error(self, method: str, *params: Any) -> RpcError:
        """The error of a call that must fail."""
        reply = self.request(method, list(params))
        assert "error" in reply and "result" not in reply, f"{method} should fail, got {reply.get('result')!r}"
        return RpcError(method, reply["error"])

    def batch(self, calls: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
        """Send ``(method, params)`` calls as one batch; returns the replies in request order."""
        messages = [payload(method, params) for method, params in calls]
        replies = {r["id"]: r for r in self.send(messages)}
        return [replies[m["id"]] for m in messages]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Rpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChainRpc:
    """One :class:`Rpc` per chain of a devnet: ``rpc[chain_id]``, or calls naming the chain."""

    def __init__(self, urls: Mapping[int, str], timeout: float = 30) -> None:
        self.urls = dict(urls)
        self.timeout = timeout
        self._clients: dict[int, Rpc] = {}

    def __getitem__(self, chain_id: int) -> Rpc:
        client = self._clients.get(chain_id)
        if client is None:
            client = self._clients[chain_id] = Rpc(self.urls[chain_id], self.timeout)
        return client

    def post(self, chain_id: int, body: bytes | str) -> tuple[int, bytes]:
        return self[chain_id].post(body)

    def __call__(self, chain_id: int, method: str, params: Any = None) -> dict[str, Any]:
        """The whole reply of one call."""
        return self[chain_id].request(method, params)

    def ok(self, chain_id: int, method: str, params: Any = None) -> Any:
        """The result of a call that must succeed (RpcError otherwise)."""
        return result_of(method, self(chain_id, method, params))

    def err(self, chain_id: int, method: str, params: Any = None) -> dict[str, Any]:
        """The error object of a call that must fail."""
        reply = self(chain_id, method, params)
        assert "error" in reply, f"{method} {params!r} should fail, got {reply.get('result')!r}"
        assert "result" not in reply, reply
        return dict(reply["error"])

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


class WsRpc:
    """JSON-RPC over one WebSocket: replies matched by id, subscription pushes buffered in order."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.timeout = timeout
        # entered as a context manager (websockets 16+ warns about a bare connect())
        self.ws: ClientConnection = ws_connect(url.replace("http://", "ws://"), open_timeout=timeout,
                                               close_timeout=2).__enter__()
        self.notifications: deque[dict[str, Any]] = deque()

    def send(self, message: Any) -> None:
        """Send a raw JSON message."""
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float | None = None) -> Any:
        """The next message, decoded."""
        return json.loads(self.ws.recv(timeout=self.timeout if timeout is None else timeout))

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """One call's whole reply; notifications that arrive first are buffered."""
        message = payload(method, params)
        self.send(message)
        while True:
            reply = self.recv()
            if "id" in reply and reply.get("id") == message["id"]:
                return dict(reply)
            assert reply.get("method") == "eth_subscription", reply
            self.notifications.append(reply)

    def ok(self, method: str, params: Any = None) -> Any:
        """The result of a call that must succeed (RpcError otherwise)."""
        return result_of(method, self.request(method, params))

    def subscribe(self, *params: Any) -> str:
        sub_id = self.ok("eth_subscribe", list(params))
        assert isinstance(sub_id, str) and sub_id.startswith("0x")
        return sub_id

    def next(self, sub_id: str, timeout: float | None = None) -> Any:
        """The next notification's result for ``sub_id`` (others stay buffered)."""
        for index, message in enumerate(self.notifications):
            if message["params"]["subscription"] == sub_id:
                del self.notifications[index]
                return message["params"]["result"]
        while True:
            message = self.recv(timeout)
            assert message.get("method") == "eth_subscription", message
            assert message["jsonrpc"] == "2.0" and "id" not in message
            if message["params"]["subscription"] == sub_id:
                return message["params"]["result"]
            self.notifications.append(message)

    def drain(self) -> list[dict[str, Any]]:
        """Every notification that arrived before a round trip (the server sends in order)."""
        self.ok("eth_chainId")
        out = list(self.notifications)
        self.notifications.clear()
        return out

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> WsRpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
