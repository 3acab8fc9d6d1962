"""Compiled Solidity artifacts of xrollup's predeploys and test contracts.

Each ``artifacts/<ContractName>.json`` holds ``contractName``, ``sourceName``, ``compiler``,
``abi``, ``bytecode`` (creation code, 0x-hex) and ``deployedBytecode`` (runtime code,
0x-hex). Interfaces and abstract contracts are included with ``"0x"`` for both bytecodes.
Rebuild with ``python bridge_contracts/build.py``; see ``README.md`` for the protocol.

The constants below mirror ``src/libraries/Predeploys.sol`` (a test checks they agree); the
devnet takes them from here (``chains/mailbox.py`` holds them as bytes, with the rest of the
mailbox protocol).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACTS_DIR: Path = Path(__file__).resolve().parent / "artifacts"

#: Private key of the sequencer's system address: keccak256(b"xrollup sequencer").
#: Public on purpose (devnet): the sequencer must refuse user transactions from this address.
SEQUENCER_PRIVATE_KEY: str = "0x30b441692a8affbaedf3426582960e3eea6a852a34e91e692abd49728c5875a4"
#: The only account allowed to call Mailbox.putResponse/execute.
SEQUENCER_ADDRESS: str = "0x76D1A8fDB697ebacfB3727FD7D7B3ab7D481C35a"

MAILBOX_ADDRESS: str = "0x4200000000000000000000000000000000000100"
ATOMIC_BRIDGE_ADDRESS: str = "0x4200000000000000000000000000000000000101"
CROSS_L2_INBOX_ADDRESS: str = "0x4200000000000000000000000000000000000022"
L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS: str = "0x4200000000000000000000000000000000000023"
SUPERCHAIN_ETH_BRIDGE_ADDRESS: str = "0x4200000000000000000000000000000000000024"
ETH_LIQUIDITY_ADDRESS: str = "0x4200000000000000000000000000000000000025"
SUPERCHAIN_TOKEN_BRIDGE_ADDRESS: str = "0x4200000000000000000000000000000000000028"
#: supersim's test token (open mint), predeployed on every chain.
L2_NATIVE_SUPERCHAIN_ERC20_ADDRESS: str = "0x420beeF000000000000000000000000000000001"

#: Genesis predeploys: address -> artifact name. Place the artifact's ``deployedBytecode``
#: at the address (nonce 1 recommended, empty storage). Fund the mailbox with a large ETH
#: balance: it is the liquidity pool for bridged value; and ETHLiquidity with
#: ``ETH_LIQUIDITY_BALANCE`` (OP's pool for SuperchainETHBridge).
PREDEPLOYS: dict[str, str] = {
    MAILBOX_ADDRESS: "Mailbox",
    ATOMIC_BRIDGE_ADDRESS: "AtomicBridge",
    CROSS_L2_INBOX_ADDRESS: "CrossL2Inbox",
    L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS: "L2ToL2CrossDomainMessenger",
    SUPERCHAIN_ETH_BRIDGE_ADDRESS: "SuperchainETHBridge",
    ETH_LIQUIDITY_ADDRESS: "ETHLiquidity",
    SUPERCHAIN_TOKEN_BRIDGE_ADDRESS: "SuperchainTokenBridge",
    L2_NATIVE_SUPERCHAIN_ERC20_ADDRESS: "L2NativeSuperchainERC20",
}
#: ETHLiquidity's genesis balance in wei: uint248.max, as OP's.
ETH_LIQUIDITY_BALANCE: int = 2**248 - 1

__all__ = [
    "ARTIFACTS_DIR",
    "ATOMIC_BRIDGE_ADDRESS",
    "CROSS_L2_INBOX_ADDRESS",
    "ETH_LIQUIDITY_ADDRESS",
    "ETH_LIQUIDITY_BALANCE",
    "L2_NATIVE_SUPERCHAIN_ERC20_ADDRESS",
    "L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS",
    "MAILBOX_ADDRESS",
    "PREDEPLOYS",
    "SEQUENCER_ADDRESS",
    "SEQUENCER_PRIVATE_KEY",
    "SUPERCHAIN_ETH_BRIDGE_ADDRESS",
    "SUPERCHAIN_TOKEN_BRIDGE_ADDRESS",
    "artifact_names",
    "load_artifact",
]


def artifact_names() -> list[str]:
    """Sorted names of all available artifacts (contract names, without ``.json``)."""
    if not ARTIFACTS_DIR.is_dir():
        return []
    return sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json"))


def load_artifact(name: str) -> dict[str, Any]:
    """Load the artifact of contract ``name`` (e.g. ``"Counter"``)."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        available = ", ".join(artifact_names()) or "<none>"
        raise FileNotFoundError(f"no artifact named {name!r} in {ARTIFACTS_DIR}; available: {available}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
