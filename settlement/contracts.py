"""The L1's settlement contracts at genesis, and the accounts that post to them.

Per rollup an ``OptimismPortal`` and an ``L2OutputOracle`` (OP's output-oracle generation), an
``L1CrossDomainMessenger`` and an ``L1StandardBridge`` that deposit through the portal
(bridge_contracts/src/settlement), placed at genesis with the storage their constructors would
lay out (tests/settlement checks it against a constructor deployment). Chains 901-905 have the
portal, messenger and bridge at supersim's addresses (``SUPERSIM_L1_ADDRESSES``), so that its
guides' commands work as published; every other address is derived from the chain id. One
batch inbox takes the batches of every rollup (the superblock
log covers them all). The batcher and the proposer have fixed keys, derived from a name as the
sequencer's is: public on purpose, this is a devnet.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from bridge_contracts import load_artifact
from chains.genesis import WEI_PER_ETH, Predeploy

L1_CHAIN_ID = 900
#: Where batches go: a plain address with no code (OP's inboxes are 0xff00…<chain id>).
BATCH_INBOX = bytes.fromhex("ff00000000000000000000000000000000000900")
#: keccak256(b"xrollup batcher"), keccak256(b"xrollup proposer").
BATCHER_KEY = keccak(b"xrollup batcher")
PROPOSER_KEY = keccak(b"xrollup proposer")
BATCHER = keys.PrivateKey(BATCHER_KEY).public_key.to_canonical_address()
PROPOSER = keys.PrivateKey(PROPOSER_KEY).public_key.to_canonical_address()
OPERATOR_BALANCE_ETH = 1_000_000_000  # pays the batcher's and the proposer's L1 gas

DEFAULT_L2_SENDER = bytes.fromhex("000000000000000000000000000000000000dead")
#: The L2OutputOracle's parameters. A proposal may be for any block at least one past the
#: latest; the oracle's L2 clock starts at 0 with one-second blocks, so that computeL2Timestamp
#: of any block is in the past (automine makes many blocks a second; OP's formula assumes a
#: fixed block time).
SUBMISSION_INTERVAL = 1
L2_BLOCK_TIME = 1
STARTING_BLOCK_NUMBER = 0
STARTING_TIMESTAMP = 0
#: The default withdrawal delay (the oracle's finalizationPeriodSeconds; --withdrawal-delay).
FINALIZATION_PERIOD_SECONDS = 12
#: Multicall3's usual address: viem's chain definitions (supersim's L1 among them) batch reads there.
MULTICALL3 = bytes.fromhex("ca11bde05977b3631167028862be2a173976ca11")


#: supersim's L1 deployments of chains 901-905 (OptimismPortalProxy, L1CrossDomainMessengerProxy,
#: L1StandardBridgeProxy), from the genesis its docs were written against: 901's are the ones its
#: first-steps and deposit guides send to.
SUPERSIM_L1_ADDRESSES: dict[int, tuple[str, str, str]] = {
    901: ("0x37a418800d0c812A9dE83Bc80e993A6b76511B57", "0xcd712b03bc6424BF45cE6C29Fc90FFDece228F6E",
          "0x8d515eb0e5F293B16B6bBCA8275c060bAe0056B0"),
    902: ("0x35e67BC631C327b60C6A39Cff6b03a8adBB19c2D", "0xeCA0f912b4bd255f3851951caE5775CC9400aA3B",
          "0x67B2aB287a32bB9ACe84F6a5A30A62597b10AdE9"),
    903: ("0x5658Eab2fECeaCbeA892675f0b09D01e63EFE265", "0x32BD47F825f1913fbbd22CDcb25Abc3DF183263D",
          "0x65eB775A012b1f7d7a99EA13BF51e5DD4Ba629E3"),
    904: ("0xa15bC4939eFD3a0819f815E0Fd277F0174c66CDc", "0x50F023B87AF0462a8322EaDd5632eef4683FE89C",
          "0xE9A71816C99292Dd4EB79cD0AAdAe1213c143d61"),
    905: ("0xcA7fe8338d83cdb72b8c7d62C6bEb383059DfcC1", "0x49Ea321bEB88bc98F27D7512E63188D75091B4d5",
          "0xcAF8ff17138F291a4723e0109B5817895AFA96b5"),
}


def _derived(kind: str, chain_id: int) -> bytes:
    return keccak(f"xrollup {kind} {chain_id}".encode())[12:]


def _supersim_or_derived(index: int, kind: str, chain_id: int) -> bytes:
    published = SUPERSIM_L1_ADDRESSES.get(chain_id)
    return bytes.fromhex(published[index][2:]) if published else _derived(kind, chain_id)


def portal_address(chain_id: int) -> bytes:
    """The OptimismPortal of rollup ``chain_id`` on the L1: supersim's for 901-905, else
    keccak256("xrollup OptimismPortal <id>")[12:]."""
    return _supersim_or_derived(0, "OptimismPortal", chain_id)


def messenger_address(chain_id: int) -> bytes:
    """The L1CrossDomainMessenger of rollup ``chain_id``: supersim's for 901-905, else
    keccak256("xrollup L1CrossDomainMessenger <id>")[12:]."""
    return _supersim_or_derived(1, "L1CrossDomainMessenger", chain_id)


def bridge_address(chain_id: int) -> bytes:
    """The L1StandardBridge of rollup ``chain_id``: supersim's for 901-905, else
    keccak256("xrollup L1StandardBridge <id>")[12:]."""
    return _supersim_or_derived(2, "L1StandardBridge", chain_id)


def oracle_address(chain_id: int) -> bytes:
    """The L2OutputOracle of rollup ``chain_id``: keccak256("xrollup L2OutputOracle <id>")[12:]."""
    return _derived("L2OutputOracle", chain_id)


@dataclass(frozen=True)
class RollupContracts:
    chain_id: int
    portal: bytes
    oracle: bytes
    messenger: bytes
    bridge: bytes

    def to_json(self) -> dict[str, str]:
        return {"OptimismPortal": to_checksum_address(self.portal), "L2OutputOracle": to_checksum_address(self.oracle),
                "L1CrossDomainMessenger": to_checksum_address(self.messenger),
                "L1StandardBridge": to_checksum_address(self.bridge)}

    def admin_json(self) -> dict[str, str]:
        """supersim's admin_getL1Addresses names (OP's deployments: the ``…Proxy`` keys of the
        contracts xrollup deploys), xrollup's own names, and the inbox and operators."""
        return {"OptimismPortalProxy": to_checksum_address(self.portal),
                "L2OutputOracleProxy": to_checksum_address(self.oracle),
                "L1CrossDomainMessengerProxy": to_checksum_address(self.messenger),
                "L1StandardBridgeProxy": to_checksum_address(self.bridge), **self.to_json(),
                "BatchInbox": to_checksum_address(BATCH_INBOX), "BatchSender": to_checksum_address(BATCHER),
                "Proposer": to_checksum_address(PROPOSER)}


def rollup_contracts(chain_id: int) -> RollupContracts:
    return RollupContracts(chain_id, portal_address(chain_id), oracle_address(chain_id), messenger_address(chain_id),
                           bridge_address(chain_id))


def _addr(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _runtime(name: str) -> bytes:
    return bytes.fromhex(load_artifact(name)["deployedBytecode"].removeprefix("0x"))


def oracle_storage(withdrawal_delay: int = FINALIZATION_PERIOD_SECONDS) -> dict[int, int]:
    """The L2OutputOracle's constructor storage: submissionInterval, l2BlockTime, challenger,
    proposer, finalizationPeriodSeconds (``withdrawal_delay``), startingBlockNumber,
    startingTimestamp (slots 0-6; slot 7, the outputs array, starts empty)."""
    values = [SUBMISSION_INTERVAL, L2_BLOCK_TIME, _addr(PROPOSER), _addr(PROPOSER), withdrawal_delay,
              STARTING_BLOCK_NUMBER, STARTING_TIMESTAMP]
    return {slot: value for slot, value in enumerate(values) if value}


def portal_storage(oracle: bytes) -> dict[int, int]:
    """The OptimismPortal's constructor storage: l2Sender (slot 0) and l2Oracle (slot 3)."""
    return {0: _addr(DEFAULT_L2_SENDER), 3: _addr(oracle)}


def messenger_storage(portal: bytes) -> dict[int, int]:
    """The L1CrossDomainMessenger's constructor storage: portal (slot 0); the nonce (slot 1) starts at 0."""
    return {0: _addr(portal)}


def bridge_storage(messenger: bytes) -> dict[int, int]:
    """The L1StandardBridge's constructor storage: messenger (slot 0)."""
    return {0: _addr(messenger)}


def messenger_and_bridge(c: RollupContracts) -> list[Predeploy]:
    """A rollup's L1CrossDomainMessenger and L1StandardBridge, which deposit ETH through its
    portal. Raises FileNotFoundError naming a missing artifact."""
    return [Predeploy(c.messenger, _runtime("L1CrossDomainMessenger"), storage=messenger_storage(c.portal),
                      name=f"L1CrossDomainMessenger {c.chain_id}"),
            Predeploy(c.bridge, _runtime("L1StandardBridge"), storage=bridge_storage(c.messenger),
                      name=f"L1StandardBridge {c.chain_id}")]


def l1_predeploys(rollup_ids: tuple[int, ...], withdrawal_delay: int = FINALIZATION_PERIOD_SECONDS,
                  portal_backing: int = 0) -> tuple[Predeploy, ...]:
    """What the L1 holds at genesis besides the dev accounts: the operators' funded accounts,
    Multicall3, and each rollup's portal and oracle (withdrawals final ``withdrawal_delay``
    seconds after their proof). Each portal holds ``portal_backing`` wei: the ETH its rollup
    started with, so that what a rollup's dev accounts withdraw is paid out on the L1 as if
    they had deposited it. Raises FileNotFoundError naming a missing artifact."""
    portal_code, oracle_code = _runtime("OptimismPortal"), _runtime("L2OutputOracle")
    out = [Predeploy(BATCHER, b"", OPERATOR_BALANCE_ETH * WEI_PER_ETH, name="Batcher", nonce=0),
           Predeploy(PROPOSER, b"", OPERATOR_BALANCE_ETH * WEI_PER_ETH, name="Proposer", nonce=0),
           Predeploy(MULTICALL3, _runtime("Multicall3"), name="Multicall3")]
    for cid in rollup_ids:
        c = rollup_contracts(cid)
        out.append(Predeploy(c.oracle, oracle_code, storage=oracle_storage(withdrawal_delay),
                             name=f"L2OutputOracle {cid}"))
        out.append(Predeploy(c.portal, portal_code, portal_backing, storage=portal_storage(c.oracle),
                             name=f"OptimismPortal {cid}"))
        out += messenger_and_bridge(c)
    return tuple(out)


def addresses_json(rollup_ids: tuple[int, ...]) -> dict[str, object]:
    """Every settlement address: the inbox, the operators, each rollup's contracts."""
    return {
        "BatchInbox": to_checksum_address(BATCH_INBOX),
        "Batcher": to_checksum_address(BATCHER),
        "Proposer": to_checksum_address(PROPOSER),
        "Multicall3": to_checksum_address(MULTICALL3),
        "rollups": {str(cid): rollup_contracts(cid).to_json() for cid in rollup_ids},
    }


def banner_lines(rollups: dict[int, str], urls: dict[int, str]) -> list[str]:
    """Each rollup's L1 contracts for the start-up banner, in supersim's "L1 Contracts:" layout
    (the portal, messenger and bridge its guides name), then its output oracle. ``rollups``:
    each rollup's chain id -> its name (supersim's OPChainA...)."""
    out = []
    for cid, name in rollups.items():
        c = rollup_contracts(cid)
        out += ["", f"  * Name: {name}  ChainID: {cid}  RPC: {urls.get(cid, '')}", "    L1 Contracts:",
                f"     - OptimismPortal:         {to_checksum_address(c.portal)}",
                f"     - L1CrossDomainMessenger: {to_checksum_address(c.messenger)}",
                f"     - L1StandardBridge:       {to_checksum_address(c.bridge)}",
                f"     - L2OutputOracle:         {to_checksum_address(c.oracle)}"]
    return out
