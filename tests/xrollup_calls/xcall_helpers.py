"""Clients, constants and small helpers of the cross-rollup call tests (imported by package path).

Everything goes over HTTP: transactions are signed locally with eth_account and sent with
``eth_sendRawTransaction``; receipts are read as raw JSON (so the devnet's ``xcalls`` and
``xrollupError`` fields are seen exactly as a client receives them).
"""

from __future__ import annotations

import functools
from typing import Any

from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import collapse_if_tuple
from web3 import Web3

from bridge_contracts import load_artifact
from tests.support import ChainRpc, RpcError

CHAIN_IDS = (901, 902, 903)
A, B, C = CHAIN_IDS

MAILBOX = "0x4200000000000000000000000000000000000100"
ATOMIC_BRIDGE = "0x4200000000000000000000000000000000000101"
MESSENGER = "0x4200000000000000000000000000000000000023"
TOKEN_BRIDGE = "0x4200000000000000000000000000000000000028"
CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c"
SEQUENCER = "0x76D1A8fDB697ebacfB3727FD7D7B3ab7D481C35a"
SEQUENCER_KEY = "0x" + keccak(b"xrollup sequencer").hex()

# anvil's dev accounts ("test test ... junk"), funded with 10 000 ETH on every chain.
KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]
ADDRS = [Account.from_key(k).address for k in KEYS]
K0, K1, K2 = KEYS[:3]
A0, A1, A2 = ADDRS[:3]
SHARED_DEPLOYER_KEY = KEYS[9]  # deploys the shared Probe and Counter (nonces 0 and 1 on every chain)
ETH = 10**18
GWEI = 10**9
ZERO32 = b"\x00" * 32

ARTIFACTS = {name: load_artifact(name) for name in (
    "Mailbox", "Counter", "XCallProbe", "AtomicBridge", "L2ToL2CrossDomainMessenger", "SuperchainERC20",
    "SuperchainTokenBridge", "SimplePool", "CrossSwapRouter", "TestToken", "SuperchainETHBridge",
    "L2NativeSuperchainERC20", "GatedReceiver",
)}

ONLY_SEQUENCER = "0xbb625871"
NOT_IN_ACCESS_LIST = "0xe3c00816"  # CrossL2Inbox's NotInAccessList()
NOT_IN_XCALL = "0x14639fa9"
ERROR_STRING = "0x08c379a0"


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


XCALL_TOPIC = topic("XCall(uint256,uint256,address,address,uint256,bytes32,bool)")
XCALL_EXECUTED_TOPIC = topic("XCallExecuted(uint256,uint256,bytes32,bool,bytes)")
RESPONSE_STORED_TOPIC = topic("ResponseStored(uint256,bytes32,bool)")
SENT_MESSAGE_TOPIC = topic("SentMessage(uint256,address,uint256,address,bytes)")
RELAYED_MESSAGE_TOPIC = topic("RelayedMessage(uint256,uint256,bytes32,bytes32)")
TRANSFER_TOPIC = topic("Transfer(address,address,uint256)")
EXECUTE_SELECTOR = selector("execute(uint256,uint256,address,address,uint256,bytes)")
PUT_RESPONSE_SELECTOR = selector("putResponse(uint256,bytes32,bool,bytes)")
CLEAR_RESPONSE_SELECTOR = selector("clearResponse(bytes32)")
RELAY_MESSAGE_SELECTOR = selector("relayMessage((address,uint256,uint256,uint256,uint256),bytes)")


def error_string(message: str) -> str:
    """ABI encoding of Error(string) as 0x-hex (what a revert with a reason returns)."""
    return ERROR_STRING + encode(["string"], [message]).hex()


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def request_id(src: int, dst: int, nonce: int, sender: str, target: str, value: int, data: bytes) -> bytes:
    """The mailbox's request id (README: computed identically on both sides)."""
    return keccak(encode(["uint256", "uint256", "uint256", "address", "address", "uint256", "bytes"],
                         [src, dst, nonce, sender, target, value, data]))


class Net:
    """web3.py clients of every chain of one devnet, and the shared contracts on them."""

    def __init__(self, urls: dict[int, str]) -> None:
        self.urls = urls
        self.w3 = {cid: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}, exception_retry_configuration=None))
                   for cid, url in urls.items()}
        self.rpcs = ChainRpc(urls, timeout=120)
        self.probe = ""  # XCallProbe, same address on every chain
        self.counter = ""  # Counter(0), same address on every chain

    # -- raw JSON-RPC ----------------------------------------------------------------------------

    def rpc(self, cid: int, method: str, params: list[Any] | None = None) -> Any:
        return self.rpcs.ok(cid, method, params or [])

    def rpc_error(self, cid: int, method: str, params: list[Any] | None = None) -> RpcError:
        return RpcError(method, self.rpcs.err(cid, method, params or []))

    # -- contracts --------------------------------------------------------------------------

    def contract(self, cid: int, name: str, address: str) -> Any:
        return self.w3[cid].eth.contract(address=to_checksum_address(address), abi=ARTIFACTS[name]["abi"])

    def view(self, cid: int, name: str, address: str, fn: str, *args: Any, sender: str | None = None) -> Any:
        """eth_call (one raw request; decoded like web3.py: checksummed addresses, a single
        output as itself, several as a list)."""
        data = "0x" + self.calldata(name, fn, *args).hex()
        call = {"to": address, "data": data} | ({"from": sender} if sender else {})
        raw = self.rpc(cid, "eth_call", [call, "latest"])
        types = _output_types(name, fn)
        values = [to_checksum_address(v) if t == "address" else v
                  for t, v in zip(types, decode(types, bytes.fromhex(raw[2:])), strict=True)]
        return values[0] if len(values) == 1 else values

    def number(self, cid: int, counter: str | None = None) -> int:
        return int(self.view(cid, "Counter", counter or self.counter, "number"))

    def balance(self, cid: int, address: str) -> int:
        return int(self.w3[cid].eth.get_balance(to_checksum_address(address)))

    def code(self, cid: int, address: str) -> bytes:
        return bytes(self.w3[cid].eth.get_code(to_checksum_address(address)))

    # -- transactions -----------------------------------------------------------------------

    def nonce(self, cid: int, address: str) -> int:
        return int(self.rpc(cid, "eth_getTransactionCount", [address, "pending"]), 16)

    def sign(self, cid: int, key: str, to: str | None, data: str | bytes = b"", value: int = 0,
             gas: int = 3_000_000, nonce: int | None = None) -> str:
        sender = Account.from_key(key).address
        tx = {
            "chainId": cid, "nonce": self.nonce(cid, sender) if nonce is None else nonce, "gas": gas,
            "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI, "value": value,
            "data": data if isinstance(data, str) else "0x" + data.hex(), "type": 2,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()

    def send(self, cid: int, key: str, to: str | None, data: str | bytes = b"", value: int = 0,
             gas: int = 3_000_000) -> dict[str, Any]:
        """Sign, eth_sendRawTransaction (automine) and return the raw receipt JSON."""
        tx_hash = self.rpc(cid, "eth_sendRawTransaction", [self.sign(cid, key, to, data, value, gas)])
        receipt = self.rpc(cid, "eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None, f"no receipt for {tx_hash} right after sending (automine)"
        return dict(receipt)

    def tx(self, cid: int, key: str, name: str, address: str, fn: str, *args: Any, value: int = 0,
           gas: int = 3_000_000) -> dict[str, Any]:
        data = self.contract(cid, name, address).encode_abi(fn, args=list(args))
        return self.send(cid, key, address, data, value, gas)

    def deploy(self, cid: int, key: str, name: str, *args: Any) -> str:
        factory = self.w3[cid].eth.contract(abi=ARTIFACTS[name]["abi"], bytecode=ARTIFACTS[name]["bytecode"])
        data = factory.constructor(*args).data_in_transaction
        receipt = self.send(cid, key, None, data, gas=8_000_000)
        assert receipt["status"] == "0x1", receipt
        return to_checksum_address(receipt["contractAddress"])

    def create2(self, chains: tuple[int, ...], key: str, name: str, *args: Any, salt: bytes = ZERO32) -> str:
        """Deploy through Arachnid's CREATE2 deployer: the same address on every chain."""
        factory = self.w3[chains[0]].eth.contract(abi=ARTIFACTS[name]["abi"], bytecode=ARTIFACTS[name]["bytecode"])
        init = bytes.fromhex(factory.constructor(*args).data_in_transaction[2:])
        address = to_checksum_address(keccak(b"\xff" + bytes.fromhex(CREATE2_DEPLOYER[2:]) + salt + keccak(init))[12:])
        for cid in chains:
            receipt = self.send(cid, key, CREATE2_DEPLOYER, salt + init, gas=8_000_000)
            assert receipt["status"] == "0x1", receipt
            assert self.code(cid, address), f"nothing deployed at {address} on {cid}"
        return address

    # -- calldata ---------------------------------------------------------------------------

    def calldata(self, name: str, fn: str, *args: Any) -> bytes:
        return bytes.fromhex(_abi_contract(name).encode_abi(fn, args=list(args))[2:])

    def xcall_data(self, dst: int, target: str, data: bytes) -> bytes:
        return self.calldata("Mailbox", "xcall", dst, to_checksum_address(target), data)

    # -- superblocks and blocks ---------------------------------------------------------------

    def superblock(self, number: int, full: bool = True) -> dict[str, Any]:
        sb = self.rpc(CHAIN_IDS[0], "xr_getSuperblockByNumber", [hex(number), full])
        assert sb is not None, f"superblock {number} not found"
        return dict(sb)

    def superblock_of(self, cid: int, number: int | str, full: bool = True) -> dict[str, Any]:
        """The superblock that holds block ``number`` of chain ``cid`` (chains advance unevenly)."""
        ref = hex(number) if isinstance(number, int) else number
        return dict(self.rpc(cid, "xr_getSuperblockOfBlock", [ref, full]))

    def block_in(self, sb: dict[str, Any], cid: int, full: bool = True) -> dict[str, Any] | None:
        """Chain ``cid``'s block in superblock ``sb``, or None if the chain did not advance in it."""
        ref = next((b for b in sb["blocks"] if int(b["chainId"], 16) == cid), None)
        return None if ref is None else self.block(cid, ref["number"], full)

    def block(self, cid: int, number: int | str, full: bool = True) -> dict[str, Any]:
        ref = hex(number) if isinstance(number, int) else number
        return dict(self.rpc(cid, "eth_getBlockByNumber", [ref, full]))

    def receipt(self, cid: int, tx_hash: str) -> dict[str, Any]:
        return dict(self.rpc(cid, "eth_getTransactionReceipt", [tx_hash]))

    def block_receipts(self, cid: int, number: int) -> list[dict[str, Any]]:
        blk = self.block(cid, number, full=False)
        return [self.receipt(cid, h) for h in blk["transactions"]]

    def mailbox_hashes(self, cid: int, peer: int) -> dict[str, bytes]:
        return {name: bytes(self.view(cid, "Mailbox", MAILBOX, name, peer)) for name in
                ("requestsOut", "requestsIn", "responsesOut", "responsesIn")}

    def assert_mailboxes_agree(self, chains: tuple[int, ...] = CHAIN_IDS) -> None:
        """A's outbox equals B's inbox and the other way round, for every pair of chains."""
        hashes = {(a, b): self.mailbox_hashes(a, b) for a in chains for b in chains if a != b}
        for (a, b), ha in hashes.items():
            hb = hashes[(b, a)]
            assert ha["requestsOut"] == hb["requestsIn"], (a, b)
            assert hb["responsesOut"] == ha["responsesIn"], (a, b)


@functools.cache
def _abi_contract(name: str) -> Any:
    return Web3().eth.contract(abi=ARTIFACTS[name]["abi"])


@functools.cache
def _output_types(name: str, fn: str) -> list[str]:
    [entry] = [e for e in ARTIFACTS[name]["abi"] if e.get("type") == "function" and e["name"] == fn]
    return [collapse_if_tuple(o) for o in entry["outputs"]]


def deploy_shared(net: Net) -> None:
    """The shared XCallProbe (deployer nonce 0) and Counter(0) (nonce 1) on every chain."""
    probes, counters = set(), set()
    for cid in net.w3:
        deployer = Account.from_key(SHARED_DEPLOYER_KEY).address
        assert net.nonce(cid, deployer) == 0, "the shared deployer must be fresh"
        probes.add(net.deploy(cid, SHARED_DEPLOYER_KEY, "XCallProbe"))
        counters.add(net.deploy(cid, SHARED_DEPLOYER_KEY, "Counter", 0))
    assert len(probes) == 1 and len(counters) == 1
    net.probe, net.counter = probes.pop(), counters.pop()


def logs_with(receipt: dict[str, Any], address: str, topic0: str) -> list[dict[str, Any]]:
    return [lg for lg in receipt["logs"]
            if lg["address"].lower() == address.lower() and lg["topics"] and lg["topics"][0] == topic0]


def decode_xcall_executed(log: dict[str, Any]) -> tuple[int, int, bytes, bool, bytes]:
    """(srcChain, nonce, requestId, success, returnData) of an XCallExecuted log."""
    src = int(log["topics"][1], 16)
    nonce = int(log["topics"][2], 16)
    rid = bytes.fromhex(log["topics"][3][2:])
    success, ret = decode(["bool", "bytes"], bytes.fromhex(log["data"][2:]))
    return src, nonce, rid, bool(success), bytes(ret)


def tx_input(tx: dict[str, Any]) -> str:
    return str(tx.get("input") or tx.get("data") or "0x")
