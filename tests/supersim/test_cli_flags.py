"""supersim's flags on the real command line: the admin API on --admin.port, per-chain logs in
--logs.directory (with supersim's SentMessage line), and --interop.autorelay=false."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak

from tests.sequencer.seq_helpers import CliDevnet, free_port_block
from tests.support import Rpc

DEV = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
MESSENGER = "0x4200000000000000000000000000000000000023"


def test_admin_port_logs_directory_and_autorelay_off(tmp_path: Path) -> None:
    admin_port = free_port_block(1)
    logs = tmp_path / "logs"
    flags = ("--admin.port", str(admin_port), "--logs.directory", str(logs), "--interop.autorelay=false")
    with CliDevnet(*flags) as cli:
        admin_url = f"http://127.0.0.1:{admin_port}"
        with urllib.request.urlopen(f"{admin_url}/ready", timeout=10) as resp:
            assert resp.read() == b"OK"
        with Rpc(admin_url) as admin:
            cfg = admin.call("admin_getConfig")
        assert (cfg["L2StartingPort"], cfg["InteropAutoRelay"], cfg["InteropDelay"]) == (cli.port, False, 0)
        assert [c["Port"] for c in cfg["L2Configs"]] == [cli.port, cli.port + 1]
        assert {c["LogsDirectory"] for c in cfg["L2Configs"]} == {str(logs)}

        data = keccak(b"sendMessage(uint256,address,bytes)")[:4] + encode(["uint256", "address", "bytes"],
                                                                          [902, DEV, b"\x42"])
        with cli.rpc(901) as a, cli.rpc(902) as b:
            tx_hash = a.call("eth_sendTransaction", {"from": DEV, "to": MESSENGER, "data": "0x" + data.hex()})
            assert a.call("eth_getTransactionReceipt", tx_hash)["status"] == "0x1"
            a.call("evm_mine")
            head = int(b.call("eth_blockNumber"), 16)
            assert all(not b.call("eth_getBlockByNumber", hex(n), False)["transactions"] for n in range(head + 1))

        deadline = time.monotonic() + 10
        text = ""
        while "SentMessage" not in text and time.monotonic() < deadline:
            text = (logs / "anvil-901.log").read_text() if (logs / "anvil-901.log").exists() else ""
            time.sleep(0.1)
        assert "901: eth_sendTransaction" in text
        [line] = [ln for ln in text.splitlines() if "L2ToL2CrossChainMessenger#SentMessage" in ln]
        assert re.search(rf"sourceChainID=901 destinationChainID=902 nonce=0 sender=0x{DEV[2:]} "
                         rf"target=0x{DEV[2:]} msgHash=0x[0-9a-f]{{64}} txHash={tx_hash}", line), line
        assert "eth_sendTransaction" not in (logs / "anvil-902.log").read_text()
