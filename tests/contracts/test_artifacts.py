from __future__ import annotations

import re
import shutil

import pytest

import bridge_contracts
from bridge_contracts import ARTIFACTS_DIR, artifact_names, load_artifact

CONCRETE = [
    "AtomicBridge",
    "Counter",
    "CrossSwapRouter",
    "L2ToL2CrossDomainMessenger",
    "Mailbox",
    "SimplePool",
    "SuperchainERC20",
    "SuperchainTokenBridge",
    "TestToken",
]
# Genesis predeploys: no constructor allowed (runtime code is placed directly in state).
PREDEPLOYS = ["AtomicBridge", "L2ToL2CrossDomainMessenger", "Mailbox", "SuperchainTokenBridge"]
ABSTRACT = [
    "ERC20",
    "IAtomicBridgeRecipient",
    "IERC165",
    "IERC20",
    "IERC7802",
    "IL2ToL2CrossDomainMessenger",
    "IMailbox",
]


def test_artifact_set() -> None:
    names = artifact_names()
    for n in CONCRETE + ABSTRACT:
        assert n in names


@pytest.mark.parametrize("name", artifact_names())
def test_artifact_shape(name: str) -> None:
    a = load_artifact(name)
    assert set(a) == {"abi", "bytecode", "compiler", "contractName", "deployedBytecode", "sourceName"}
    assert a["contractName"] == name
    assert a["sourceName"].startswith("src/") and a["sourceName"].endswith(".sol")
    assert a["compiler"].startswith("0.8.")
    assert isinstance(a["abi"], list)
    for key in ("bytecode", "deployedBytecode"):
        assert a[key].startswith("0x")
        bytes.fromhex(a[key][2:])
    if name in CONCRETE:
        assert a["abi"]
        assert len(a["bytecode"]) > 2 and len(a["deployedBytecode"]) > 2
    if name in ABSTRACT:
        assert a["bytecode"] == "0x" and a["deployedBytecode"] == "0x"


@pytest.mark.parametrize("name", PREDEPLOYS)
def test_predeploys_have_no_constructor_or_immutables(name: str) -> None:
    """Genesis places runtime code directly: a constructor would never run, and an immutable
    would stay zero."""
    a = load_artifact(name)
    assert not [i for i in a["abi"] if i["type"] == "constructor"]
    assert a["bytecode"].endswith(a["deployedBytecode"][2:])
    source = (ARTIFACTS_DIR.parent / a["sourceName"]).read_text()
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.S)
    assert not re.search(r"\bimmutable\b", code)
    assert not re.search(r"\bconstructor\s*\(", code)


def test_load_artifact_missing_names_available() -> None:
    with pytest.raises(FileNotFoundError, match="Counter"):
        bridge_contracts.load_artifact("DoesNotExist")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: cannot rebuild the artifacts")
def test_artifacts_match_sources() -> None:
    """`python bridge_contracts/build.py --check` passes: committed artifacts match the sources."""
    from tests.contracts import build_check

    code, output = build_check.result()
    assert code == 0, output
