"""supersim's published guides, run as they are written against xrollup, with cast.

Each command is copied from supersim's docs (docs/src/getting-started/first-steps.md,
docs/src/guides/interop/cast.md, docs/src/guides/interop/bridging-eth.md); only the endpoint
URLs are replaced by the test devnet's free ports. The "REPLACE_WITH" placeholders the guides
ask the reader to fill in are filled from the previous step's output, as a reader would.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import keccak

from backend.admin import message_hash
from tests.supersim.tools import Tools, install
from tests.support import served
from xrollup.testing import DevnetThread

A, B = 901, 902
DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TOKEN = "0x420beeF000000000000000000000000000000001"
MESSENGER = "0x4200000000000000000000000000000000000023"
TOKEN_BRIDGE = "0x4200000000000000000000000000000000000028"

MINT = ('cast send 0x420beeF000000000000000000000000000000001 "mint(address _to, uint256 _amount)"  '
        '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 1000  --rpc-url http://127.0.0.1:9545 --private-key '
        '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
SEND_ERC20 = ('cast send 0x4200000000000000000000000000000000000028 "sendERC20(address _token, address _to, '
              'uint256 _amount, uint256 _chainId)" 0x420beeF000000000000000000000000000000001 '
              '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 1000 902 --rpc-url http://127.0.0.1:9545 --private-key '
              '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
BALANCE_902 = ('cast balance --erc20 0x420beeF000000000000000000000000000000001 '
               '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 --rpc-url http://127.0.0.1:9546')
BALANCE_901 = BALANCE_902.replace("9546", "9545")  # the same check on the source chain
LOGS = "cast logs --address 0x4200000000000000000000000000000000000023 --rpc-url http://127.0.0.1:9545"
BLOCK = "cast block 0xREPLACE_WITH_CORRECT_BLOCKHASH --rpc-url http://127.0.0.1:9545"
ACCESS_BY_HASH = ("cast rpc admin_getAccessListByMsgHash 0xccff97c17ef11d659d319cbc5780235ea03ef34b0fa34f40b208a9519f257379"
                  " --rpc-url http://localhost:8420")
ACCESS_FOR_ID = """cast rpc admin_getAccessListForIdentifier \\
'{
  "origin": "0x4200000000000000000000000000000000000023",
  "blockNumber": "14",
  "logIndex": "2",
  "timestamp": "1743801675",
  "chainId": "901",
  "payload": "PAYLOAD"
}' \\
--rpc-url http://localhost:8420"""
RELAY = """cast send 0x4200000000000000000000000000000000000023 \\
    "relayMessage((address, uint256, uint256, uint256, uint256), bytes)" \\
    "(0x4200000000000000000000000000000000000023, 14, 2, 1743801675, 901)" \\
    PAYLOAD \\
    --access-list 'ACCESS_LIST' \\
    --rpc-url http://127.0.0.1:9546 \\
    --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"""
SEND_ETH = ('cast send 0x4200000000000000000000000000000000000024 "sendETH(address _to, uint256 _chainId)" '
            '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 902 --value 10ether --rpc-url http://127.0.0.1:9545 '
            '--private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
ETH_BALANCE_902 = "cast balance 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 --rpc-url http://127.0.0.1:9546"


@pytest.fixture(scope="module")
def tools() -> Tools:
    return install()


@pytest.fixture(scope="module")
def auto_devnet() -> Iterator[DevnetThread]:
    """`supersim --interop.autorelay`"""
    with served((A, B), admin_port=0) as server:
        yield server


@pytest.fixture(scope="module")
def manual_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevnetThread]:
    """`supersim` (no autorelay): xrollup's --interop.autorelay=false, logging to a directory
    (--logs.directory) where the guide reads a message's hash."""
    logs = tmp_path_factory.mktemp("logs")
    handler = logging.FileHandler(logs / "anvil-901.log")
    source_log = logging.getLogger(f"xrollup.chain.{A}")
    source_log.addHandler(handler)
    source_log.setLevel(logging.INFO)
    try:
        with served((A, B), admin_port=0, autorelay=False, logs_directory=str(logs)) as server:
            yield server
    finally:
        source_log.removeHandler(handler)
        handler.close()


class Shell:
    """Runs a guide's command with cast from npm, against one devnet's URLs."""

    def __init__(self, tools: Tools, devnet: DevnetThread) -> None:
        self.tools = tools
        self.urls = {"http://127.0.0.1:9545": devnet.urls[A], "http://127.0.0.1:9546": devnet.urls[B],
                     "http://localhost:8420": devnet.devnet.admin_url or ""}

    def run(self, command: str) -> str:
        for published, local in self.urls.items():
            command = command.replace(published, local)
        assert command.startswith("cast ")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PATH": f"{self.tools.cast.parent}:{os.environ['PATH']}"})
        assert done.returncode == 0, f"{command}\nfailed: {done.stderr}"
        return done.stdout

    def send(self, command: str) -> dict[str, str]:
        """A `cast send`: its receipt, checked successful."""
        receipt = fields(self.run(command))
        assert receipt["status"].startswith("1"), receipt
        return receipt

    def erc20(self, command: str) -> int:
        return int(self.run(command).split()[0])


def fields(text: str) -> dict[str, str]:
    """cast's `key   value` lines (receipts, blocks, logs) as a dict."""
    out = {}
    for line in text.splitlines():
        match = re.match(r"^(\w+):?\s+(.*)$", line.strip())
        if match:
            out.setdefault(match.group(1), match.group(2).strip())
    return out


def last_log(text: str) -> dict[str, object]:
    """The last log `cast logs` printed: its fields and its topics."""
    chunks = [c for c in text.strip().split("\n\n") if c.strip()]
    chunk = chunks[-1]
    log: dict[str, object] = fields(chunk.split("topics:")[0])
    log["topics"] = re.findall(r"0x[0-9a-f]{64}", chunk.split("topics:")[1].split("]")[0])
    return log


def test_first_steps_superchain_erc20(tools: Tools, auto_devnet: DevnetThread) -> None:
    sh = Shell(tools, auto_devnet)
    before_901, before_902 = sh.erc20(BALANCE_901), sh.erc20(BALANCE_902)
    sh.send(MINT)
    assert sh.erc20(BALANCE_901) == before_901 + 1000
    sh.send(SEND_ERC20)
    # 4. the relay is in 902's next block (the sequencer's auto-relay)
    assert sh.erc20(BALANCE_902) == before_902 + 1000
    assert sh.erc20(BALANCE_901) == before_901


def test_bridging_eth(tools: Tools, auto_devnet: DevnetThread) -> None:
    sh = Shell(tools, auto_devnet)
    before = int(sh.run(ETH_BALANCE_902).split()[0])
    sh.send(SEND_ETH)
    assert int(sh.run(ETH_BALANCE_902).split()[0]) == before + 10 * 10**18


def test_manual_relay_with_cast(tools: Tools, manual_devnet: DevnetThread) -> None:
    sh = Shell(tools, manual_devnet)
    before_902 = sh.erc20(BALANCE_902)
    sh.send(MINT)  # 2.
    sh.send(SEND_ERC20)  # 3.
    assert sh.erc20(BALANCE_902) == before_902  # nothing relayed it

    log = last_log(sh.run(LOGS))  # 4.
    topics = log["topics"]
    assert isinstance(topics, list) and len(topics) == 4
    block_hash, number, log_index = str(log["blockHash"]), int(str(log["blockNumber"])), int(str(log["logIndex"]))
    block = fields(sh.run(BLOCK.replace("0xREPLACE_WITH_CORRECT_BLOCKHASH", block_hash)))  # 5.
    timestamp = int(block["timestamp"].split()[0])
    payload = "0x" + "".join(t[2:] for t in topics) + str(log["data"])[2:]  # 6.

    # 7a. the message hash, from the devnet's log line, checked against OP's Hashing
    logs_dir = manual_devnet.devnet.config.logs_directory
    assert logs_dir is not None
    lines = [line for line in (Path(logs_dir) / "anvil-901.log").read_text().splitlines()
             if "L2ToL2CrossChainMessenger#SentMessage" in line]
    logged_hash = re.findall(r"msgHash=(0x[0-9a-f]{64})", lines[-1])[0]
    data = bytes.fromhex(str(log["data"])[2:])
    length = int.from_bytes(data[64:96], "big")
    msg_hash = message_hash(int(topics[1], 16), A, int(topics[3], 16), data[12:32], bytes.fromhex(topics[2][26:]),
                            data[96:96 + length])
    assert logged_hash == "0x" + msg_hash.hex()
    assert f"sourceChainID={A} destinationChainID={B} nonce={int(topics[3], 16)}" in lines[-1]
    by_hash = json.loads(sh.run(ACCESS_BY_HASH.replace(
        "0xccff97c17ef11d659d319cbc5780235ea03ef34b0fa34f40b208a9519f257379", logged_hash)))
    # 7b. the same access list from the identifier and the payload
    for_id = json.loads(sh.run(ACCESS_FOR_ID.replace('"14"', f'"{number}"').replace('"2"', f'"{log_index}"')
                               .replace("1743801675", str(timestamp)).replace("PAYLOAD", payload)))
    assert by_hash == for_id
    [entry] = by_hash["accessList"]
    assert entry["address"] == "0x4200000000000000000000000000000000000022"
    lookup = entry["storageKeys"][0]
    assert lookup == "0x01000000" + A.to_bytes(8, "big").hex() + number.to_bytes(8, "big").hex() \
        + timestamp.to_bytes(8, "big").hex() + log_index.to_bytes(4, "big").hex()

    # 8. relay it
    relay = (RELAY.replace("14, 2, 1743801675", f"{number}, {log_index}, {timestamp}")
             .replace("PAYLOAD", payload).replace("ACCESS_LIST", json.dumps(by_hash["accessList"])))
    receipt = sh.send(relay)
    assert receipt["to"].lower() == MESSENGER.lower()
    # 9. the tokens arrived, once
    assert sh.erc20(BALANCE_902) == before_902 + 1000
    already = "0x" + keccak(b"MessageAlreadyRelayed()")[:4].hex()
    with pytest.raises(AssertionError, match=already):  # relaying again reverts, as on OP
        sh.run(relay)
    assert sh.erc20(BALANCE_902) == before_902 + 1000


def test_op_viem_interop_actions(tools: Tools, manual_devnet: DevnetThread) -> None:
    """@eth-optimism/viem's actions, each message relayed by a user (auto-relay off)."""
    script = tools.root / "xrollup-interop-viem.mjs"
    script.write_text((Path(__file__).parent / "interop_viem.mjs").read_text())
    env = {**os.environ, "XR_URL_A": manual_devnet.urls[A], "XR_URL_B": manual_devnet.urls[B]}
    done = subprocess.run(["node", str(script)], cwd=tools.root, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("message", "erc20", "eth"):
        assert out[name] == {"sendStatus": "success", "messages": 1, "destination": B, "before": "ready-to-relay",
                             "relayStatus": "success", "after": "relayed"}, (name, out)
    assert out["afterMessage"] == "7"
    assert out["afterErc20"] == "1007"
    # the relayer paid the relay's gas out of what it received
    assert 0 < 10**18 - int(out["ethDelta"]) < 10**16
