"""Helpers of the tracing tests (imported by package path): web3 and raw JSON-RPC clients of
every chain, hand-assembled proxy contracts and the Counter artifact."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from tests.support import ChainRpc

CHAIN_IDS = (901, 902, 903)
A, B, C = CHAIN_IDS
MAILBOX = "0x4200000000000000000000000000000000000100"
CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c"
SEQUENCER = "0x76d1a8fdb697ebacfb3727fd7d7b3ab7d481c35a"
COUNTER = load_artifact("Counter")


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def calldata(signature: str, types: list[str] | None = None, args: list[Any] | None = None) -> bytes:
    return selector(signature) + (encode(types, args) if types else b"")


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def counter_init(initial: int) -> bytes:
    return bytes.fromhex(COUNTER["bytecode"][2:]) + encode(["uint256"], [initial])


def xcall_data(dst: int, target: str, inner: bytes) -> bytes:
    return calldata("xcall(uint256,address,bytes)", ["uint256", "address", "bytes"], [dst, target, inner])


def proxy_runtime(target: str, op: str = "CALL") -> bytes:
    """Runtime code that forwards its calldata (and value, for CALL) to ``target`` with all
    its gas by ``op`` (CALL, STATICCALL or DELEGATECALL), and returns or reverts with what
    came back."""
    code = bytes.fromhex("365f5f37")  # CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
    code += bytes.fromhex("5f5f365f")  # PUSH0 PUSH0 CALLDATASIZE PUSH0  (ret size/off, args size/off)
    if op == "CALL":
        code += bytes.fromhex("34")  # CALLVALUE
    code += bytes.fromhex("73") + bytes.fromhex(target[2:])  # PUSH20 target
    code += bytes.fromhex("5a") + bytes([{"CALL": 0xF1, "STATICCALL": 0xFA, "DELEGATECALL": 0xF4}[op]])
    code += bytes.fromhex("3d5f5f3e")  # RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY
    ok = len(code) + 3 + 3  # PUSH1 dest JUMPI, RETURNDATASIZE PUSH0 REVERT
    code += bytes([0x60, ok, 0x57]) + bytes.fromhex("3d5ffd")
    code += bytes.fromhex("5b3d5ff3")  # JUMPDEST RETURNDATASIZE PUSH0 RETURN
    return code


def deploy_code(runtime: bytes) -> bytes:
    """Init code returning ``runtime``."""
    n = len(runtime)
    prefix = bytes([0x61]) + n.to_bytes(2, "big") + bytes([0x60, 12, 0x5F, 0x39]) \
        + bytes([0x61]) + n.to_bytes(2, "big") + bytes([0x5F, 0xF3])
    assert len(prefix) == 12
    return prefix + runtime


class Net:
    """web3.py clients of every chain, and helpers over them."""

    def __init__(self, urls: dict[int, str]) -> None:
        self.urls = urls
        self.w3 = {cid: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60})) for cid, url in urls.items()}
        self.rpcs = ChainRpc(urls, timeout=60)
        self.me = self.w3[A].eth.accounts[0]

    def rpc(self, cid: int, method: str, params: list[Any]) -> Any:
        return self.rpcs.ok(cid, method, params)

    def error(self, cid: int, method: str, params: list[Any]) -> dict[str, Any]:
        return self.rpcs.err(cid, method, params)

    def send(self, cid: int, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None,
             sender: str | None = None) -> tuple[str, dict[str, Any]]:
        """eth_sendTransaction from a dev account; returns (hash, raw receipt)."""
        tx: dict[str, Any] = {"from": sender or self.me, "data": hx(data), "value": hex(value)}
        if to is not None:
            tx["to"] = to
        if gas is not None:
            tx["gas"] = hex(gas)
        tx_hash = self.rpc(cid, "eth_sendTransaction", [tx])
        receipt = self.rpc(cid, "eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None
        return tx_hash, receipt

    def deploy(self, cid: int, init: bytes) -> str:
        _h, receipt = self.send(cid, None, init)
        assert receipt["status"] == "0x1", receipt
        return to_checksum_address(receipt["contractAddress"])

    def trace(self, cid: int, tx_hash: str, options: dict[str, Any] | None = None) -> Any:
        return self.rpc(cid, "debug_traceTransaction", [tx_hash] + ([options] if options is not None else []))
