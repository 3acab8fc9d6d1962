"""The L1's settlement contracts at genesis, and the accounts that post to them.

Per rollup an ``OptimismPortal`` and an ``L2OutputOracle`` (OP's output-oracle generation,
bridge_contracts/src/settlement), placed at genesis with the storage their constructors would
lay out (tests/settlement checks it against a constructor deployment), at addresses derived
from the rollup's chain id. One batch inbox takes the batches of every rollup (the superblock
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
FINALIZATION_PERIOD_SECONDS = 12


def _derived(kind: str, chain_id: int) -> bytes:
    return keccak(f"xrollup {kind} {chain_id}".encode())[12:]


def portal_address(chain_id: int) -> bytes:
    """The OptimismPortal of rollup ``chain_id`` on the L1: keccak256("xrollup OptimismPortal <id>")[12:]."""
    return _derived("OptimismPortal", chain_id)


def oracle_address(chain_id: int) -> bytes:
    """The L2OutputOracle of rollup ``chain_id``: keccak256("xrollup L2OutputOracle <id>")[12:]."""
    return _derived("L2OutputOracle", chain_id)


@dataclass(frozen=True)
class RollupContracts:
    chain_id: int
    portal: bytes
    oracle: bytes

    def to_json(self) -> dict[str, str]:
        return {"OptimismPortal": to_checksum_address(self.portal), "L2OutputOracle": to_checksum_address(self.oracle)}

    def admin_json(self) -> dict[str, str]:
        """supersim's admin_getL1Addresses names (OP's deployments), and the inbox and operators."""
        return {"OptimismPortalProxy": to_checksum_address(self.portal),
                "L2OutputOracleProxy": to_checksum_address(self.oracle), **self.to_json(),
                "BatchInbox": to_checksum_address(BATCH_INBOX), "BatchSender": to_checksum_address(BATCHER),
                "Proposer": to_checksum_address(PROPOSER)}


def rollup_contracts(chain_id: int) -> RollupContracts:
    return RollupContracts(chain_id, portal_address(chain_id), oracle_address(chain_id))


def _addr(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _runtime(name: str) -> bytes:
    return bytes.fromhex(load_artifact(name)["deployedBytecode"].removeprefix("0x"))


def oracle_storage() -> dict[int, int]:
    """The L2OutputOracle's constructor storage: submissionInterval, l2BlockTime, challenger,
    proposer, finalizationPeriodSeconds, startingBlockNumber, startingTimestamp (slots 0-6;
    slot 7, the outputs array, starts empty)."""
    values = [SUBMISSION_INTERVAL, L2_BLOCK_TIME, _addr(PROPOSER), _addr(PROPOSER), FINALIZATION_PERIOD_SECONDS,
              STARTING_BLOCK_NUMBER, STARTING_TIMESTAMP]
    return {slot: value for slot, value in enumerate(values) if value}


def portal_storage(oracle: bytes) -> dict[int, int]:
    """The OptimismPortal's constructor storage: l2Sender (slot 0) and l2Oracle (slot 3)."""
    return {0: _addr(DEFAULT_L2_SENDER), 3: _addr(oracle)}


def l1_predeploys(rollup_ids: tuple[int, ...]) -> tuple[Predeploy, ...]:
    """What the L1 holds at genesis besides the dev accounts: the operators' funded accounts
    and each rollup's portal and oracle. Raises FileNotFoundError naming a missing artifact."""
    portal_code, oracle_code = _runtime("OptimismPortal"), _runtime("L2OutputOracle")
    out = [Predeploy(BATCHER, b"", OPERATOR_BALANCE_ETH * WEI_PER_ETH, name="Batcher", nonce=0),
           Predeploy(PROPOSER, b"", OPERATOR_BALANCE_ETH * WEI_PER_ETH, name="Proposer", nonce=0)]
    for cid in rollup_ids:
        c = rollup_contracts(cid)
        out.append(Predeploy(c.oracle, oracle_code, storage=oracle_storage(), name=f"L2OutputOracle {cid}"))
        out.append(Predeploy(c.portal, portal_code, storage=portal_storage(c.oracle), name=f"OptimismPortal {cid}"))
    return tuple(out)


def addresses_json(rollup_ids: tuple[int, ...]) -> dict[str, object]:
    """Every settlement address: the inbox, the operators, each rollup's contracts."""
    return {
        "BatchInbox": to_checksum_address(BATCH_INBOX),
        "Batcher": to_checksum_address(BATCHER),
        "Proposer": to_checksum_address(PROPOSER),
        "rollups": {str(cid): rollup_contracts(cid).to_json() for cid in rollup_ids},
    }
