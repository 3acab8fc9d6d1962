"""Ethereum-agnostic JSON-RPC transport: dispatcher, HTTP/WebSocket server."""

from rpc.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SERVER_ERROR,
    Connection,
    Dispatcher,
    InvalidParams,
    Method,
    MethodTable,
    Param,
    RequestConnection,
    RpcError,
)
from rpc.server import Endpoint, ServerGroup, WsConnection, build_app, find_free_port

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "SERVER_ERROR",
    "Connection",
    "Dispatcher",
    "Endpoint",
    "InvalidParams",
    "Method",
    "MethodTable",
    "Param",
    "RequestConnection",
    "RpcError",
    "ServerGroup",
    "WsConnection",
    "build_app",
    "find_free_port",
]
