"""What every chain gets at genesis: xrollup's and OP's interop predeploys, and the sequencer.

Addresses are the same on every chain (those of OP's predeploys are OP's own); the list and
the addresses are ``bridge_contracts.PREDEPLOYS``. The runtime code comes from the committed
artifacts in bridge_contracts/artifacts; none of these contracts has a constructor or
immutables, so the deployed bytecode is placed as it is.
"""

from __future__ import annotations

import bridge_contracts
from bridge_contracts import ETH_LIQUIDITY_ADDRESS
from chains.genesis import WEI_PER_ETH, Predeploy
from chains.mailbox import MAILBOX, SEQUENCER

# The mailbox's balance pays out the value of requests executed on this chain. ETHLiquidity is
# OP's pool for SuperchainETHBridge (sent ETH is burnt into it, relayed ETH minted out of it):
# uint248.max wei as OP's, rounded down to whole ETH.
BALANCES_ETH: dict[bytes, int] = {
    MAILBOX: 1_000_000_000,
    bytes.fromhex(ETH_LIQUIDITY_ADDRESS.removeprefix("0x")): bridge_contracts.ETH_LIQUIDITY_BALANCE // WEI_PER_ETH,
}
SEQUENCER_BALANCE_ETH = 1_000_000_000  # pays the gas of system transactions
# OP's L2 predeploys that tools read (settlement: L1 origin, L1 fee, withdrawals):
# address -> artifact, placed like the others.
SETTLEMENT_PREDEPLOYS: dict[str, str] = {
    "0x420000000000000000000000000000000000000F": "GasPriceOracle",
    "0x4200000000000000000000000000000000000015": "L1Block",
    "0x4200000000000000000000000000000000000016": "L2ToL1MessagePasser",
}


def predeploys() -> list[Predeploy]:
    """Raises FileNotFoundError naming a missing artifact."""
    from bridge_contracts import PREDEPLOYS, load_artifact

    out = [Predeploy(SEQUENCER, b"", SEQUENCER_BALANCE_ETH * WEI_PER_ETH, name="Sequencer", nonce=0)]
    for hex_address, artifact in {**PREDEPLOYS, **SETTLEMENT_PREDEPLOYS}.items():
        address = bytes.fromhex(hex_address.removeprefix("0x"))
        code = bytes.fromhex(load_artifact(artifact)["deployedBytecode"].removeprefix("0x"))
        out.append(Predeploy(address, code, BALANCES_ETH.get(address, 0) * WEI_PER_ETH, name=artifact))
    return out
