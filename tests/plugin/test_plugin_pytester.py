"""The pytest plugin, as a dapp's own suite sees it: run through pytest's ``pytester``.

The plugin is loaded from the package's ``pytest11`` entry point (nothing in the generated
projects names it), so these tests also check that the installed package registers it.
"""

from __future__ import annotations

import textwrap

import pytest

import xrollup.api  # noqa: F401  (imported once here: in-process runs would re-import py-evm each time)

pytest_plugins = ["pytester"]

# hypothesis's plugin imports much of hypothesis at the end of every (inner) session, and
# pytester drops modules an in-process run imported: seconds per run, for nothing here.
QUIET = ("-q", "-p", "no:hypothesispytest")

DAPP_TESTS = '''
import sys

import pytest

ETH = 10**18


def test_unrelated_tests_do_not_start_the_devnet():
    assert "xrollup.api" not in sys.modules


def test_send_value(w3, accounts):
    alice, bob = accounts[0], accounts[1]
    w3.eth.send_transaction({"from": alice.address, "to": bob.address, "value": ETH})
    assert w3.eth.get_balance(bob.address) == 10_001 * ETH
    assert w3.eth.block_number == 1


def test_previous_test_left_nothing_behind(w3, accounts):
    assert w3.eth.get_balance(accounts[1].address) == 10_000 * ETH
    assert w3.eth.block_number == 0


def test_deploy_and_transact(devnet, w3):
    counter = devnet.deploy("Counter", 41)
    counter.functions.increment().transact()
    assert counter.functions.number().call() == 42
    assert w3.eth.chain_id == 901


def test_deployment_was_reverted(w3):
    assert w3.eth.block_number == 0
    assert w3.eth.get_transaction_count(w3.eth.default_account) == 0


@pytest.mark.parametrize("chain_id", [901, 902])
def test_each_chain(w3, chain_id):
    assert w3.eth.chain_id == chain_id


@pytest.mark.parametrize("w3", [902], indirect=True)
def test_indirect_w3(w3):
    assert w3.eth.chain_id == 902
'''


def test_a_dapp_suite_needs_no_configuration(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dapp=DAPP_TESTS)
    result = pytester.runpytest_subprocess("-q")  # exactly what a user types
    result.assert_outcomes(passed=8)
    assert result.ret == pytest.ExitCode.OK


def test_isolation_keeps_wider_scoped_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
        import pytest

        @pytest.fixture(scope="module")
        def counter(devnet):
            return devnet.deploy("Counter", 1, chain=902)

        @pytest.fixture(autouse=True)
        def funded(devnet):  # the user's own autouse fixture: inside the snapshot
            devnet.w3(901).eth.send_transaction({"to": "0x" + "00" * 19 + "42", "value": 5})
    ''')
    pytester.makepyfile(test_scopes='''
        def test_first(counter, devnet):
            counter.functions.setNumber(99).transact()
            assert counter.functions.number().call() == 99
            assert devnet.w3(901).eth.get_balance("0x" + "00" * 19 + "42") == 5

        def test_second(counter, devnet):
            assert counter.functions.number().call() == 1  # deployed once, the write reverted
            assert devnet.w3(901).eth.get_balance("0x" + "00" * 19 + "42") == 5
    ''')
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=2)


def test_options_from_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_opts='''
        import json, urllib.request

        def test_config(devnet, accounts, w3):
            assert devnet.chain_ids == (901, 902, 903)
            assert len(accounts) == 3
            assert w3.eth.chain_id == 901
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
            req = urllib.request.Request(devnet.urls[903], body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert json.load(resp)["result"] == hex(903)
    ''')
    result = pytester.runpytest(*QUIET, "--xrollup-chains", "901,902,903", "--xrollup-accounts", "3", "--xrollup-serve")
    result.assert_outcomes(passed=1)


def test_the_served_devnet_is_isolated_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_served='''
        from web3 import Web3

        WHO = "0x" + "00" * 19 + "42"
        SEEN = {}

        def call(server, method, *params):
            reply = Web3(Web3.HTTPProvider(server.urls[903])).provider.make_request(method, list(params))
            return reply["result"]

        def test_first(xrollup_server):
            assert sorted(xrollup_server.urls) == [901, 903]
            SEEN.update(coinbase=call(xrollup_server, "eth_coinbase"), height=call(xrollup_server, "xr_blockNumber"))
            call(xrollup_server, "anvil_setBalance", WHO, "0x5")
            call(xrollup_server, "evm_mine")
            call(xrollup_server, "anvil_setCoinbase", "0x" + "11" * 20)
            call(xrollup_server, "anvil_impersonateAccount", WHO)
            call(xrollup_server, "evm_setAutomine", False)
            assert call(xrollup_server, "eth_getBalance", WHO, "latest") == "0x5"

        def test_second(xrollup_server):
            assert call(xrollup_server, "eth_getBalance", WHO, "latest") == "0x0"
            assert call(xrollup_server, "xr_blockNumber") == SEEN["height"]
            assert call(xrollup_server, "eth_coinbase") == SEEN["coinbase"]
            assert call(xrollup_server, "anvil_getAutomine") is True
            assert xrollup_server.run(lambda: set(xrollup_server.devnet.sequencer.impersonated)) == set()
    ''')
    result = pytester.runpytest(*QUIET, "--xrollup-chains", "901,903")
    result.assert_outcomes(passed=2)


def test_options_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini(textwrap.dedent('''
        [pytest]
        xrollup_chains = 10, 20
    '''))
    pytester.makepyfile(test_ini='''
        def test_config(devnet, w3):
            assert devnet.chain_ids == (10, 20) and not devnet.urls
            assert w3.eth.chain_id == 10
    ''')
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_any="def test_x(): pass")
    result = pytester.runpytest(*QUIET, "--xrollup-chains", "nine-oh-one")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*xrollup_chains*"])


def test_the_plugin_is_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--fixtures")
    result.stdout.fnmatch_lines(["*fixtures defined from xrollup.pytest_plugin*", "*xrollup_devnet*"])
