"""The L1 beside the rollups: its own chain and endpoint, its flags, the settlement contracts
at genesis, one devnet clock."""

from __future__ import annotations

import time

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from settlement.contracts import (
    BATCH_INBOX,
    BATCHER,
    FINALIZATION_PERIOD_SECONDS,
    PROPOSER,
    oracle_storage,
    portal_storage,
    rollup_contracts,
)
from tests.contracts.settlement_harness import Chain
from tests.settlement.conftest import A0, A1, CHAIN_IDS, L1_ID, wait_for
from tests.support import Rpc
from xrollup.cli import config_from_args, parser
from xrollup.testing import DevnetThread

PORTAL_ABI = load_artifact("OptimismPortal")["abi"]
ORACLE_ABI = load_artifact("L2OutputOracle")["abi"]


def test_the_l1_is_its_own_chain_on_its_own_free_port(server: DevnetThread, l1: Rpc, l1_url: str) -> None:
    assert int(l1.call("eth_chainId"), 16) == L1_ID
    ports = {int(url.rsplit(":", 1)[1]) for url in server.urls.values()}
    l1_port = int(l1_url.rsplit(":", 1)[1])
    assert l1_port not in ports and l1_port != 8545
    assert set(server.urls) == set(CHAIN_IDS)  # the rollups' URLs are the rollups' alone
    assert int(l1.call("eth_getBalance", A0, "latest"), 16) == 10_000 * 10**18  # funded as on the rollups


def test_the_l1_automines_and_also_makes_blocks_on_its_own(w3_l1: Web3, w3s: dict[int, Web3]) -> None:
    rollup_heights = {cid: w3.eth.block_number for cid, w3 in w3s.items()}
    before = w3_l1.eth.block_number
    tx = w3_l1.eth.send_transaction({"from": A0, "to": A1, "value": 5})
    receipt = w3_l1.eth.get_transaction_receipt(tx)  # mined at once, as anvil's automine
    assert receipt.status == 1 and receipt.blockNumber > before
    assert {cid: w3.eth.block_number for cid, w3 in w3s.items()} == rollup_heights  # not sequenced with them
    start = w3_l1.eth.block_number
    wait_for("an L1 block on the L1's own clock", lambda: w3_l1.eth.block_number >= start + 2)


def test_time_travel_on_a_rollup_moves_the_l1(w3_l1: Web3, rollups: dict[int, Rpc]) -> None:
    rollups[901].call("evm_increaseTime", 3600)
    start = w3_l1.eth.block_number
    block = wait_for("an L1 block", lambda: w3_l1.eth.get_block("latest") if w3_l1.eth.block_number > start else None)
    assert block.timestamp >= int(time.time()) + 3600 - 5


def test_a_next_timestamp_on_the_l1_moves_the_rollups(w3_l1: Web3, w3s: dict[int, Web3]) -> None:
    target = w3_l1.eth.get_block("latest").timestamp + 7200
    w3_l1.provider.make_request("evm_setNextBlockTimestamp", [target])
    w3_l1.provider.make_request("evm_mine", [])
    assert w3_l1.eth.get_block("latest").timestamp == target
    tx = w3s[902].eth.send_transaction({"from": A0, "to": A1, "value": 1})
    assert w3s[902].eth.get_block(w3s[902].eth.get_transaction_receipt(tx).blockNumber).timestamp >= target


def test_xr_chains_and_the_admin_api_list_the_l1_and_its_contracts(server: DevnetThread, rollups: dict[int, Rpc],
                                                                   l1_url: str) -> None:
    chains = rollups[901].call("xr_chains")
    assert [c["chainId"] for c in chains] == list(CHAIN_IDS)
    for entry in chains:
        contracts = rollup_contracts(entry["chainId"])
        assert entry["l1"]["chainId"] == L1_ID and entry["l1"]["rpcUrl"] == l1_url
        assert entry["l1"]["OptimismPortal"] == to_checksum_address(contracts.portal)
        assert entry["l1"]["L2OutputOracle"] == to_checksum_address(contracts.oracle)
        assert entry["l1"]["BatchInbox"] == to_checksum_address(BATCH_INBOX)
    assert server.devnet.admin_url
    admin = Rpc(server.devnet.admin_url)
    try:
        addresses = admin.call("admin_getL1Addresses", 902)
    finally:
        admin.close()
    assert addresses["OptimismPortalProxy"] == to_checksum_address(rollup_contracts(902).portal)
    assert addresses["L2OutputOracleProxy"] == to_checksum_address(rollup_contracts(902).oracle)
    assert addresses["BatchSender"] == to_checksum_address(BATCHER)
    admin = Rpc(server.devnet.admin_url)
    try:
        config = admin.call("admin_getConfig")
    finally:
        admin.close()
    assert config["L1Config"]["ChainID"] == L1_ID and config["L1Config"]["Port"] == int(l1_url.rsplit(":", 1)[1])
    assert [c["L2Config"]["L1ChainID"] for c in config["L2Configs"]] == [L1_ID, L1_ID]
    assert config["L2Configs"][0]["L2Config"]["L1Addresses"]["OptimismPortalProxy"] == \
        to_checksum_address(rollup_contracts(901).portal)


def test_the_settlement_contracts_are_there_at_genesis(w3_l1: Web3) -> None:
    for cid in CHAIN_IDS:
        c = rollup_contracts(cid)
        portal = w3_l1.eth.contract(address=to_checksum_address(c.portal), abi=PORTAL_ABI)
        oracle = w3_l1.eth.contract(address=to_checksum_address(c.oracle), abi=ORACLE_ABI)
        assert portal.functions.version().call().startswith("2.")  # viem's output-oracle flow
        assert portal.functions.l2Oracle().call() == to_checksum_address(c.oracle)
        assert oracle.functions.PROPOSER().call() == to_checksum_address(PROPOSER)
        assert oracle.functions.FINALIZATION_PERIOD_SECONDS().call() == FINALIZATION_PERIOD_SECONDS
        assert w3_l1.eth.get_balance(to_checksum_address(BATCHER)) > 0
        assert w3_l1.eth.get_balance(to_checksum_address(PROPOSER)) > 0


def test_genesis_storage_is_what_the_constructors_lay_out() -> None:
    chain = Chain(L1_ID, with_predeploys=False)
    deployer = bytes.fromhex(A0[2:])
    oracle = chain.deploy(deployer, "L2OutputOracle", 1, 1, 0, 0, PROPOSER, PROPOSER, FINALIZATION_PERIOD_SECONDS)
    portal = chain.deploy(deployer, "OptimismPortal", oracle)
    for slot in range(12):
        assert chain.storage(oracle, slot) == oracle_storage().get(slot, 0), slot
        assert chain.storage(portal, slot) == portal_storage(oracle).get(slot, 0), slot


@pytest.mark.parametrize(("argv", "l1", "port"), [
    ([], True, 8545), (["--port", "0"], True, 0), (["--port", "0", "--l1.port", "9000"], True, 9000),
    (["--no-l1"], False, 8545), (["--l1.port", "0"], True, 0),
])
def test_l1_flags(argv: list[str], l1: bool, port: int) -> None:
    config = config_from_args(parser().parse_args(argv))
    assert config.l1 is l1 and config.l1_listen_port == port


def test_l1_flag_values() -> None:
    config = config_from_args(parser().parse_args(["--l1.chain-id", "1337", "--l1.block-time", "0.5",
                                                   "--l1.finality-depth", "10"]))
    assert (config.l1_chain_id, config.l1_block_time, config.l1_finality_depth) == (1337, 0.5, 10)
    with pytest.raises(ValueError, match="also one of --chains"):
        config_from_args(parser().parse_args(["--l1.chain-id", "901"]))
    with pytest.raises(SystemExit):
        parser().parse_args(["--l1.block-time", "0"])


def test_the_python_api_runs_the_l1_in_process_and_serves_it() -> None:
    from xrollup.api import Devnet

    with Devnet() as net:
        assert net.l1_chain_id == L1_ID and net.l1_url is None
        w3 = net.w3(L1_ID)
        assert w3.eth.chain_id == L1_ID
        tx = w3.eth.send_transaction({"from": A0, "to": A1, "value": 1})
        assert w3.eth.get_transaction_receipt(tx).status == 1
        urls = net.serve()
        assert set(urls) == set(CHAIN_IDS) and net.l1_url is not None
        assert Web3(Web3.HTTPProvider(net.l1_url)).eth.chain_id == L1_ID
    with Devnet(l1=False) as net:
        assert net.l1_chain_id is None
        with pytest.raises(ValueError):
            net.w3(L1_ID)


def test_l1_subscribers_follow_its_finalized_head(l1_url: str, w3_l1: Web3) -> None:
    from tests.support import WsRpc

    with WsRpc(l1_url.replace("http://", "ws://")) as ws:
        sub = ws.subscribe("xr_finalizedHeads")
        got = ws.next(sub, timeout=30)  # the L1 here makes a block every 0.5 s; final 2 deep
        number = int(got["number"], 16)
        assert w3_l1.eth.get_block(got["hash"]).number == number
        assert 0 < number <= w3_l1.eth.block_number - 2
