"""pytest plugin: an xrollup devnet for a dapp's test suite, with no configuration.

Registered through the ``pytest11`` entry point, so installing xrollup is enough::

    def test_transfer(w3, accounts):
        alice, bob = accounts[0], accounts[1]
        w3.eth.send_transaction({"from": alice.address, "to": bob.address, "value": 10**18})
        assert w3.eth.get_balance(bob.address) == 10_001 * 10**18

Fixtures:

* ``xrollup_devnet`` (alias ``devnet``, session): an ``xrollup.api.Devnet``, started on first
  use (in-process; ``--xrollup-serve`` also puts it on HTTP/WebSocket ports, ``devnet.urls``).
* ``w3`` (function): a web3.py ``Web3`` for chain ``chain_id``, default account dev account 0.
* ``chain_id`` (function): the first chain unless parametrised:
  ``@pytest.mark.parametrize("chain_id", [901, 902])`` (or ``("w3", [...], indirect=True)``).
* ``accounts`` (session): the dev accounts, ``eth_account`` ``LocalAccount``s (``.address``,
  ``.key``), funded on every chain.
* ``xrollup_server`` (session): a devnet served over HTTP/WebSocket on free ports from a
  background thread (``xrollup.testing.DevnetThread``: ``.urls``, ``.devnet``, ``.run(fn)``),
  for suites that talk to a node only over the network. A conftest (or a module) overrides it
  to serve other chains or options; the isolation below still applies.

Both run the settlement layer's L1 (chain 900) beside the rollups, on a free port when served
(``xrollup_devnet.w3(900)``, ``xrollup_server.devnet.l1.url``).

Every test that uses one of them runs isolated: snapshot before, revert after (every chain,
the pools, the clock, the mining mode, the coinbase, impersonation; only the chains that moved
have anything to undo, so isolation costs the same with 2 chains or 100). In automine a test's
transactions advance only the chains they touch: another chain's block number stays put. Fixtures with a wider scope
(a module-scoped deployment) are set up before the snapshot, so they persist for their scope.
Tests that use none of them do not start or touch the devnet.

Options (command line, or ini keys ``xrollup_chains``, ``xrollup_accounts``, ``xrollup_serve``):
``--xrollup-chains 901,902``, ``--xrollup-accounts 10``, ``--xrollup-serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from xrollup.api import Devnet
    from xrollup.testing import DevnetThread

DEFAULT_CHAINS = "901,902"
DEFAULT_ACCOUNTS = "10"
DEVNET_FIXTURE = "xrollup_devnet"
SERVER_FIXTURE = "xrollup_server"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xrollup", "xrollup devnet")
    group.addoption("--xrollup-chains", dest="xrollup_chains", default=None, metavar="IDS",
                    help=f"chain ids of the test devnet, comma-separated (default: {DEFAULT_CHAINS})")
    group.addoption("--xrollup-accounts", dest="xrollup_accounts", default=None, metavar="N",
                    help=f"number of funded dev accounts (default: {DEFAULT_ACCOUNTS})")
    group.addoption("--xrollup-serve", dest="xrollup_serve", action="store_true", default=None,
                    help="also serve the test devnet over HTTP/WebSocket on free ports (devnet.urls)")
    parser.addini("xrollup_chains", "chain ids of the test devnet, comma-separated", default=DEFAULT_CHAINS)
    parser.addini("xrollup_accounts", "number of funded dev accounts", default=DEFAULT_ACCOUNTS)
    parser.addini("xrollup_serve", "also serve the test devnet over HTTP/WebSocket", type="bool", default=False)


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return config.getini(name) if value is None else value


def _chains(config: pytest.Config) -> tuple[int, ...]:
    raw = str(_option(config, "xrollup_chains"))
    try:
        chains = tuple(int(part, 0) for part in raw.replace(" ", ",").split(",") if part)
    except ValueError:
        raise pytest.UsageError(f"xrollup_chains: expected comma-separated chain ids, got {raw!r}") from None
    if not chains:
        raise pytest.UsageError("xrollup_chains: at least one chain id is needed")
    return chains


def _accounts(config: pytest.Config) -> int:
    raw = str(_option(config, "xrollup_accounts"))
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise pytest.UsageError(f"xrollup_accounts: expected a positive number, got {raw!r}")
    return count


def pytest_configure(config: pytest.Config) -> None:
    _chains(config)  # bad options fail the run at once, not in the first test that uses the devnet
    _accounts(config)


@pytest.fixture(scope="session")
def xrollup_devnet(pytestconfig: pytest.Config) -> Iterator[Devnet]:
    """The session's devnet (``xrollup.api.Devnet``), started on first use."""
    from xrollup.api import Devnet  # here: importing py-evm and web3 takes a second or two

    net = Devnet(_chains(pytestconfig), accounts=_accounts(pytestconfig))
    try:
        if _option(pytestconfig, "xrollup_serve"):
            net.serve()
        yield net
    finally:
        net.close()


@pytest.fixture(scope="session")
def devnet(xrollup_devnet: Devnet) -> Devnet:
    """Alias of ``xrollup_devnet``."""
    return xrollup_devnet


@pytest.fixture
def chain_id(pytestconfig: pytest.Config) -> int:
    """The chain ``w3`` talks to: the devnet's first unless parametrised."""
    return _chains(pytestconfig)[0]


@pytest.fixture
def w3(request: pytest.FixtureRequest, xrollup_devnet: Devnet, chain_id: int) -> Web3:
    """A fresh in-process ``Web3`` for ``chain_id`` (or ``request.param`` when parametrised
    indirectly), its default account dev account 0."""
    return xrollup_devnet.new_w3(int(getattr(request, "param", chain_id)))


@pytest.fixture(scope="session")
def accounts(xrollup_devnet: Devnet) -> list[LocalAccount]:
    """The funded dev accounts (``eth_account`` ``LocalAccount``: ``.address``, ``.key``)."""
    return list(xrollup_devnet.accounts)


@pytest.fixture(scope="session")
def xrollup_server(pytestconfig: pytest.Config) -> Iterator[DevnetThread]:
    """A devnet of the configured chains served on free ports from a background thread."""
    from xrollup.config import DevnetConfig
    from xrollup.testing import DevnetThread

    config = DevnetConfig(chain_ids=_chains(pytestconfig), accounts=_accounts(pytestconfig), port=0, silent=True,
                          l1=True)  # the L1 on a free port too (devnet.l1.url)
    with DevnetThread(config) as server:
        yield server


@pytest.fixture(autouse=True)
def _xrollup_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot/revert around each test that uses a devnet (in-process or served); nothing
    for the others."""
    with ExitStack() as stack:
        for name in (DEVNET_FIXTURE, SERVER_FIXTURE):
            if name in request.fixturenames:
                net: Devnet | DevnetThread = request.getfixturevalue(name)
                stack.enter_context(net.isolated())
        yield
