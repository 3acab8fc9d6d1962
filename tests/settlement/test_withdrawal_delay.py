"""--withdrawal-delay sets the oracle's FINALIZATION_PERIOD_SECONDS; each portal holds its
rollup's genesis ETH; Multicall3 answers at its usual address; a restart from --state-dir keeps
the L1 genesis it saved, whatever the flags say now."""

from __future__ import annotations

from pathlib import Path

from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import MULTICALL3, oracle_address, portal_address
from tests.support import Rpc, served
from xrollup.cli import config_from_args, parser


def l1_of(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url))


def test_the_delay_the_backing_and_multicall3_survive_a_restart(tmp_path: Path) -> None:
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600, withdrawal_delay=77,
                state_dir=str(tmp_path)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        w3 = l1_of(dt.devnet.l1.url)
        oracle = w3.eth.contract(to_checksum_address(oracle_address(902)), abi=load_artifact("L2OutputOracle")["abi"])
        assert oracle.functions.FINALIZATION_PERIOD_SECONDS().call() == 77
        rollup_supply = sum(l2.eth.get_balance(a) for l2 in [Web3(Web3.HTTPProvider(dt.urls[901]))]
                            for a in l2.eth.accounts)
        assert w3.eth.get_balance(to_checksum_address(portal_address(901))) == rollup_supply
        multicall = w3.eth.contract(to_checksum_address(MULTICALL3), abi=load_artifact("Multicall3")["abi"])
        data = oracle.functions.FINALIZATION_PERIOD_SECONDS()._encode_transaction_data()
        [(ok, out)] = multicall.functions.aggregate3([(oracle.address, False, data)]).call()
        assert ok and int.from_bytes(out, "big") == 77
        Rpc(dt.devnet.l1.url).call("evm_mine")
        height = w3.eth.block_number
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600, withdrawal_delay=5,
                state_dir=str(tmp_path)) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        w3 = l1_of(dt.devnet.l1.url)
        assert w3.eth.block_number == height
        oracle = w3.eth.contract(to_checksum_address(oracle_address(902)), abi=load_artifact("L2OutputOracle")["abi"])
        assert oracle.functions.FINALIZATION_PERIOD_SECONDS().call() == 77


def test_the_flag() -> None:
    assert config_from_args(parser().parse_args(["--withdrawal-delay", "3"])).withdrawal_delay == 3
    assert config_from_args(parser().parse_args([])).withdrawal_delay == 12
