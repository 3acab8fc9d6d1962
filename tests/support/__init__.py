"""What the test suites share: the JSON-RPC client and the served devnet.

Isolation comes from the project's own pytest plugin (``xrollup.pytest_plugin``): every test
that uses ``xrollup_server`` (or ``xrollup_devnet``) runs between a snapshot and its revert.
"""

from tests.support.devnet import served
from tests.support.rpc import ChainRpc, Rpc, RpcError, WsRpc

__all__ = ["ChainRpc", "Rpc", "RpcError", "WsRpc", "served"]
