"""Constants and small helpers shared by the end-to-end tests (imported by package path, not via conftest)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from bridge_contracts import load_artifact
from tests.support import ChainRpc

# anvil's accounts for "test test ... junk" (m/44'/60'/0'/0/i), written out as anvil prints them.
ANVIL_ACCOUNTS = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
]
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
]
A0, A1, A2, A3 = ANVIL_ACCOUNTS[:4]
K0, K1, K2, K3 = ANVIL_KEYS
ETH = 10**18
GWEI = 10**9
INITIAL_BALANCE = 10_000 * ETH
ZERO_HASH = "0x" + "00" * 32

COUNTER = load_artifact("Counter")
TEST_TOKEN = load_artifact("TestToken")


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def word(value: int | str) -> str:
    """A 32-byte topic/word for an int or an address."""
    if isinstance(value, str):
        return "0x" + "00" * 12 + value.lower()[2:]
    return "0x" + value.to_bytes(32, "big").hex()


def calldata(signature: str, types: list[str] | None = None, args: list[Any] | None = None) -> str:
    return selector(signature) + (encode(types or [], args or []).hex() if types else "")


VALUE_SET = topic("ValueSet(uint256,uint256,string)")
INCREMENTED = topic("Incremented(address,uint256)")
RECEIVED = topic("Received(address,uint256)")


def counter_deploy_data(initial: int) -> str:
    return COUNTER["bytecode"] + encode(["uint256"], [initial]).hex()


def send_tx(rpc: ChainRpc, chain_id: int, tx: dict[str, Any]) -> dict[str, Any]:
    """eth_sendTransaction in automine mode; returns the receipt (which must exist at once)."""
    tx_hash = rpc.ok(chain_id, "eth_sendTransaction", [tx])
    receipt = rpc.ok(chain_id, "eth_getTransactionReceipt", [tx_hash])
    assert receipt is not None, f"no receipt for {tx_hash} right after sending in automine mode"
    return receipt


def deploy_counter(rpc: ChainRpc, chain_id: int, initial: int = 0, sender: str = A0) -> str:
    receipt = send_tx(rpc, chain_id, {"from": sender, "data": counter_deploy_data(initial)})
    assert receipt["status"] == "0x1"
    return to_checksum_address(receipt["contractAddress"])


def sign(tx: dict[str, Any], key: str) -> str:
    """Sign ``tx`` with eth_account; returns the raw transaction as 0x-hex."""
    return "0x" + Account.sign_transaction(tx, key).raw_transaction.hex()


def balance(rpc: ChainRpc, chain_id: int, address: str, block: Any = "latest") -> int:
    return int(rpc.ok(chain_id, "eth_getBalance", [address, block]), 16)


def nonce(rpc: ChainRpc, chain_id: int, address: str, block: Any = "latest") -> int:
    return int(rpc.ok(chain_id, "eth_getTransactionCount", [address, block]), 16)


def block_number(rpc: ChainRpc, chain_id: int) -> int:
    return int(rpc.ok(chain_id, "eth_blockNumber"), 16)


def next_base_fee(rpc: ChainRpc, chain_id: int) -> int:
    """The base fee of the next block, from eth_feeHistory's last entry."""
    return int(rpc.ok(chain_id, "eth_feeHistory", ["0x1", "latest", []])["baseFeePerGas"][-1], 16)


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
