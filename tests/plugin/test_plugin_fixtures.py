"""The plugin's fixtures used directly by this repository's suite (tests/plugin has no conftest
that would shadow them): ``devnet``, ``w3``, ``chain_id``, ``accounts`` and the per-test revert."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

ETH = 10**18
BURN = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture(scope="module")
def counter(devnet: Any) -> Any:
    """Deployed once for the module: outside the per-test snapshots, so it persists."""
    return devnet.deploy("Counter", 100, chain=902)


def test_w3_defaults_to_the_first_chain(w3: Web3, devnet: Any, xrollup_devnet: Any) -> None:
    assert devnet is xrollup_devnet
    assert w3.eth.chain_id == devnet.chain_ids[0] == 901
    assert w3.eth.default_account == devnet.accounts[0].address


@pytest.mark.parametrize("chain_id", [901, 902])
def test_w3_per_chain(w3: Web3, chain_id: int) -> None:
    assert w3.eth.chain_id == chain_id


def test_write(w3: Web3, accounts: list[Any], counter: Any) -> None:
    w3.eth.send_transaction({"from": accounts[4].address, "to": BURN, "value": ETH})
    counter.functions.setNumber(1).transact()
    assert w3.eth.get_balance(BURN) == ETH and counter.functions.number().call() == 1


def test_write_was_reverted(w3: Web3, counter: Any) -> None:
    assert w3.eth.get_balance(BURN) == 0
    assert counter.functions.number().call() == 100  # the module's deployment is still there


def test_w3_is_fresh_per_test(w3: Web3) -> None:
    assert w3.eth.default_account != BURN
    w3.eth.default_account = BURN  # does not leak into the next test's w3


def test_after_mutating_w3(w3: Web3) -> None:
    assert w3.eth.default_account != BURN
