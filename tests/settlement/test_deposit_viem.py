"""viem's op-stack chain config (formatters, serializer, getL2TransactionHash) reads the
deposits xrollup serves, from a node script against a real server."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import encode as abi_encode

from chains.deposits import TRANSACTION_DEPOSITED, deposit_from_log
from chains.genesis import dev_accounts
from tests.supersim.tools import Tools, install
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

ACCOUNTS = dev_accounts()


@pytest.fixture(scope="module")
def tools() -> Tools:
    return install()


@pytest.fixture()
def server() -> Iterator[DevnetThread]:
    thread = DevnetThread(DevnetConfig(chain_ids=(901,), port=0, admin_port=0, silent=True)).start()
    try:
        yield thread
    finally:
        thread.stop()


def test_viem_op_stack_reads_a_deposit(tools: Tools, server: DevnetThread) -> None:
    sender, to = ACCOUNTS[3].address, ACCOUNTS[4].address
    opaque = (10**18).to_bytes(32, "big") + (12345).to_bytes(32, "big") + (90_000).to_bytes(8, "big") + b"\x00" + b"\xab\xcd"
    block_hash, log_index = b"\x77" * 32, 5
    topics = [TRANSACTION_DEPOSITED, b"\x00" * 12 + sender, b"\x00" * 12 + to, b"\x00" * 32]
    deposit = deposit_from_log(topics, abi_encode(["bytes"], [opaque]), block_hash, log_index)
    # a first deposit from the same sender, so that the second's depositNonce is 1
    first = deposit_from_log(topics, abi_encode(["bytes"], [opaque]), block_hash, log_index - 1)
    server.run(lambda: server.devnet.sequencer.submit_deposits({901: [first, deposit]}))
    script = tools.root / "xrollup-deposit-viem.mjs"
    script.write_text((Path(__file__).parent / "deposit_viem.mjs").read_text())
    log = {"from": "0x" + sender.hex(), "to": "0x" + to.hex(), "opaqueData": "0x" + opaque.hex(),
           "blockHash": "0x" + block_hash.hex(), "logIndex": log_index}
    env = {**os.environ, "XR_URL": server.urls[901], "XR_HASH": "0x" + deposit.hash.hex(), "XR_LOG": json.dumps(log)}
    done = subprocess.run(["node", str(script)], cwd=tools.root, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {
        "type": "deposit", "typeHex": "0x7e", "mint": str(10**18), "sourceHash": "0x" + deposit.source_hash.hex(),
        "nonce": 1, "depositNonce": "1", "depositReceiptVersion": 1, "status": "success",
        "blockTxType": "deposit", "blockTxHash": "0x" + first.hash.hex(), "serializedMatches": True,
        "serializedHash": "0x" + deposit.hash.hex(), "l2Hash": "0x" + deposit.hash.hex(),
    }
