"""Deposits from the L1: a portal's TransactionDeposited log becomes an OP deposit transaction
on its rollup in the first superblock after the L1 block that holds it (several rollups' in one
superblock), the L1 block becomes the rollups' L1 origin, and replay --from-l1 checks every
deposit against the L1's logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact
from chains.deposits import Deposit, deposit_from_log
from settlement.contracts import rollup_contracts
from tests.settlement.conftest import A0, A1
from tests.support import Rpc, served
from xrollup.cli import main
from xrollup.testing import DevnetThread

PORTAL_ABI = load_artifact("OptimismPortal")["abi"]
L1_BLOCK_ABI = load_artifact("L1Block")["abi"]
L1_BLOCK = "0x4200000000000000000000000000000000000015"
ETH = 10**18
A2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


@pytest.fixture(scope="module")
def server() -> Iterator[DevnetThread]:
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        yield dt


def portal(w3_l1: Web3, cid: int):  # type: ignore[no-untyped-def]
    return w3_l1.eth.contract(address=to_checksum_address(rollup_contracts(cid).portal), abi=PORTAL_ABI)


def deposits_of(w3_l1: Web3, receipt) -> list[Deposit]:  # type: ignore[no-untyped-def]
    block = w3_l1.eth.get_block(receipt.blockNumber)
    return [deposit_from_log(tuple(bytes(t) for t in log.topics), bytes(log.data), bytes(block.hash), log.logIndex)
            for log in receipt.logs]


def superblock_of(rpc: Rpc, tx_hash: str) -> int:
    receipt = rpc.call("eth_getTransactionReceipt", tx_hash)
    return int(rpc.call("xr_getSuperblockOfBlock", receipt["blockNumber"], False)["number"], 16)


def test_a_deposit_lands_in_the_next_superblock(w3_l1: Web3, w3s: dict[int, Web3], rollups: dict[int, Rpc]) -> None:
    before = int(rollups[901].call("xr_blockNumber"), 16)
    balance = w3s[901].eth.get_balance(A2)
    tx = portal(w3_l1, 901).functions.depositTransaction(A2, ETH, 100_000, False, b"").transact(
        {"from": A0, "value": ETH})
    receipt = w3_l1.eth.get_transaction_receipt(tx)
    [deposit] = deposits_of(w3_l1, receipt)
    l2_hash = "0x" + deposit.hash.hex()
    l2_receipt = w3s[901].eth.wait_for_transaction_receipt(l2_hash, timeout=30)
    assert l2_receipt.status == 1
    assert w3s[901].eth.get_balance(A2) == balance + ETH
    assert w3s[901].eth.get_transaction(l2_hash).type == 0x7E
    assert superblock_of(rollups[901], l2_hash) == before + 1  # the first superblock after the L1 block
    l1_block = w3s[901].eth.contract(address=L1_BLOCK, abi=L1_BLOCK_ABI)
    assert l1_block.functions.number().call() == receipt.blockNumber  # the rollup's L1 origin
    assert bytes(l1_block.functions.hash().call()) == bytes(w3_l1.eth.get_block(receipt.blockNumber).hash)


def test_deposits_to_two_rollups_in_one_l1_block_land_in_one_superblock(w3_l1: Web3, w3s: dict[int, Web3],
                                                                         rollups: dict[int, Rpc], l1: Rpc) -> None:
    l1.call("evm_setAutomine", False)
    try:
        txs = [portal(w3_l1, cid).functions.depositTransaction(A1, cid, 50_000, False, b"").transact(
            {"from": A0, "value": cid}) for cid in (901, 902)]
        l1.call("evm_mine")
    finally:
        l1.call("evm_setAutomine", True)
    receipts = [w3_l1.eth.get_transaction_receipt(tx) for tx in txs]
    assert receipts[0].blockNumber == receipts[1].blockNumber
    hashes = {cid: "0x" + deposits_of(w3_l1, r)[0].hash.hex() for cid, r in zip((901, 902), receipts, strict=True)}
    for cid, h in hashes.items():
        assert w3s[cid].eth.wait_for_transaction_receipt(h, timeout=30).status == 1
    assert superblock_of(rollups[901], hashes[901]) == superblock_of(rollups[902], hashes[902])


def test_replay_from_the_l1_checks_the_deposits(server: DevnetThread, l1: Rpc,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    l1.call("evm_mine")  # the batch of the deposits' superblocks
    assert server.devnet.l1 is not None and server.devnet.l1.url
    capsys.readouterr()
    assert main(["replay", "--from-l1", server.devnet.l1.url]) == 0
    out = capsys.readouterr().out
    assert "deposits: 3 on the L1" in out and "3 included on their rollups in the L1's order" in out


def test_a_deposit_the_l1_never_saw_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    """A sequencer that mints from nothing: it includes a deposit no portal log stands for. The
    blocks replay (the log is what the sequencer did), but the L1 refutes the deposit."""
    with served((901, 902), l1=True, l1_block_time=3600) as dt:
        assert dt.devnet.l1 is not None and dt.devnet.l1.url
        forged = Deposit(b"\x42" * 32, bytes.fromhex(A0[2:]), bytes.fromhex(A1[2:]), 1000 * ETH, 1000 * ETH,
                         100_000, False, b"")
        dt.run(lambda: dt.devnet.sequencer.submit_deposits({901: [forged]}))
        w3 = Web3(Web3.HTTPProvider(dt.urls[901]))
        assert w3.eth.wait_for_transaction_receipt("0x" + forged.hash.hex(), timeout=30).status == 1
        Rpc(dt.devnet.l1.url).call("evm_mine")
        capsys.readouterr()
        assert main(["replay", "--from-l1", dt.devnet.l1.url]) == 1
        err = capsys.readouterr().err
        assert f"deposit 0x{forged.hash.hex()} stands for no TransactionDeposited log" in err
