"""Fixtures web3.py's module suites (``web3._utils.module_testing``) ask for, over a real server.

web3.py runs these suites against geth from a prepared data directory: contracts deployed, a
block with a transaction, a block with a log, two reverting transactions, an empty block. Here
the same chain state is built once per session on a served xrollup devnet with the chain id
those suites hard-code (131277322940537), once per test module: the sync suites and the async
ones each get a fresh server, as each of web3.py's runs gets a fresh geth (their EIP-7702 test
leaves storage in the keyfile account that the other's would read). The chain automines, except during the tests that
expect a transaction they just sent to stay pending (replacing or modifying it, or finding no
receipt yet, as on a node with a block time): those run with mining paused, and what they left
in the pool is mined after them. With a block time instead, a block now and then falls between
sending and replacing, and such a test fails at random.

The unlocked "keyfile account" of geth's fixture is dev account 0 (the server signs for it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils import to_bytes
from web3 import AsyncHTTPProvider, AsyncWeb3, Web3
from web3._utils.contract_sources.contract_data.emitter_contract import EMITTER_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.math_contract import MATH_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.offchain_lookup import OFFCHAIN_LOOKUP_DATA
from web3._utils.contract_sources.contract_data.panic_errors_contract import PANIC_ERRORS_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.revert_contract import REVERT_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.storage_contract import STORAGE_CONTRACT_DATA
from web3._utils.module_testing.utils import RequestMocker
from web3.contract import Contract
from web3.types import BlockData

from tests.conformance.known_failures import KNOWN_FAILURES, SOMETIMES_FAILING
from tests.support import served
from xrollup.testing import DevnetThread

CONFORMANCE_CHAIN_ID = 131277322940537  # hard-coded by web3.py's suites
STAYS_PENDING = re.compile(r"replace_transaction|modify_transaction|_unmined")  # ... but not *_already_mined
LOG_DOUBLE_WITH_INDEX = 9  # the emitter's LogFunctions enum


@dataclass(frozen=True)
class ChainState:
    """What geth's fixture data directory records, built on the xrollup server."""

    keyfile_account: str
    keyfile_pkey: str
    contracts: dict[str, str]  # name -> address
    math_deploy_txn_hash: str
    txn_hash_with_log: str
    block_hash_with_log: str
    block_hash_revert_with_msg: str
    block_hash_revert_no_msg: str
    empty_block_hash: str
    mined_txn_hash: str
    block_with_txn_hash: str


@pytest.fixture(scope="module")
def conformance_server() -> Iterator[DevnetThread]:
    with served((CONFORMANCE_CHAIN_ID,)) as server:
        yield server


@pytest.fixture(scope="module")
def conformance_url(conformance_server: DevnetThread) -> str:
    return conformance_server.urls[CONFORMANCE_CHAIN_ID]


def _deploy(w3: Web3, sender: str, data: dict[str, Any]) -> tuple[str, str]:
    tx_hash = w3.eth.contract(abi=data["abi"], bytecode=data["bytecode"]).constructor().transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return str(receipt["contractAddress"]), tx_hash.to_0x_hex()


def _block_hash_of(w3: Web3, tx_hash: bytes) -> str:
    return w3.eth.wait_for_transaction_receipt(tx_hash)["blockHash"].to_0x_hex()


@pytest.fixture(scope="module")
def chain_state(conformance_server: DevnetThread, conformance_url: str) -> ChainState:
    w3 = Web3(Web3.HTTPProvider(conformance_url, request_kwargs={"timeout": 30}))
    accounts = conformance_server.devnet.accounts
    keyfile, deployer = accounts[0], accounts[1].address
    contracts: dict[str, str] = {}
    math_hash = ""
    for name, data in (("math", MATH_CONTRACT_DATA), ("emitter", EMITTER_CONTRACT_DATA),
                       ("revert", REVERT_CONTRACT_DATA), ("offchain_lookup", OFFCHAIN_LOOKUP_DATA),
                       ("panic_errors", PANIC_ERRORS_CONTRACT_DATA), ("storage", STORAGE_CONTRACT_DATA)):
        contracts[name], tx_hash = _deploy(w3, deployer, data)
        if name == "math":
            math_hash = tx_hash
    emitter = w3.eth.contract(address=contracts["emitter"], abi=EMITTER_CONTRACT_DATA["abi"])
    log_hash = emitter.functions.logDouble(LOG_DOUBLE_WITH_INDEX, 12345, 54321).transact({"from": deployer})
    revert = w3.eth.contract(address=contracts["revert"], abi=REVERT_CONTRACT_DATA["abi"])
    revert.functions.normalFunction().transact({"from": deployer, "gas": 320_000})
    with_msg = revert.functions.revertWithMessage().transact({"from": deployer, "gas": 320_000})
    no_msg = revert.functions.revertWithoutMessage().transact({"from": deployer, "gas": 320_000})
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    empty = w3.eth.get_block("latest")
    assert not empty["transactions"]
    mined = w3.eth.send_transaction({"from": deployer, "to": deployer, "value": 1, "gas": 21_000})
    state = ChainState(
        keyfile_account=keyfile.checksum_address, keyfile_pkey="0x" + keyfile.private_key.hex(), contracts=contracts,
        math_deploy_txn_hash=math_hash, txn_hash_with_log=log_hash.to_0x_hex(),
        block_hash_with_log=_block_hash_of(w3, log_hash), block_hash_revert_with_msg=_block_hash_of(w3, with_msg),
        block_hash_revert_no_msg=_block_hash_of(w3, no_msg), empty_block_hash=empty["hash"].to_0x_hex(),
        mined_txn_hash=mined.to_0x_hex(), block_with_txn_hash=_block_hash_of(w3, mined),
    )
    return state


@pytest.fixture(autouse=True)
def _pending_window(request: pytest.FixtureRequest, conformance_url: str) -> Iterator[None]:
    """Each test starts on an empty head block, as on geth's dev chain (an empty block every
    second), since some read the latest block's logs; mining is paused for the tests that
    expect what they send to stay pending."""
    w3 = Web3(Web3.HTTPProvider(conformance_url))
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    name = getattr(request.node, "originalname", request.node.name)
    if not STAYS_PENDING.search(name) or "already_mined" in name:
        yield
        return
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


# -- what web3.py's suites ask for --------------------------------------------------------


@pytest.fixture(scope="module", params=[lambda x: to_bytes(hexstr=x), lambda x: x], ids=["bytes", "str"])
def address_conversion_func(request: pytest.FixtureRequest) -> Any:
    return request.param


@pytest.fixture
def w3(conformance_url: str, chain_state: ChainState) -> Web3:
    return Web3(Web3.HTTPProvider(conformance_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def auto_w3(conformance_url: str, chain_state: ChainState, monkeypatch: pytest.MonkeyPatch) -> Web3:
    from web3.auto import w3 as auto

    monkeypatch.setenv("WEB3_PROVIDER_URI", conformance_url)
    return auto


@pytest.fixture
def request_mocker() -> type[RequestMocker]:
    return RequestMocker


@pytest.fixture
def skip_if_testrpc() -> Any:
    return lambda w3: None


def _contract(w3: Web3, data: dict[str, Any], address: str) -> Contract:
    return w3.eth.contract(address=address, abi=data["abi"], bytecode=data["bytecode"])


@pytest.fixture
def math_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, MATH_CONTRACT_DATA, chain_state.contracts["math"])


@pytest.fixture
def math_contract_address(math_contract: Contract, address_conversion_func: Any) -> Any:
    return address_conversion_func(math_contract.address)


@pytest.fixture
def math_contract_deploy_txn_hash(chain_state: ChainState) -> str:
    return chain_state.math_deploy_txn_hash


@pytest.fixture
def emitter_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, EMITTER_CONTRACT_DATA, chain_state.contracts["emitter"])


@pytest.fixture
def emitter_contract_address(emitter_contract: Contract, address_conversion_func: Any) -> Any:
    return address_conversion_func(emitter_contract.address)


@pytest.fixture
def revert_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, REVERT_CONTRACT_DATA, chain_state.contracts["revert"])


@pytest.fixture
def offchain_lookup_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, OFFCHAIN_LOOKUP_DATA, chain_state.contracts["offchain_lookup"])


@pytest.fixture
def panic_errors_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, PANIC_ERRORS_CONTRACT_DATA, chain_state.contracts["panic_errors"])


@pytest.fixture
def storage_contract(w3: Web3, chain_state: ChainState) -> Contract:
    return _contract(w3, STORAGE_CONTRACT_DATA, chain_state.contracts["storage"])


@pytest.fixture
def keyfile_account_pkey(chain_state: ChainState) -> str:
    return chain_state.keyfile_pkey


@pytest.fixture
def keyfile_account_address(chain_state: ChainState) -> str:
    return chain_state.keyfile_account


@pytest.fixture
def keyfile_account_address_dual_type(keyfile_account_address: str, address_conversion_func: Any) -> Any:
    return keyfile_account_address


@pytest.fixture
def empty_block(w3: Web3, chain_state: ChainState) -> BlockData:
    return w3.eth.get_block(chain_state.empty_block_hash)


@pytest.fixture
def block_with_txn(w3: Web3, chain_state: ChainState) -> BlockData:
    return w3.eth.get_block(chain_state.block_with_txn_hash)


@pytest.fixture
def mined_txn_hash(chain_state: ChainState) -> str:
    return chain_state.mined_txn_hash


@pytest.fixture
def block_with_txn_with_log(w3: Web3, chain_state: ChainState) -> BlockData:
    return w3.eth.get_block(chain_state.block_hash_with_log)


@pytest.fixture
def txn_hash_with_log(chain_state: ChainState) -> str:
    return chain_state.txn_hash_with_log


@pytest.fixture
def block_hash_revert_with_msg(chain_state: ChainState) -> str:
    return chain_state.block_hash_revert_with_msg


@pytest.fixture
def block_hash_revert_no_msg(chain_state: ChainState) -> str:
    return chain_state.block_hash_revert_no_msg


# -- the async suites' fixtures: the same chain state, through web3.py's async client ----------
# (Block fixtures are read with the sync client: their values are the same dicts.)


@pytest.fixture
def async_w3(conformance_url: str, chain_state: ChainState) -> AsyncWeb3[Any]:
    return AsyncWeb3(AsyncHTTPProvider(conformance_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def async_skip_if_testrpc() -> Any:
    return lambda w3: None


def _async_contract(async_w3: AsyncWeb3[Any], data: dict[str, Any], address: str) -> Any:
    return async_w3.eth.contract(address=address, abi=data["abi"], bytecode=data["bytecode"])


@pytest.fixture
def async_math_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, MATH_CONTRACT_DATA, chain_state.contracts["math"])


@pytest.fixture
def async_math_contract_address(async_math_contract: Any, address_conversion_func: Any) -> Any:
    return address_conversion_func(async_math_contract.address)


@pytest.fixture
def async_emitter_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, EMITTER_CONTRACT_DATA, chain_state.contracts["emitter"])


@pytest.fixture
def async_emitter_contract_address(async_emitter_contract: Any, address_conversion_func: Any) -> Any:
    return address_conversion_func(async_emitter_contract.address)


@pytest.fixture
def async_revert_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, REVERT_CONTRACT_DATA, chain_state.contracts["revert"])


@pytest.fixture
def async_offchain_lookup_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, OFFCHAIN_LOOKUP_DATA, chain_state.contracts["offchain_lookup"])


@pytest.fixture
def async_panic_errors_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, PANIC_ERRORS_CONTRACT_DATA, chain_state.contracts["panic_errors"])


@pytest.fixture
def async_storage_contract(async_w3: AsyncWeb3[Any], chain_state: ChainState) -> Any:
    return _async_contract(async_w3, STORAGE_CONTRACT_DATA, chain_state.contracts["storage"])


@pytest.fixture
def async_keyfile_account_address(chain_state: ChainState) -> str:
    return chain_state.keyfile_account


@pytest.fixture
def async_keyfile_account_address_dual_type(async_keyfile_account_address: str, address_conversion_func: Any) -> Any:
    return async_keyfile_account_address


@pytest.fixture
def async_empty_block(empty_block: BlockData) -> BlockData:
    return empty_block


@pytest.fixture
def async_block_with_txn(block_with_txn: BlockData) -> BlockData:
    return block_with_txn


@pytest.fixture
def async_block_with_txn_with_log(block_with_txn_with_log: BlockData) -> BlockData:
    return block_with_txn_with_log


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each known failure as a strict expected failure, with its reason (one that fails
    only now and then: a non-strict one)."""
    for item in items:
        cls = getattr(item, "cls", None)
        name = getattr(item, "originalname", item.name)
        key = f"{cls.__name__}::{name}" if cls is not None else ""
        if key in KNOWN_FAILURES:
            item.add_marker(pytest.mark.xfail(reason=KNOWN_FAILURES[key], strict=True))
        elif key in SOMETIMES_FAILING:
            item.add_marker(pytest.mark.xfail(reason=SOMETIMES_FAILING[key], strict=False))
