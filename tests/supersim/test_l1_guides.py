"""The L1 half of supersim's published guides, run as they are written against xrollup's L1,
with cast: the ETH deposits of first steps (docs/src/getting-started/first-steps.md, "Deposit
ETH from the L1 into the L2", through the OptimismPortal and through the L1StandardBridge) and
the deposit-transactions guide (docs/src/guides/deposit-transactions.md). Only the endpoint URLs
are replaced by the test devnet's free ports."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest
from eth_utils import keccak

from tests.supersim.test_guides import Shell
from tests.supersim.tools import Tools, install
from tests.support import Rpc, served
from xrollup.cli import banner
from xrollup.testing import DevnetThread

A, B = 901, 902
ETH = 10**18
L1_BLOCK = "0x4200000000000000000000000000000000000015"

# first-steps.md, "Deposit ETH from the L1 into the L2"
BALANCE = "cast balance 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 --rpc-url http://127.0.0.1:9545"
PORTAL_SEND = ("cast send 0x37a418800d0c812A9dE83Bc80e993A6b76511B57 --value 0.1ether --rpc-url http://127.0.0.1:8545 "
               "--private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
BRIDGE_SEND = ('cast send 0x8d515eb0e5F293B16B6bBCA8275c060bAe0056B0 "bridgeETH(uint32 _minGasLimit, bytes calldata '
               '_extraData)" 50000 0x --value 0.1ether --rpc-url http://127.0.0.1:8545 --private-key '
               '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
# deposit-transactions.md, "Sample Deposit Flow"
DEPOSIT_SEND = ("cast send 0x37a418800d0c812A9dE83Bc80e993A6b76511B57 --value 1ether --rpc-url http://localhost:8545 "
                "--private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
OBSERVED = ("  * Name: OPChainA  ChainID: 901", "    L1 Contracts:",
            "     - OptimismPortal:         0x37a418800d0c812A9dE83Bc80e993A6b76511B57",
            "     - L1CrossDomainMessenger: 0xcd712b03bc6424BF45cE6C29Fc90FFDece228F6E",
            "     - L1StandardBridge:       0x8d515eb0e5F293B16B6bBCA8275c060bAe0056B0")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def tools() -> Tools:
    return install()


@pytest.fixture(scope="module")
def chain_log() -> Iterator[Lines]:
    """What the devnet logs for chain 901 (supersim's console lines)."""
    handler, logger = Lines(), logging.getLogger(f"xrollup.chain.{A}")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def devnet(chain_log: Lines) -> Iterator[DevnetThread]:
    """`supersim`: the L1 and the rollups."""
    with served((A, B), l1=True, admin_port=0) as server:
        yield server


@pytest.fixture(scope="module")
def sh(tools: Tools, devnet: DevnetThread) -> Shell:
    shell = Shell(tools, devnet)
    assert devnet.devnet.l1 is not None and devnet.devnet.l1.url
    shell.urls["http://127.0.0.1:8545"] = shell.urls["http://localhost:8545"] = devnet.devnet.l1.url
    return shell


def balance(sh: Shell) -> int:
    return int(sh.run(BALANCE).split()[0])


def credited(sh: Shell, expected: int) -> int:
    """Step 3's balance once the deposit has landed on 901 (the first superblock after the L1
    block that holds it); the timeout only ends a run that would otherwise hang."""
    deadline = time.monotonic() + 60
    while (now := balance(sh)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return now


def test_first_steps_deposit_eth_from_the_l1(sh: Shell) -> None:
    before = balance(sh)  # 1.
    receipt = sh.send(PORTAL_SEND)  # 2. first method: OptimismPortal
    assert receipt["to"].lower() == "0x37a418800d0c812a9de83bc80e993a6b76511b57"
    assert credited(sh, before + ETH // 10) == before + ETH // 10  # 3.
    receipt = sh.send(BRIDGE_SEND)  # 2. second method: L1StandardBridge
    assert receipt["to"].lower() == "0x8d515eb0e5f293b16b6bbca8275c060bae0056b0"
    assert credited(sh, before + 2 * ETH // 10) == before + 2 * ETH // 10  # 3.


def test_deposit_transactions_guide(sh: Shell, devnet: DevnetThread, chain_log: Lines) -> None:
    text = banner(devnet.devnet)  # 2. the portal's address, as supersim prints it
    first, *rest = text[text.index(OBSERVED[0]):].splitlines()[:len(OBSERVED)]
    assert first == f"{OBSERVED[0]}  RPC: {devnet.urls[A]}" and tuple(rest) == OBSERVED[1:]
    before = balance(sh)
    receipt = sh.send(DEPOSIT_SEND)  # 3.
    deadline = time.monotonic() + 60  # 4. supersim's log line names the deposit's L2 transaction
    while time.monotonic() < deadline and not [line for line in chain_log.lines if "l2TxHash" in line]:
        time.sleep(0.2)
    [line] = [line for line in chain_log.lines if line.startswith("OptimismPortal#depositTransaction")][-1:]
    match = re.fullmatch(r"OptimismPortal#depositTransaction chain\.id=901 l2TxHash=(0x[0-9a-f]{64})", line)
    assert match, line
    with Rpc(devnet.urls[A]) as rollup:
        deadline = time.monotonic() + 60
        while (l2 := rollup.call("eth_getTransactionReceipt", match.group(1))) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert l2 is not None and l2["status"] == "0x1" and l2["type"] == "0x7e"
        assert l2["from"].lower() == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # an EOA's deposit: not aliased
        # the rollup's block knows the L1 block of the deposit (L1Block.number(), its L1 origin)
        origin = rollup.call("eth_call", {"to": L1_BLOCK, "data": "0x" + keccak(text="number()")[:4].hex()},
                             l2["blockNumber"])
        assert int(origin, 16) >= int(receipt["blockNumber"])
    assert credited(sh, before + ETH) == before + ETH
