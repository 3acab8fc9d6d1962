"""anvil_dumpState / anvil_loadState with an L1: the dump holds the L1's log beside the rollups',
and a load restores both consistently (batches, deposits, safe heads); a dump without the L1
(an older one) still loads, leaving the L1 as it is."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from web3 import Web3

from tests.settlement.test_deposit_reverts import deposit
from tests.support import Rpc, served
from xrollup.cli import main
from xrollup.testing import DevnetThread

ETH = 10**18


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served((901, 902), l1=True, admin_port=0, l1_block_time=3600) as dt:
        yield dt


def test_a_load_restores_the_l1_with_the_rollups(server: DevnetThread, w3_l1: Web3, w3s: dict[int, Web3],
                                                 rollups: dict[int, Rpc], l1: Rpc,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    w3 = w3s[901]
    kept = deposit(w3_l1, 901, ETH)
    kept_block = w3.eth.wait_for_transaction_receipt(kept, timeout=30).blockNumber
    l1.call("evm_mine")  # its batch
    assert w3.eth.get_block("safe").number >= kept_block
    dump = rollups[901].call("anvil_dumpState")
    body = json.loads(gzip.decompress(bytes.fromhex(dump[2:])))
    assert body["l1"]["entries"][0]["t"] == "genesis"
    l1_height = w3_l1.eth.block_number

    later = deposit(w3_l1, 901, 2 * ETH)
    assert w3.eth.wait_for_transaction_receipt(later, timeout=30).status == 1
    l1.call("evm_mine")
    assert rollups[902].call("anvil_loadState", dump) is True

    assert w3_l1.eth.block_number == l1_height  # the L1 as dumped: the later deposit is gone there too
    assert rollups[901].call("eth_getTransactionReceipt", later) is None
    assert w3.eth.get_transaction_receipt(kept).status == 1
    l1.call("evm_mine")  # the batcher reads back what the loaded L1 carries
    assert w3.eth.get_block("safe").number >= kept_block
    assert server.devnet.l1 is not None and server.devnet.l1.url
    capsys.readouterr()
    assert main(["replay", "--from-l1", server.devnet.l1.url]) == 0
    assert "deposits: 1 on the L1" in capsys.readouterr().out


def test_a_dump_without_the_l1_still_loads(w3_l1: Web3, w3s: dict[int, Web3], rollups: dict[int, Rpc],
                                           l1: Rpc) -> None:
    body = json.loads(gzip.decompress(bytes.fromhex(rollups[901].call("anvil_dumpState")[2:])))
    height = int(rollups[901].call("eth_blockNumber"), 16)
    del body["l1"]
    older = "0x" + gzip.compress(json.dumps(body).encode()).hex()
    l1.call("evm_mine")
    rollups[901].call("evm_mine")
    l1_height = w3_l1.eth.block_number
    assert rollups[901].call("anvil_loadState", older) is True
    assert int(rollups[901].call("eth_blockNumber"), 16) == height
    assert w3_l1.eth.block_number == l1_height  # the L1 is left as it is


def test_a_corrupt_l1_part_is_refused_and_nothing_changes(w3_l1: Web3, rollups: dict[int, Rpc]) -> None:
    body = json.loads(gzip.decompress(bytes.fromhex(rollups[901].call("anvil_dumpState")[2:])))
    body["l1"]["entries"][-1]["note"] = "changed"
    l1_height, height = w3_l1.eth.block_number, rollups[901].call("eth_blockNumber")
    error = rollups[901].error("anvil_loadState", "0x" + gzip.compress(json.dumps(body).encode()).hex())
    assert error.code != -32603 and "the L1's entry" in error.message, error
    assert (w3_l1.eth.block_number, rollups[901].call("eth_blockNumber")) == (l1_height, height)
