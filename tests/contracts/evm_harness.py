"""A tiny single-process EVM harness on raw py-evm (Prague), for the contract tests.

Several ``MiniChain`` instances with different chain ids stand in for the rollups; the
predeploys are placed in genesis state exactly as the devnet does (runtime code at a fixed
address, no constructor). One transaction per block, mined with ``mine_all``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth.abc import ComputationAPI, ReceiptAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode, encode
from eth_keys import keys
from eth_keys.datatypes import PrivateKey
from eth_utils import keccak, to_canonical_address, to_checksum_address

import bridge_contracts

ETHER = 10**18
SEQUENCER_KEY: PrivateKey = keys.PrivateKey(bytes.fromhex(bridge_contracts.SEQUENCER_PRIVATE_KEY[2:]))
SEQUENCER = bridge_contracts.SEQUENCER_ADDRESS
ALICE_KEY = keys.PrivateKey(b"\x11" * 32)
BOB_KEY = keys.PrivateKey(b"\x22" * 32)
ALICE = to_checksum_address(ALICE_KEY.public_key.to_canonical_address())
BOB = to_checksum_address(BOB_KEY.public_key.to_canonical_address())

MAILBOX = bridge_contracts.MAILBOX_ADDRESS
ATOMIC_BRIDGE = bridge_contracts.ATOMIC_BRIDGE_ADDRESS
MESSENGER = bridge_contracts.L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS
TOKEN_BRIDGE = bridge_contracts.SUPERCHAIN_TOKEN_BRIDGE_ADDRESS
INBOX = bridge_contracts.CROSS_L2_INBOX_ADDRESS
ETH_BRIDGE = bridge_contracts.SUPERCHAIN_ETH_BRIDGE_ADDRESS
ETH_LIQUIDITY = bridge_contracts.ETH_LIQUIDITY_ADDRESS
NATIVE_TOKEN = bridge_contracts.L2_NATIVE_SUPERCHAIN_ERC20_ADDRESS
PREDEPLOYS = bridge_contracts.PREDEPLOYS
MAILBOX_POOL = 1_000_000 * ETHER
GAS_PRICE = 10**10
GAS = 10_000_000
AccessList = tuple[tuple[bytes, tuple[int, ...]], ...]


def _norm(value: Any) -> Any:
    """Checksum every decoded address (eth-abi returns lower case)."""
    if isinstance(value, tuple | list):
        return type(value)(_norm(v) for v in value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


def _type_str(param: dict[str, Any]) -> str:
    t: str = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_type_str(c) for c in param["components"]) + ")" + t[5:]
    return t


class Abi:
    """Selector/encode/decode helpers over one artifact's ABI."""

    def __init__(self, name: str) -> None:
        self.artifact = bridge_contracts.load_artifact(name)
        self.abi: list[dict[str, Any]] = self.artifact["abi"]

    def _item(self, kind: str, name: str) -> dict[str, Any]:
        items = [i for i in self.abi if i["type"] == kind and i.get("name") == name]
        assert len(items) == 1, f"{kind} {name}: {len(items)} matches"
        return items[0]

    def signature(self, kind: str, name: str) -> str:
        item = self._item(kind, name)
        return f"{name}({','.join(_type_str(i) for i in item['inputs'])})"

    def selector(self, name: str, kind: str = "function") -> bytes:
        return keccak(text=self.signature(kind, name))[:4]

    def encode_call(self, name: str, *args: Any) -> bytes:
        item = self._item("function", name)
        return self.selector(name) + encode([_type_str(i) for i in item["inputs"]], list(args))

    def decode_output(self, name: str, data: bytes) -> tuple[Any, ...]:
        item = self._item("function", name)
        return tuple(_norm(decode([_type_str(o) for o in item["outputs"]], data)))

    def error_data(self, name: str, *args: Any) -> bytes:
        item = self._item("error", name)
        return self.selector(name, "error") + encode([_type_str(i) for i in item["inputs"]], list(args))

    def decode_error(self, name: str, data: bytes) -> tuple[Any, ...]:
        item = self._item("error", name)
        assert data[:4] == self.selector(name, "error"), f"not {name}: {data.hex()}"
        return tuple(_norm(decode([_type_str(i) for i in item["inputs"]], data[4:])))

    def event_topic(self, name: str) -> bytes:
        return keccak(text=self.signature("event", name))

    def deploy_code(self, *args: Any) -> bytes:
        code = bytes.fromhex(self.artifact["bytecode"][2:])
        ctor = [i for i in self.abi if i["type"] == "constructor"]
        if ctor:
            code += encode([_type_str(i) for i in ctor[0]["inputs"]], list(args))
        return code


def error_string(data: bytes) -> str:
    assert data[:4] == bytes.fromhex("08c379a0"), f"not Error(string): {data.hex()}"
    return cast(str, decode(["string"], data[4:])[0])


@dataclass
class Result:
    computation: ComputationAPI
    receipt: ReceiptAPI | None = None

    @property
    def ok(self) -> bool:
        return not self.computation.is_error

    @property
    def output(self) -> bytes:
        return bytes(self.computation.output)

    @property
    def revert_data(self) -> bytes:
        assert self.computation.is_error, "call did not revert"
        return bytes(self.computation.output)

    @property
    def contract_address(self) -> str:
        return to_checksum_address(self.computation.msg.storage_address)

    def logs(self) -> list[tuple[str, list[bytes], bytes]]:
        assert self.receipt is not None
        out: list[tuple[str, list[bytes], bytes]] = []
        for log in self.receipt.logs:
            topics = [t.to_bytes(32, "big") if isinstance(t, int) else bytes(t) for t in log.topics]
            out.append((to_checksum_address(log.address), topics, bytes(log.data)))
        return out

    def walk(self) -> Iterator[ComputationAPI]:
        stack = [self.computation]
        while stack:
            c = stack.pop()
            yield c
            stack.extend(reversed(c.children))


class MiniChain:
    def __init__(self, chain_id: int, extra_accounts: Sequence[str] = ()) -> None:
        chain_class = MiningChain.configure(
            __name__=f"MiniChain{chain_id}", vm_configuration=((0, PragueVM),), chain_id=chain_id
        )
        state: dict[bytes, dict[str, Any]] = {}
        for addr in (SEQUENCER, ALICE, BOB, *extra_accounts):
            state[to_canonical_address(addr)] = {"balance": 1000 * ETHER, "nonce": 0, "code": b"", "storage": {}}
        for addr, name in PREDEPLOYS.items():
            code = bytes.fromhex(bridge_contracts.load_artifact(name)["deployedBytecode"][2:])
            balance = {MAILBOX: MAILBOX_POOL, ETH_LIQUIDITY: bridge_contracts.ETH_LIQUIDITY_BALANCE}.get(addr, 0)
            state[to_canonical_address(addr)] = {"balance": balance, "nonce": 1, "code": code, "storage": {}}
        genesis = {
            "difficulty": 0,
            "gas_limit": 30_000_000,
            "timestamp": 1_700_000_000,
            "nonce": b"\x00" * 8,
            "mix_hash": b"\x00" * 32,
            "extra_data": b"",
            "coinbase": b"\x00" * 20,
        }
        self.chain_id = chain_id
        self.chain: Any = chain_class.from_genesis(AtomicDB(), cast(Any, genesis), cast(Any, state))

    def nonce(self, addr: str) -> int:
        vm = self.chain.get_vm(self.chain.get_canonical_head())
        return int(vm.state.get_nonce(to_canonical_address(addr)))

    def balance(self, addr: str) -> int:
        vm = self.chain.get_vm(self.chain.get_canonical_head())
        return int(vm.state.get_balance(to_canonical_address(addr)))

    def code(self, addr: str) -> bytes:
        vm = self.chain.get_vm(self.chain.get_canonical_head())
        return bytes(vm.state.get_code(to_canonical_address(addr)))

    def _unsigned(self, sender: str, to: str | None, data: bytes, value: int, gas: int,
                  access_list: AccessList = ()) -> Any:
        vm = self.chain.get_vm()
        if access_list:  # EIP-2930 (type 1): the listed slots start warm
            return vm.get_transaction_builder().new_unsigned_access_list_transaction(
                self.chain_id, self.nonce(sender), GAS_PRICE, gas,
                to_canonical_address(to) if to else b"", value, data, access_list,
            )
        return vm.create_unsigned_transaction(
            nonce=self.nonce(sender),
            gas_price=GAS_PRICE,
            gas=gas,
            to=cast(Any, to_canonical_address(to) if to else b""),
            value=value,
            data=data,
        )

    def transact(self, key: PrivateKey, to: str | None, data: bytes = b"", value: int = 0, gas: int = GAS,
                 access_list: AccessList = ()) -> Result:
        sender = to_checksum_address(key.public_key.to_canonical_address())
        unsigned = self._unsigned(sender, to, data, value, gas, access_list)
        tx = unsigned.as_signed_transaction(key, chain_id=self.chain_id)
        _, receipts, computations = self.chain.mine_all([tx])
        return Result(computations[0], receipts[0])

    def deploy(self, key: PrivateKey, name: str, *args: Any) -> str:
        res = self.transact(key, None, Abi(name).deploy_code(*args))
        assert res.ok, f"deploy {name} failed: {res.output!r}"
        return res.contract_address

    def call(self, sender: str, to: str, data: bytes, value: int = 0, access_list: AccessList = ()) -> Result:
        tx = SpoofTransaction(self._unsigned(sender, to, data, value, GAS, access_list),
                              from_=to_canonical_address(sender))
        with self.chain.get_vm(self.chain.get_canonical_head()).in_costless_state() as state:
            computation = state.costless_execute_transaction(cast(Any, tx))
        return Result(computation)


# --------------------------------------------------------------------------------------
# A toy in-test "sequencer": resolves MissingResponse reverts the way the real one should,
# but with one transaction per block and no superblocks (good enough to test the contracts).

MAILBOX_ABI = Abi("Mailbox")
MISSING_RESPONSE = MAILBOX_ABI.selector("MissingResponse", "error")


def find_missing_response(res: Result) -> tuple[Any, ...] | None:
    """First MissingResponse raised by the mailbox itself anywhere in the call tree."""
    mailbox = to_canonical_address(MAILBOX)
    for c in res.walk():
        if c.is_error and c.msg.storage_address == mailbox and bytes(c.output[:4]) == MISSING_RESPONSE:
            return MAILBOX_ABI.decode_error("MissingResponse", bytes(c.output))
    return None


def request_id(src: int, dst: int, nonce: int, sender: str, target: str, value: int, data: bytes) -> bytes:
    return keccak(
        encode(
            ["uint256", "uint256", "uint256", "address", "address", "uint256", "bytes"],
            [src, dst, nonce, sender, target, value, data],
        )
    )


class ToySequencer:
    def __init__(self, chains: Sequence[MiniChain], max_depth: int = 4) -> None:
        self.chains = {c.chain_id: c for c in chains}
        self.max_depth = max_depth
        self.executed: list[tuple[int, int, bytes, bool]] = []  # (src, dst, requestId, success)

    def send(self, chain_id: int, key: PrivateKey, to: str, data: bytes, value: int = 0, depth: int = 0) -> Result:
        """Resolve every cross-chain request of the transaction, then mine it."""
        chain = self.chains[chain_id]
        sender = to_checksum_address(key.public_key.to_canonical_address())
        for _ in range(64):
            missing = find_missing_response(chain.call(sender, to, data, value))
            if missing is None:
                break
            assert depth < self.max_depth, "xcall nesting too deep"
            dst, nonce, req_sender, target, req_value, req_data = missing
            rid = request_id(chain_id, dst, nonce, req_sender, target, req_value, req_data)
            exec_data = MAILBOX_ABI.encode_call("execute", chain_id, nonce, req_sender, target, req_value, req_data)
            res = self.send(dst, SEQUENCER_KEY, MAILBOX, exec_data, 0, depth + 1)
            assert res.ok, f"execute reverted: {res.output.hex()}"
            success, ret = MAILBOX_ABI.decode_output("execute", res.output)
            self.executed.append((chain_id, dst, rid, success))
            put = self.send_plain(chain_id, MAILBOX_ABI.encode_call("putResponse", dst, rid, success, ret))
            assert put.ok
        else:
            raise AssertionError("too many cross-chain requests")
        return chain.transact(key, to, data, value)

    def send_plain(self, chain_id: int, data: bytes) -> Result:
        return self.chains[chain_id].transact(SEQUENCER_KEY, MAILBOX, data)

    def hashes(self, a: int, b: int) -> dict[str, bytes]:
        """The four rolling hashes that must pair up between chains a and b."""
        ca, cb = self.chains[a], self.chains[b]

        def view(c: MiniChain, name: str, peer: int) -> bytes:
            return bytes(
                MAILBOX_ABI.decode_output(name, c.call(SEQUENCER, MAILBOX, MAILBOX_ABI.encode_call(name, peer)).output)[
                    0
                ]
            )

        return {
            "a.requestsOut": view(ca, "requestsOut", b),
            "b.requestsIn": view(cb, "requestsIn", a),
            "b.responsesOut": view(cb, "responsesOut", a),
            "a.responsesIn": view(ca, "responsesIn", b),
        }

    def assert_consistent(self) -> None:
        ids = sorted(self.chains)
        for a in ids:
            for b in ids:
                if a != b:
                    h = self.hashes(a, b)
                    assert h["a.requestsOut"] == h["b.requestsIn"], (a, b)
                    assert h["b.responsesOut"] == h["a.responsesIn"], (a, b)
