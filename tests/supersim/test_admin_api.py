"""supersim's admin API and flags against a real devnet: admin_* on the admin port with
supersim's answer shapes, --interop.autorelay=false (a message waits for a user's relay, built
from the admin API's access list) and --interop.delay (the relay waits that many seconds)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from backend.admin import message_hash
from shared_sequencer.interop import CROSS_L2_INBOX, Identifier, storage_keys
from tests.support import Rpc, served
from tests.xrollup_calls.xcall_helpers import (
    A0,
    A1,
    GWEI,
    K0,
    K1,
    MESSENGER,
    RELAYED_MESSAGE_TOPIC,
    SENT_MESSAGE_TOPIC,
    SEQUENCER,
    Net,
    logs_with,
)
from xrollup.cli import config_from_args, parser
from xrollup.testing import DevnetThread

A, B = 901, 902
INBOX = "0x" + CROSS_L2_INBOX.hex()


@pytest.fixture(scope="module")
def manual() -> Iterator[DevnetThread]:
    """Auto-relay off, admin API on a free port."""
    with served((A, B), admin_port=0, autorelay=False) as server:
        yield server


@pytest.fixture(scope="module")
def admin(manual: DevnetThread) -> Iterator[Rpc]:
    assert manual.devnet.admin_url is not None
    with Rpc(manual.devnet.admin_url) as rpc:
        yield rpc


def send_message(net: Net, payload: bytes) -> dict[str, Any]:
    receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", B, A1, payload)
    assert receipt["status"] == "0x1"
    [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
    return sent


def relays_to(net: Net, cid: int) -> int:
    """The sequencer's relay transactions on ``cid``, in every block so far."""
    head = int(net.rpc(cid, "eth_blockNumber"), 16)
    return sum(1 for n in range(head + 1) for tx in net.block(cid, n)["transactions"]
               if tx["from"].lower() == SEQUENCER.lower())


def test_ready_and_get_config(manual: DevnetThread, admin: Rpc) -> None:
    with urllib.request.urlopen(f"{manual.devnet.admin_url}/ready", timeout=10) as resp:
        assert (resp.status, resp.read()) == (200, b"OK")
    cfg = admin.call("admin_getConfig")
    assert cfg["InteropEnabled"] is True
    assert cfg["InteropAutoRelay"] is False
    assert cfg["InteropDelay"] == 0
    assert cfg["L1Config"] is None
    ports = {cid: int(url.rsplit(":", 1)[1]) for cid, url in manual.urls.items()}
    assert [(c["Name"], c["ChainID"], c["Port"], c["Host"]) for c in cfg["L2Configs"]] == [
        ("OPChainA", A, ports[A], "127.0.0.1"), ("OPChainB", B, ports[B], "127.0.0.1")]
    assert [c["L2Config"]["DependencySet"] for c in cfg["L2Configs"]] == [[B], [A]]
    secrets = cfg["L2Configs"][0]["SecretsConfig"]
    assert secrets == {"Accounts": 10, "Mnemonic": "test test test test test test test test test test test junk",
                       "DerivationPath": "m/44'/60'/0'/0"}
    assert cfg["L2Configs"][0]["StartingTimestamp"] == manual.devnet.config.genesis_timestamp


def test_l1_addresses_and_bad_input(admin: Rpc) -> None:
    err = admin.error("admin_getL1Addresses", 999)
    assert (err.code, err.message) == (-32602, "unknown chain id 999")
    err = admin.error("admin_getL1Addresses", A)
    assert err.code == -32000
    assert err.message == f"chain {A} has no L1 deployments: this devnet runs without an L1 (--no-l1)"
    err = admin.error("admin_getL2ToL2MessageByMsgHash", "0x" + "00" * 32)
    assert err.code == -32602 and "Valid msg hash not provided" in err.message
    err = admin.error("admin_getL2ToL2MessageByMsgHash", "0x" + "ab" * 32)
    assert err.code == -32602
    assert err.message == f"Failed to get message: no message with hash 0x{'ab' * 32} was sent on this devnet"
    err = admin.error("admin_getAccessListForIdentifier", {"origin": MESSENGER, "blockNumber": "0x1"})
    assert err.code == -32602 and "all identifier fields and payload are required" in err.message


def test_manual_relay_with_the_admin_access_list(manual: DevnetThread, admin: Rpc) -> None:
    net = Net(manual.urls)
    relays_before = relays_to(net, B)
    sent = send_message(net, b"\x12\x34")
    n = int(sent["blockNumber"], 16)
    net.rpc(A, "evm_mine")
    assert relays_to(net, B) == relays_before  # auto-relay is off: nothing relayed

    nonce = int(sent["topics"][3], 16)
    msg_hash = message_hash(B, A, nonce, bytes.fromhex(A0[2:]), bytes.fromhex(A1[2:]), b"\x12\x34")
    h = "0x" + msg_hash.hex()
    assert admin.call("admin_getL2ToL2MessageByMsgHash", h) == {
        "Destination": B, "Source": A, "Nonce": nonce, "Sender": A0.lower(), "Target": A1.lower(), "Message": "0x1234"}

    block = net.block(A, n, full=False)
    ident = Identifier(bytes.fromhex(MESSENGER[2:]), n, int(sent["logIndex"], 16), int(block["timestamp"], 16), A)
    payload = b"".join(bytes.fromhex(t[2:]) for t in sent["topics"]) + bytes.fromhex(sent["data"][2:])
    expected = {"accessList": [{"address": INBOX, "storageKeys": ["0x" + k.hex() for k in storage_keys(ident, payload)]}]}
    assert admin.call("admin_getAccessListByMsgHash", h) == expected
    by_identifier = {"origin": MESSENGER, "blockNumber": hex(n), "logIndex": sent["logIndex"],
                     "timestamp": str(int(block["timestamp"], 16)), "chainId": A, "payload": "0x" + payload.hex()}
    assert admin.call("admin_getAccessListForIdentifier", by_identifier) == expected

    # A user relays it with that access list; it is delivered once, with OP's message hash.
    access = [{"address": to_checksum_address(e["address"]), "storageKeys": e["storageKeys"]}
              for e in expected["accessList"]]
    data = net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), payload)
    tx = {"chainId": B, "nonce": net.nonce(B, A1), "gas": 500_000, "maxFeePerGas": 50 * GWEI,
          "maxPriorityFeePerGas": GWEI, "to": to_checksum_address(MESSENGER), "value": 0,
          "data": "0x" + data.hex(), "type": 2, "accessList": access}
    raw = "0x" + bytes(Account.sign_transaction(tx, K1).raw_transaction).hex()
    receipt = net.receipt(B, net.rpc(B, "eth_sendRawTransaction", [raw]))
    assert receipt["status"] == "0x1"
    [relayed] = logs_with(receipt, MESSENGER, RELAYED_MESSAGE_TOPIC)
    assert relayed["topics"][3] == h
    assert net.view(B, "L2ToL2CrossDomainMessenger", MESSENGER, "successfulMessages", msg_hash) is True
    assert relays_to(net, B) == relays_before


def test_interop_delay_holds_the_relay() -> None:
    with served((A, B), autorelay=True, relay_delay=4) as server:  # long enough for a loaded machine to look first
        net = Net(server.urls)
        sent = send_message(net, b"\x99")
        sent_at = int(net.block(A, int(sent["blockNumber"], 16), full=False)["timestamp"], 16)
        assert relays_to(net, B) == 0  # not yet: the delay has not passed
        deadline = time.monotonic() + 20
        while relays_to(net, B) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        [relay_block] = [n for n in range(int(net.rpc(B, "eth_blockNumber"), 16) + 1)
                         if any(tx["from"].lower() == SEQUENCER.lower() for tx in net.block(B, n)["transactions"])]
        block = net.block(B, relay_block)
        assert int(block["timestamp"], 16) >= sent_at + 4
        receipt = net.receipt(B, block["transactions"][0]["hash"])
        assert receipt["status"] == "0x1"
        assert logs_with(receipt, MESSENGER, RELAYED_MESSAGE_TOPIC)


def test_supersim_flag_names() -> None:
    args = parser().parse_args(["--l2.starting.port", "9600", "--admin.port", "0", "--interop.autorelay=false",
                                "--interop.delay", "5", "--logs.directory", "/tmp/x"])
    cfg = config_from_args(args)
    assert (cfg.port, cfg.admin_port, cfg.autorelay, cfg.relay_delay, cfg.logs_directory) == (9600, 0, False, 5, "/tmp/x")
    defaults = config_from_args(parser().parse_args([]))
    assert (defaults.port, defaults.admin_port, defaults.autorelay, defaults.relay_delay) == (9545, 8420, True, 0)
    assert config_from_args(parser().parse_args(["--interop.autorelay"])).autorelay is True
    with pytest.raises(SystemExit):
        parser().parse_args(["--interop.delay", "-1"])


def test_dependency_set() -> None:
    """--dependency.set '[901,902]' on 901, 902, 903: 903 accepts no message, 901 and 902 each other's."""
    with served((A, B, 903), admin_port=0, dependency_set=(A, B)) as server:
        net = Net(server.urls)
        assert server.devnet.admin_url is not None
        with Rpc(server.devnet.admin_url) as admin:
            cfg = admin.call("admin_getConfig")
        assert [c["L2Config"]["DependencySet"] for c in cfg["L2Configs"]] == [[B], [A], []]

        to_b = send_message(net, b"\x01")
        assert relays_to(net, B) == 1  # 902 accepts 901's messages: auto-relayed
        receipt = net.tx(A, K0, "L2ToL2CrossDomainMessenger", MESSENGER, "sendMessage", 903, A1, b"\x02")
        [sent] = logs_with(receipt, MESSENGER, SENT_MESSAGE_TOPIC)
        assert relays_to(net, 903) == 0  # 903 does not: not relayed
        assert to_b["topics"][1] != sent["topics"][1]

        # ... and a user's relay there is refused at submission, saying why.
        n = int(sent["blockNumber"], 16)
        block = net.block(A, n, full=False)
        ident = Identifier(bytes.fromhex(MESSENGER[2:]), n, int(sent["logIndex"], 16), int(block["timestamp"], 16), A)
        payload = b"".join(bytes.fromhex(t[2:]) for t in sent["topics"]) + bytes.fromhex(sent["data"][2:])
        data = net.calldata("L2ToL2CrossDomainMessenger", "relayMessage", ident.as_abi(), payload)
        access = [{"address": to_checksum_address(INBOX), "storageKeys": ["0x" + k.hex() for k in storage_keys(ident, payload)]}]
        tx = {"chainId": 903, "nonce": 0, "gas": 500_000, "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI,
              "to": to_checksum_address(MESSENGER), "value": 0, "data": "0x" + data.hex(), "type": 2, "accessList": access}
        raw = "0x" + bytes(Account.sign_transaction(tx, K1).raw_transaction).hex()
        err = net.rpc_error(903, "eth_sendRawTransaction", [raw])
        assert (err.code, err.message) == (
            -32003, f"invalid executing message: chain {A} is not in chain 903's dependency set []")


def test_dependency_set_flag() -> None:
    parse = parser().parse_args
    assert config_from_args(parse(["--dependency.set", "[901, 902]"])).dependency_set == (A, B)
    assert config_from_args(parse(["--dependency.set", "[]"])).dependency_set == ()
    assert config_from_args(parse([])).dependency_set is None
    with pytest.raises(SystemExit):
        parse(["--dependency.set", "901,902"])
    with pytest.raises(ValueError, match="at least 2 chains"):
        config_from_args(parse(["--dependency.set", "[901]"]))
    with pytest.raises(ValueError, match="chain ID 903 in dependency set is not running locally"):
        config_from_args(parse(["--dependency.set", "[901,903]"]))
