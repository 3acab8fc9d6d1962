"""forge and cast 1.7.1, unchanged, against a real xrollup chain, side by side with anvil 1.7.1.

forge compiles ./forge for its default fork (osaka) with npm's solc through solc.cjs
(FOUNDRY_SOLC: forge cannot download a compiler here), deploys with `forge create` and runs a
script with `forge script --broadcast`. `cast access-list` and `cast proof` then get the same
answers from xrollup as from anvil after the same transactions. forge, cast and anvil come from
npm (tests/tools/toolsets.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie

from scripts._bench_common import anvil_node
from tests.support import Rpc, served
from tests.tools.toolsets import FOUNDRY, HERE, foundry_binary, solc_wrapper
from xrollup.testing import DevnetThread

CHAIN = 901
# dev accounts 3 and 4 of the standard mnemonic (funded on xrollup and anvil alike); each test
# that compares with anvil deploys from an account of its own, so addresses match on both
ACCOUNT_3 = ("0x90F79bf6EB2c4f870365E785982E1f101E93b906",
             "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6")
ACCOUNT_4 = ("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
             "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a")
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture(scope="module")
def foundry() -> Path:
    FOUNDRY.install()
    return solc_wrapper()


@pytest.fixture(scope="module")
def devnet() -> Iterator[DevnetThread]:
    with served((CHAIN, 902), admin_port=0) as server:
        yield server


@pytest.fixture(scope="module")
def anvil(foundry: Path) -> Iterator[str]:
    with anvil_node(str(foundry_binary("anvil"))) as server:
        yield server.urls[0]


@pytest.fixture(scope="module")
def project(foundry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("forge") / "project"
    shutil.copytree(HERE / "forge", copy)
    return copy


def run(tool: str, *args: str, cwd: Path) -> str:
    # only forge compiles; cast would run the compiler's --version too if given FOUNDRY_SOLC
    env = FOUNDRY.env(FOUNDRY_SOLC=str(FOUNDRY.root / "solc.cjs")) if tool == "forge" else FOUNDRY.env()
    done = subprocess.run([str(foundry_binary(tool)), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, f"{tool} {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def create_counter(project: Path, url: str, key: str) -> str:
    out = run("forge", "create", "src/Counter.sol:Counter", "--rpc-url", url, "--private-key", key, "--broadcast",
              "--json", cwd=project)
    return to_checksum_address(json.loads(out)["deployedTo"])


def test_forge_create_runs_code_compiled_for_osaka(project: Path, devnet: DevnetThread) -> None:
    url = devnet.urls[CHAIN]
    out = run("forge", "create", "src/Bits.sol:Bits", "--rpc-url", url, "--private-key", DEV_KEY, "--broadcast",
              "--json", cwd=project)
    bits = json.loads(out)["deployedTo"]
    artifact = json.loads((project / "out/Bits.sol/Bits.json").read_text())
    assert artifact["metadata"]["settings"]["evmVersion"] == "osaka"  # forge's default, nothing set
    assert run("cast", "call", bits, "leadingZeros(uint256)(uint256)", "1", "--rpc-url", url, cwd=project).strip() \
        == "255"
    assert run("cast", "call", bits, "leadingZeros(uint256)(uint256)", "0", "--rpc-url", url, cwd=project).strip() \
        == "256"
    counter = create_counter(project, url, DEV_KEY)
    run("cast", "send", counter, "increment()", "--rpc-url", url, "--private-key", DEV_KEY, cwd=project)
    assert run("cast", "call", counter, "number()(uint256)", "--rpc-url", url, cwd=project).strip() == "1"


def test_forge_for_a_prague_devnet(project: Path, tmp_path: Path) -> None:
    """`xrollup --hardfork prague`: `evm_version = "prague"` in foundry.toml, as the README says
    (and no CLZ, which only osaka has)."""
    prague = tmp_path / "prague"
    shutil.copytree(project, prague, ignore=shutil.ignore_patterns("out", "cache", "broadcast", "Bits.sol"))
    with (prague / "foundry.toml").open("a") as toml:
        toml.write('evm_version = "prague"\n')
    with served((CHAIN,), admin_port=0, hardfork="prague") as server:
        url = server.urls[CHAIN]
        counter = create_counter(prague, url, DEV_KEY)
        run("cast", "send", counter, "setNumber(uint256)", "3", "--rpc-url", url, "--private-key", DEV_KEY, cwd=prague)
        assert run("cast", "call", counter, "number()(uint256)", "--rpc-url", url, cwd=prague).strip() == "3"
    artifact = json.loads((prague / "out/Counter.sol/Counter.json").read_text())
    assert artifact["metadata"]["settings"]["evmVersion"] == "prague"


def test_forge_script_broadcasts(project: Path, devnet: DevnetThread) -> None:
    url = devnet.urls[CHAIN]
    run("forge", "script", "script/Counter.s.sol", "--rpc-url", url, "--private-key", DEV_KEY, "--broadcast",
        cwd=project)
    record = json.loads((project / f"broadcast/Counter.s.sol/{CHAIN}/run-latest.json").read_text())
    assert [tx["transactionType"] for tx in record["transactions"]] == ["CREATE", "CALL", "CALL"]
    assert [r["status"] for r in record["receipts"]] == ["0x1"] * 3
    counter = record["transactions"][0]["contractAddress"]
    assert run("cast", "call", counter, "number()(uint256)", "--rpc-url", url, cwd=project).strip() == "42"
    rpc = Rpc(url)
    for receipt in record["receipts"]:  # every receipt forge recorded is the chain's
        assert rpc.call("eth_getTransactionReceipt", receipt["transactionHash"])["blockHash"] == receipt["blockHash"]
    rpc.close()


def test_cast_access_list_agrees_with_anvil(project: Path, devnet: DevnetThread, anvil: str) -> None:
    sender, key = ACCOUNT_3
    answers: dict[str, list[Any]] = {}
    for name, url in (("xrollup", devnet.urls[CHAIN]), ("anvil", anvil)):
        counter = create_counter(project, url, key)
        run("cast", "send", counter, "setNumber(uint256)", "7", "--rpc-url", url, "--private-key", key, cwd=project)
        answers[name] = [counter] + [
            json.loads(run("cast", "access-list", counter, *call, "--from", sender, "--rpc-url", url, "--json",
                           cwd=project))
            for call in (("setNumber(uint256)", "5"),  # two warm slots rewritten
                         ("setNumber(uint256)", "0"),  # the same cleared: a refund
                         ("increment()",),
                         ("number()",))]  # a read
    assert answers["xrollup"] == answers["anvil"]
    listed = answers["xrollup"][1]["accessList"]
    assert len(listed) == 1 and len(listed[0]["storageKeys"]) == 2  # number and lastSetBy[sender]


def test_cast_proof_agrees_with_anvil(project: Path, devnet: DevnetThread, anvil: str) -> None:
    """The contract's part of the proof (account fields, storage proof) is the same on both; the
    account proofs differ with the rest of the world state, and each verifies against its own
    node's state root."""
    sender, key = ACCOUNT_4
    proofs: dict[str, dict[str, Any]] = {}
    slot = "0x" + keccak(bytes.fromhex(sender[2:].rjust(64, "0")) + (1).to_bytes(32, "big")).hex()  # lastSetBy[sender]
    for name, url in (("xrollup", devnet.urls[CHAIN]), ("anvil", anvil)):
        counter = create_counter(project, url, key)
        run("cast", "send", counter, "setNumber(uint256)", "1234", "--rpc-url", url, "--private-key", key, cwd=project)
        block = run("cast", "block-number", "--rpc-url", url, cwd=project).strip()
        proof = json.loads(run("cast", "proof", counter, "0", slot, "0x5", "--block", block, "--rpc-url", url,
                               cwd=project))
        rpc = Rpc(url)
        root = bytes.fromhex(rpc.call("eth_getBlockByNumber", hex(int(block)), False)["stateRoot"][2:])
        rpc.close()
        account = verified(root, keccak(bytes.fromhex(counter[2:])), proof.pop("accountProof"))
        nonce, balance, storage_root, code_hash = rlp.decode(account)
        assert int(proof["nonce"], 16) == int.from_bytes(nonce, "big") == 1
        assert int(proof["balance"], 16) == int.from_bytes(balance, "big") == 0
        assert proof["storageHash"] == "0x" + storage_root.hex() and proof["codeHash"] == "0x" + code_hash.hex()
        proofs[name] = proof
    assert proofs["xrollup"] == proofs["anvil"]
    assert [int(s["value"], 16) for s in proofs["xrollup"]["storageProof"]] == [1234, 1234, 0]


def verified(root: bytes, key: bytes, proof: list[str]) -> bytes:
    """The value ``proof`` proves under ``key`` against ``root`` (py-trie raises BadTrieProof)."""
    return bytes(HexaryTrie.get_from_proof(root, key, [rlp.decode(bytes.fromhex(node[2:])) for node in proof]))


def test_access_list_with_gas_for_the_call_but_not_the_list(project: Path, devnet: DevnetThread) -> None:
    """The caller's gas covers the call without the list but not with it (web3.py's suite sends
    the estimate): geth answers the list with `error`, and the list with the gas it costs is
    what a transaction needs."""
    sender, key = ACCOUNT_3
    url = devnet.urls[CHAIN]
    counter = create_counter(project, url, key)
    rpc = Rpc(url)
    call = {"from": sender, "to": counter, "data": "0x3fb5c1cb" + (9).to_bytes(32, "big").hex()}  # setNumber(9)
    estimate = int(rpc.call("eth_estimateGas", call), 16)
    tight = rpc.call("eth_createAccessList", {**call, "gas": hex(estimate)}, "latest")
    assert "out of gas" in tight["error"].lower()  # EVM error OutOfGas: Out of gas: ...
    free = rpc.call("eth_createAccessList", call, "latest")
    assert "error" not in free and free["accessList"] == tight["accessList"]
    tx = rpc.call("eth_sendTransaction", {**call, "accessList": free["accessList"], "gas": free["gasUsed"]})
    receipt = rpc.call("eth_getTransactionReceipt", tx)
    assert receipt["status"] == "0x1" and receipt["gasUsed"] == free["gasUsed"]
    rpc.close()
