"""The async halves of web3.py's module suites (``AsyncEthModuleTest``, ``AsyncWeb3ModuleTest``,
``AsyncNetModuleTest``, geth's async ``txpool`` and ``debug`` suites) through web3.py's
``AsyncWeb3`` over HTTP, on a server of their own (conftest.py), run by pytest-asyncio.
Known failures: as in test_web3_modules.py."""

from __future__ import annotations

from web3._utils.module_testing import (
    AsyncEthModuleTest,
    AsyncNetModuleTest,
    GoEthereumAsyncDebugModuleTest,
    GoEthereumAsyncTxPoolModuleTest,
)
from web3._utils.module_testing.web3_module import AsyncWeb3ModuleTest


class TestAsyncEthModule(AsyncEthModuleTest):
    pass


class TestAsyncWeb3Module(AsyncWeb3ModuleTest):
    def _check_web3_client_version(self, client_version: str) -> None:
        assert "xrollup/" in client_version


class TestAsyncNetModule(AsyncNetModuleTest):
    pass


class TestAsyncTxPoolModule(GoEthereumAsyncTxPoolModuleTest):
    pass


class TestAsyncDebugModule(GoEthereumAsyncDebugModuleTest):
    pass
