"""Protocol-agnostic JSON-RPC 2.0 dispatcher.

This module knows nothing about Ethereum: it parses JSON-RPC envelopes,
validates and binds parameters through a declarative :class:`MethodTable`,
calls handlers and serializes responses.  Handlers are synchronous by
default and run directly on the event-loop thread (the devnet is
single-threaded on purpose: the loop serialises every state change).
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000  # generic implementation-defined server error

# Limits on one payload, checked before any handler runs (each answered with -32600).
MAX_DEPTH = 128  # nesting of arrays/objects (serde_json's default, so anvil's too)
MAX_BATCH = 1000  # requests in one batch (geth's BatchRequestLimit)

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_PARAM_ERRORS = (ValueError, TypeError, KeyError, OverflowError)
_SERIALIZE_ERRORS = (ValueError, TypeError, RecursionError)


class MalformedPayload(Exception):
    """A payload refused before dispatch; ``code`` is PARSE_ERROR or INVALID_REQUEST."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _NotJson(ValueError):
    """A number or constant the decoder refuses (its message is safe to show)."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: valid JSON syntax, but no double holds it
        raise _NotJson(f"number out of range: {text[:40]}")
    return value


def _not_json(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=_not_json)
_STRING = re.compile(rb'"[^"]*"')  # once escaped backslashes and quotes are gone
_SQUARE = bytes.maketrans(b"{}", b"[]")
_JSON_NOISE = b" \t\r\n,:0123456789+-.eEtrufalsn"  # what valid JSON has between brackets
_RUN = re.compile(rb"\[+|\]+")
_TOO_DEEP = f"invalid request: arrays and objects nest deeper than {MAX_DEPTH} levels"
_UNBALANCED = "parse error: unbalanced brackets or quotes"
_SMALL = 64 * 1024  # brackets that passes alone finish fast, however they nest
_SPLIT_QUOTES = 100_000  # up to this many quotes, strings are cut out by split (faster than a regex)


def _check_nesting(text: str) -> None:
    """Refuse ``text`` if its arrays and objects nest deeper than MAX_DEPTH, without recursing.

    Only brackets outside strings count, ``{}`` as ``[]`` (the decoder finds mismatches).
    While they are few or alternate densely, a pass (in C) deletes every innermost ``[]``, one
    level; once peaks are sparse, a loop over runs of opening and closing brackets adds the rest.
    Raises MalformedPayload (PARSE_ERROR for brackets or quotes that cannot balance).
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the common case: no scan
        return
    unescaped = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    quotes = unescaped.count(b'"')
    if quotes % 2:
        raise MalformedPayload(PARSE_ERROR, _UNBALANCED)
    outside = b"".join(unescaped.split(b'"')[::2]) if quotes <= _SPLIT_QUOTES else _STRING.sub(b"", unescaped)
    brackets = outside.translate(_SQUARE, _JSON_NOISE)  # anything else left is not JSON: no pair
    removed = 0  # levels the passes have taken off
    while brackets:
        size = len(brackets)
        if size > _SMALL and brackets.count(b"[]") <= max(4096, size // 64):  # sparse: loop over runs
            _check_runs(brackets, MAX_DEPTH - removed)
            return
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == size:  # no pair left: what remains can never balance
            raise MalformedPayload(PARSE_ERROR, _UNBALANCED)
        removed += 1
        if removed > MAX_DEPTH:
            raise MalformedPayload(INVALID_REQUEST, _TOO_DEEP)
        brackets = shorter


def _check_runs(brackets: bytes, limit: int) -> None:
    depth = 0
    for run in _RUN.finditer(brackets):
        size = run.end() - run.start()
        if brackets[run.start()] == 0x5B:  # "["
            depth += size
            if depth > limit:
                raise MalformedPayload(INVALID_REQUEST, _TOO_DEEP)
        else:
            depth -= size
            if depth < 0:
                break
    if depth:
        raise MalformedPayload(PARSE_ERROR, _UNBALANCED)


def decode(body: bytes | str) -> Any:
    """Parse one JSON-RPC payload (or any JSON text from a client, such as typed data sent as a
    string); the decoder never recurses deeper than MAX_DEPTH.

    Raises MalformedPayload: PARSE_ERROR for text that is not JSON (NaN, Infinity and numbers
    no double holds included), INVALID_REQUEST for nesting deeper than MAX_DEPTH.
    """
    try:
        text = body if isinstance(body, str) else body.decode(json.detect_encoding(body), "surrogatepass")
    except (UnicodeDecodeError, LookupError):
        raise MalformedPayload(PARSE_ERROR, "parse error") from None
    _check_nesting(text)
    try:
        return _DECODER.decode(text)
    except _NotJson as exc:
        raise MalformedPayload(PARSE_ERROR, f"parse error: {exc}") from None
    except json.JSONDecodeError:
        raise MalformedPayload(PARSE_ERROR, "parse error") from None
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
        raise MalformedPayload(PARSE_ERROR, "parse error: a number has too many digits") from None


def dumps(obj: Any) -> str:
    """Compact, strict (no NaN/Infinity) JSON serialization."""
    return _ENCODER.encode(obj)


class RpcError(Exception):
    """An error that is reported to the client as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r}, data={self.data!r})"


class InvalidParams(RpcError):
    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(INVALID_PARAMS, message, data)


@dataclass(frozen=True)
class Param:
    name: str
    parse: Callable[[Any], Any]
    optional: bool = False
    default: Any = None


@dataclass(frozen=True)
class Method:
    name: str
    handler: Callable[..., Any]
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    needs_connection: bool = False
    is_async: bool = False

    def __post_init__(self) -> None:
        if inspect.iscoroutinefunction(self.handler) and not self.is_async:
            raise ValueError(f"method {self.name}: handler is a coroutine function, set is_async=True")
        seen = {p.name for p in self.params}
        if len(seen) != len(self.params):
            raise ValueError(f"method {self.name}: duplicate parameter names")


class MethodTable:
    """Methods keyed by name; aliases resolve to the same :class:`Method`."""

    def __init__(self, methods: Iterable[Method] = ()) -> None:
        self._by_name: dict[str, Method] = {}
        self._methods: list[Method] = []
        for method in methods:
            self.add(method)

    def add(self, method: Method) -> None:
        keys = (method.name, *method.aliases)
        if len(set(keys)) != len(keys):
            raise ValueError(f"method {method.name}: an alias repeats a name")
        for key in keys:
            if key in self._by_name:
                raise ValueError(f"duplicate JSON-RPC method name: {key}")
        for key in keys:
            self._by_name[key] = method
        self._methods.append(method)

    def get(self, name: str) -> Method | None:
        return self._by_name.get(name)

    def names(self, include_aliases: bool = False) -> list[str]:
        """Canonical method names in insertion order (plus aliases if asked)."""
        if include_aliases:
            return list(self._by_name)
        return [m.name for m in self._methods]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Method]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)


_conn_ids = itertools.count(1)


class Connection(ABC):
    """What handlers with ``needs_connection=True`` receive.

    ``notify`` must be called from the event-loop thread; it never blocks.
    ``on_close`` callbacks run once when the connection ends (immediately if
    it already has).  Exceptions raised by callbacks are logged and ignored.
    """

    supports_notifications: bool = False

    def __init__(self, conn_id: str | None = None) -> None:
        self.id = conn_id if conn_id is not None else f"conn-{next(_conn_ids)}"
        self._close_callbacks: list[Callable[[], object]] = []  # return values are ignored
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @abstractmethod
    def notify(self, method: str, params: Any) -> None: ...

    def on_close(self, callback: Callable[[], object]) -> None:
        if self._closed:
            _run_callback(callback)
        else:
            self._close_callbacks.append(callback)

    def close(self) -> None:
        """Mark the connection closed and run the on_close callbacks (idempotent)."""
        if self._closed:
            return
        self._closed = True
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            _run_callback(callback)


def _run_callback(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        logger.exception("on_close callback failed")


class RequestConnection(Connection):
    """Connection of a single HTTP request (or in-process call).

    It cannot push notifications; it is closed (running its on_close
    callbacks) as soon as the request has been answered.
    """

    def __init__(self) -> None:
        super().__init__(f"http-{next(_conn_ids)}")

    def notify(self, method: str, params: Any) -> None:
        raise RpcError(SERVER_ERROR, "subscriptions need a WebSocket connection")


def _no_mapping(exc: Exception) -> RpcError | None:
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def _bind(method: Method, params: Any) -> list[Any]:
    specs = method.params
    values: list[Any]
    if params is None:
        values = []
    elif type(params) is list:
        values = params
        if len(values) > len(specs):
            raise InvalidParams(f"too many arguments, want at most {len(specs)}")
    else:  # dict of named params (validated by the caller)
        known = {p.name for p in specs}
        for key in params:
            if key not in known:
                raise InvalidParams(f"invalid params: unknown parameter {key}")
        values = [params.get(p.name) for p in specs]
    args: list[Any] = []
    count = len(values)
    for i, spec in enumerate(specs):
        value = values[i] if i < count else None
        if value is None:
            if not spec.optional:
                raise InvalidParams(f"missing value for required argument {i} ({spec.name})")
            args.append(spec.default)
            continue
        try:
            args.append(spec.parse(value))
        except _PARAM_ERRORS as exc:
            raise InvalidParams(f"invalid params: {spec.name}: {_reason(exc)}") from exc
    return args


def _error(rid: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}}


_EMPTY_BATCH_BYTES = dumps(_error(None, INVALID_REQUEST, "invalid request: empty batch")).encode()


class Dispatcher:
    """Turns raw JSON-RPC payloads into handler calls and serialized replies."""

    def __init__(
        self,
        table: MethodTable,
        error_mapper: Callable[[Exception], RpcError | None] = _no_mapping,
        on_call: Callable[[str], None] | None = None,
    ) -> None:
        self.table = table
        self._error_mapper = error_mapper
        self._on_call = on_call

    async def handle_raw(self, body: bytes | str, conn: Connection | None) -> bytes | None:
        """Answer one payload (single request or batch).

        Returns the serialized response, or None when nothing must be sent
        (notifications only).  With ``conn=None`` a :class:`RequestConnection`
        is used and closed once the payload has been handled.
        """
        try:
            payload = decode(body)
        except MalformedPayload as exc:
            return _encode_one(_error(None, exc.code, exc.message))
        if type(payload) is list:
            if not payload:
                return _EMPTY_BATCH_BYTES
            if len(payload) > MAX_BATCH:
                return _encode_one(_error(None, INVALID_REQUEST, (
                    f"invalid request: batch too large: {len(payload)} requests, the limit is {MAX_BATCH}")))
        own = conn is None
        connection = RequestConnection() if conn is None else conn
        try:
            if type(payload) is list:
                replies = [r for r in [await self._handle_one(item, connection) for item in payload] if r is not None]
                return _encode_batch(replies) if replies else None
            reply = await self._handle_one(payload, connection)
            return None if reply is None else _encode_one(reply)
        finally:
            if own:
                connection.close()

    async def call(self, method: str, params: list[Any] | dict[str, Any] | None = None,
                   conn: Connection | None = None) -> Any:
        """In-process call: returns the handler's result or raises RpcError."""
        if params is not None and not isinstance(params, (list, dict)):
            raise InvalidParams("invalid params: params must be an array or an object")
        connection = RequestConnection() if conn is None else conn
        try:
            return await self._invoke(method, params, connection)
        finally:
            if conn is None:
                connection.close()

    async def _handle_one(self, req: Any, conn: Connection) -> dict[str, Any] | None:
        if type(req) is not dict:
            return _error(None, INVALID_REQUEST, "invalid request: expected an object")
        notification = "id" not in req
        rid = req.get("id")
        if rid is not None and (type(rid) not in (str, int, float)):
            return _error(None, INVALID_REQUEST, "invalid request: id must be a string, number or null")
        if req.get("jsonrpc", "2.0") != "2.0":  # lenient: a missing "jsonrpc" is accepted
            return _error(rid, INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"")
        name = req.get("method")
        if type(name) is not str:
            return _error(rid, INVALID_REQUEST, "invalid request: method must be a string")
        params = req.get("params")
        if params is not None and type(params) is not list and type(params) is not dict:
            return _error(rid, INVALID_REQUEST, "invalid request: params must be an array or an object")
        if self._on_call is not None:
            try:
                self._on_call(name)
            except Exception:
                logger.exception("on_call hook failed")
        try:
            result = await self._invoke(name, params, conn)
        except RpcError as exc:
            return None if notification else {"jsonrpc": "2.0", "id": rid, "error": exc.to_json()}
        return None if notification else {"jsonrpc": "2.0", "id": rid, "result": result}

    async def _invoke(self, name: str, params: Any, conn: Connection) -> Any:
        method = self.table.get(name)
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {name} does not exist/is not available")
        try:
            args = _bind(method, params) if method.params or params else ()
            if method.needs_connection:
                result = method.handler(conn, *args)
            else:
                result = method.handler(*args)
            if method.is_async:
                result = await result
            return result
        except RpcError:
            raise
        except Exception as exc:
            raise self._map_exception(name, exc) from exc

    def _map_exception(self, name: str, exc: Exception) -> RpcError:
        try:
            mapped = self._error_mapper(exc)
        except Exception:
            logger.exception("error_mapper failed while mapping %r", exc)
            mapped = None
        if mapped is not None:
            return mapped
        logger.error("internal error in %s", name, exc_info=exc)
        return RpcError(INTERNAL_ERROR, str(exc) or type(exc).__name__)


def _unserializable(reply: dict[str, Any], exc: Exception) -> str:
    rid = reply.get("id")
    logger.error("cannot serialize response to id %r", rid, exc_info=exc)
    error = _error(rid, INTERNAL_ERROR, f"result is not JSON-serializable: {exc}")
    try:
        return dumps(error)
    except _SERIALIZE_ERRORS:  # the id itself is not valid JSON (NaN)
        return dumps(_error(None, INTERNAL_ERROR, error["error"]["message"]))


def _encode_one(reply: dict[str, Any]) -> bytes:
    try:
        return _ENCODER.encode(reply).encode()
    except _SERIALIZE_ERRORS as exc:
        return _unserializable(reply, exc).encode()


def _encode_batch(replies: list[dict[str, Any]]) -> bytes:
    try:
        return _ENCODER.encode(replies).encode()
    except _SERIALIZE_ERRORS:
        parts = [_encode_one(reply) for reply in replies]
        return b"[" + b",".join(parts) + b"]"
