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
    # OP's L2 predeploys that tools read (settlement: L1 origin, L1 fee, withdrawals).
    ("GasPriceOracle", bytes.fromhex("420000000000000000000000000000000000000f"), "GasPriceOracle", 0),
    ("L1Block", bytes.fromhex("4200000000000000000000000000000000000015"), "L1Block", 0),
    ("L2ToL1MessagePasser", bytes.fromhex("4200000000000000000000000000000000000016"), "L2ToL1MessagePasser", 0),
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
