"""What every chain gets at genesis: xrollup's and OP's interop predeploys, and the sequencer.

Addresses are the same on every chain (those of OP's predeploys are OP's own). The runtime
code comes from the committed artifacts in bridge_contracts/artifacts; none of these contracts
has a constructor or immutables, so the deployed bytecode is placed as it is.
"""

from __future__ import annotations

from chains.genesis import WEI_PER_ETH, Predeploy
from shared_sequencer.xcall import MAILBOX, SEQUENCER

# (name, address, artifact, ETH balance)
PREDEPLOYS: tuple[tuple[str, bytes, str, int], ...] = (
    # The mailbox's balance pays out the value of requests executed on this chain.
    ("Mailbox", MAILBOX, "Mailbox", 1_000_000_000),
    ("AtomicBridge", bytes.fromhex("4200000000000000000000000000000000000101"), "AtomicBridge", 0),
    ("L2ToL2CrossDomainMessenger", bytes.fromhex("4200000000000000000000000000000000000023"),
     "L2ToL2CrossDomainMessenger", 0),
    ("SuperchainTokenBridge", bytes.fromhex("4200000000000000000000000000000000000028"), "SuperchainTokenBridge", 0),
    ("CrossL2Inbox", bytes.fromhex("4200000000000000000000000000000000000022"), "CrossL2Inbox", 0),
    ("SuperchainETHBridge", bytes.fromhex("4200000000000000000000000000000000000024"), "SuperchainETHBridge", 0),
    # OP's pool for SuperchainETHBridge (sent ETH is burnt into it, relayed ETH minted out of it):
    # uint248.max wei as OP's, rounded down to whole ETH.
    ("ETHLiquidity", bytes.fromhex("4200000000000000000000000000000000000025"), "ETHLiquidity",
     (2**248 - 1) // WEI_PER_ETH),
    ("L2NativeSuperchainERC20", bytes.fromhex("420beef000000000000000000000000000000001"), "L2NativeSuperchainERC20", 0),
)
SEQUENCER_BALANCE_ETH = 1_000_000_000  # pays the gas of system transactions


def predeploys() -> list[Predeploy]:
    """Raises FileNotFoundError naming a missing artifact."""
    from bridge_contracts import load_artifact

    out = [Predeploy(SEQUENCER, b"", SEQUENCER_BALANCE_ETH * WEI_PER_ETH, name="Sequencer", nonce=0)]
    for name, address, artifact, eth in PREDEPLOYS:
        code = bytes.fromhex(load_artifact(artifact)["deployedBytecode"].removeprefix("0x"))
        out.append(Predeploy(address, code, eth * WEI_PER_ETH, name=name))
    return out
