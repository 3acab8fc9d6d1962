"""The hardfork of a devnet: Osaka by default (as forge and anvil 1.7), Prague with
``--hardfork prague``.

A contract compiled by solc for Osaka (it uses CLZ) deploys and runs on the default devnet,
through web3.py against the real server; on a Prague devnet it deploys (its constructor does
not use CLZ) and its calls fail with an EVM error naming the opcode, never an internal error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3
from web3.exceptions import Web3RPCError

from tests.e2e.e2e_helpers import A0
from tests.support import ChainRpc, served
from xrollup.cli import config_from_args, parser
from xrollup.config import DevnetConfig

# solc 0.8.37 (npm), evmVersion "osaka", optimizer on (200 runs), metadata bytecodeHash "none":
#
#   contract Clz {
#       uint256 public last;
#       function clz(uint256 x) public pure returns (uint256 n) { assembly { n := clz(x) } }
#       function record(uint256 x) external returns (uint256) { last = clz(x); return last; }
#   }
CLZ_BYTECODE = (
    "0x6080604052348015600e575f5ffd5b50609c80601a5f395ff3fe6080604052348015600e575f5ffd5b5060043610603a575f3560e0"
    "1c80632c16cd8a14603e57806330244f7a14606357806347799da8146072575b5f5ffd5b605160493660046079565b1e5f8190559056"
    "5b60405190815260200160405180910390f35b6051606e3660046079565b1e90565b60515f5481565b5f602082840312156088575f5f"
    "fd5b503591905056fea164736f6c6343000825000a"
)
CLZ_ABI = [
    {"inputs": [{"internalType": "uint256", "name": "x", "type": "uint256"}], "name": "clz",
     "outputs": [{"internalType": "uint256", "name": "n", "type": "uint256"}], "stateMutability": "pure",
     "type": "function"},
    {"inputs": [], "name": "last", "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}],
     "stateMutability": "view", "type": "function"},
    {"inputs": [{"internalType": "uint256", "name": "x", "type": "uint256"}], "name": "record",
     "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}], "stateMutability": "nonpayable",
     "type": "function"},
]


def _deploy(w3: Web3) -> str:
    factory = w3.eth.contract(abi=CLZ_ABI, bytecode=CLZ_BYTECODE)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": A0}), timeout=10)
    assert receipt["status"] == 1
    return str(receipt["contractAddress"])


def test_osaka_contract_runs_on_the_default_devnet(w3s: dict[int, Web3]) -> None:
    assert DevnetConfig().hardfork == "osaka"
    w3 = w3s[901]
    clz = w3.eth.contract(address=_deploy(w3), abi=CLZ_ABI)
    assert [clz.functions.clz(x).call() for x in (0, 1, 2**255, 2**256 - 1, 2**200)] == [256, 255, 0, 0, 55]
    receipt = w3.eth.wait_for_transaction_receipt(clz.functions.record(2**200).transact({"from": A0}), timeout=10)
    assert receipt["status"] == 1
    assert clz.functions.last().call() == 55


@pytest.fixture(scope="module")
def prague() -> Iterator[tuple[Web3, ChainRpc]]:
    with served((901,), hardfork="prague") as dt:
        client = ChainRpc(dt.urls)
        try:
            yield Web3(Web3.HTTPProvider(dt.urls[901], request_kwargs={"timeout": 30})), client
        finally:
            client.close()


def test_osaka_contract_fails_cleanly_on_prague(prague: tuple[Web3, ChainRpc]) -> None:
    w3, rpc = prague
    address = _deploy(w3)
    clz = w3.eth.contract(address=address, abi=CLZ_ABI)
    data = clz.functions.clz(1)._encode_transaction_data()
    error = rpc.err(901, "eth_call", [{"from": A0, "to": address, "data": data}, "latest"])
    assert error["code"] != -32603
    assert "InvalidInstruction" in error["message"] and "0x1e" in error["message"], error
    with pytest.raises(Web3RPCError, match="0x1e"):
        clz.functions.record(1).transact({"from": A0})  # its gas estimate fails the same way
    # sent anyway, with gas of its own: mined, failed, every gas unit spent (an invalid opcode)
    receipt = w3.eth.wait_for_transaction_receipt(
        clz.functions.record(1).transact({"from": A0, "gas": 100_000}), timeout=10)
    assert (receipt["status"], receipt["gasUsed"]) == (0, 100_000)


def test_osaka_refuses_transactions_above_the_gas_cap(rpc: ChainRpc) -> None:
    """EIP-7825: admission refuses a transaction above 2^24 gas with geth's text; at the cap
    it is mined."""
    error = rpc.err(901, "eth_sendTransaction", [{"from": A0, "to": A0, "gas": hex(2**24 + 1)}])
    assert error["message"] == "transaction gas limit too high (cap: 16777216, tx: 16777217)", error
    assert error["code"] != -32603
    tx_hash = rpc.ok(901, "eth_sendTransaction", [{"from": A0, "to": A0, "gas": hex(2**24)}])
    assert rpc.ok(901, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


# one MSTORE at byte 3,200,000: about 19.9M gas of memory expansion, then STOP
MEMORY_BURNER = "0x" + "6000" + "62" + (3_200_000).to_bytes(3, "big").hex() + "52" + "00"


def _deploy_code(rpc: ChainRpc, runtime: str) -> str:
    """A contract whose code is ``runtime``: the initcode copies it out and returns it."""
    code = bytes.fromhex(runtime[2:])
    init = bytes.fromhex("61") + len(code).to_bytes(2, "big") + bytes.fromhex("80600c6000396000f3") + code
    tx_hash = rpc.ok(901, "eth_sendTransaction", [{"from": A0, "data": "0x" + init.hex(), "gas": hex(500_000)}])
    receipt = rpc.ok(901, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1"
    assert rpc.ok(901, "eth_getCode", [receipt["contractAddress"], "latest"]) == runtime
    return str(receipt["contractAddress"])


def test_gas_estimates_stop_at_the_cap(rpc: ChainRpc, prague: tuple[Web3, ChainRpc]) -> None:
    """On Osaka eth_estimateGas looks no higher than 2^24 (as geth's estimator), so a call that
    needs more fails to estimate rather than estimating a transaction no block may include;
    on Prague the estimate goes above it."""
    _, prague_rpc = prague
    for client, capped in ((rpc, True), (prague_rpc, False)):
        call = {"from": A0, "to": _deploy_code(client, MEMORY_BURNER)}
        if capped:
            error = client.err(901, "eth_estimateGas", [call])
            assert error["code"] != -32603 and "OutOfGas" in error["message"], error
        else:
            assert int(client.ok(901, "eth_estimateGas", [call]), 16) > 2**24


def test_prague_has_no_transaction_gas_cap(prague: tuple[Web3, ChainRpc]) -> None:
    """EIP-7825's cap is Osaka's: a Prague devnet mines a transaction above 2^24 gas."""
    w3_prague, _ = prague
    receipt = w3_prague.eth.wait_for_transaction_receipt(
        w3_prague.eth.send_transaction({"from": A0, "to": A0, "gas": 2**24 + 1}), timeout=10)
    assert receipt["status"] == 1


def test_hardfork_flag_and_log() -> None:
    """``--hardfork`` chooses the fork (osaka by default); the log's genesis entry records it, and
    a log written before there was a choice replays as Prague."""
    assert config_from_args(parser().parse_args([])).hardfork == "osaka"
    assert config_from_args(parser().parse_args(["--hardfork", "prague"])).hardfork == "prague"
    with pytest.raises(SystemExit):
        parser().parse_args(["--hardfork", "cancun"])
    with pytest.raises(ValueError, match="hardfork"):
        DevnetConfig(hardfork="cancun")
    saved = DevnetConfig(hardfork="prague").genesis_json()
    assert saved["hardfork"] == "prague"
    assert DevnetConfig().with_genesis(saved).hardfork == "prague"
    assert DevnetConfig().with_genesis(DevnetConfig().genesis_json()).hardfork == "osaka"
    old = {k: v for k, v in DevnetConfig().genesis_json().items() if k != "hardfork"}
    assert DevnetConfig().with_genesis(old).hardfork == "prague"


def test_estimates_reach_the_calldata_floor(rpc: ChainRpc, prague: tuple[Web3, ChainRpc]) -> None:
    """EIP-7623 (Prague on): a plain transfer carrying 4 KB of nonzero calldata executes for
    21000 + 16 per byte, below its floor of 21000 + 40 per byte; eth_estimateGas answers the
    floor (as geth and anvil: the larger of the two) and eth_sendTransaction without ``gas``
    uses it: mined, charged the floor. A call whose execution costs more than the floor
    estimates its execution."""
    _, prague_rpc = prague
    data = "0x" + "ff" * 4096
    floor = 21_000 + 10 * 4 * 4096
    for client in (rpc, prague_rpc):
        transfer = {"from": A0, "to": "0x" + "42" * 20, "data": data}
        assert int(client.ok(901, "eth_estimateGas", [transfer]), 16) == floor
        tx_hash = client.ok(901, "eth_sendTransaction", [transfer])
        receipt = client.ok(901, "eth_getTransactionReceipt", [tx_hash])
        assert (receipt["status"], int(receipt["gasUsed"], 16)) == ("0x1", floor)
        assert int(client.ok(901, "eth_getTransactionByHash", [tx_hash])["gas"], 16) == floor
        # a contract creation of the same size: execution (initcode words, 32000) is above it
        creation = {"from": A0, "data": "0x" + "00" * 64}
        estimate = int(client.ok(901, "eth_estimateGas", [creation]), 16)
        assert estimate > 21_000 + 10 * 64
