"""Shared helpers of the sequencer tests: a real devnet server in a thread, a real CLI
subprocess, a keep-alive JSON-RPC client, and transaction signing with eth-account.

Nothing here fakes the devnet: servers are ``xrollup.devnet.Devnet`` (HTTP/WebSocket on
real ports) or the ``xrollup`` console script; clients speak JSON-RPC over TCP.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from bridge_contracts import load_artifact
from chains.genesis import dev_accounts
from tests.support import Rpc as BaseRpc
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
XROLLUP = str(VENV_BIN / "xrollup") if (VENV_BIN / "xrollup").exists() else None

ACCOUNTS = dev_accounts()
KEYS = [a.private_key for a in ACCOUNTS]
ADDRS = [a.checksum_address for a in ACCOUNTS]
GWEI = 10**9
ETH = 10**18

COUNTER = load_artifact("Counter")
COUNTER_RUNTIME = bytes.fromhex(COUNTER["deployedBytecode"][2:])


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


INCREMENT = "0x" + selector("increment()").hex()
NUMBER = "0x" + selector("number()").hex()
FAIL_WITH_REASON = "0x" + selector("failWithReason()").hex()


def counter_deploy_data(initial: int = 0) -> str:
    return COUNTER["bytecode"] + abi_encode(["uint256"], [initial]).hex()


def contract_address(sender: str, nonce: int) -> str:
    import rlp

    return "0x" + keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:].hex()


# -- signing --------------------------------------------------------------------------------


def sign(chain_id: int, key_index: int, nonce: int, *, to: str | None = None, value: int = 0, data: str = "0x",
         gas: int = 21_000, tip: int = GWEI, fee_cap: int | None = None) -> tuple[str, str]:
    """A signed EIP-1559 transaction. Returns (raw hex, tx hash hex)."""
    tx: dict[str, Any] = {
        "chainId": chain_id, "nonce": nonce, "gas": gas, "value": value, "data": data,
        "maxPriorityFeePerGas": tip, "maxFeePerGas": fee_cap if fee_cap is not None else 10 * GWEI + tip,
        "type": 2,
    }
    if to is not None:
        tx["to"] = to_checksum_address(to)
    signed = Account.sign_transaction(tx, KEYS[key_index])
    return "0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()


def transfer(chain_id: int, key_index: int, nonce: int, to_index: int = 9, value: int = 1, **kw: Any) -> tuple[str, str]:
    return sign(chain_id, key_index, nonce, to=ADDRS[to_index], value=value, **kw)


# -- JSON-RPC client --------------------------------------------------------------------------


class Rpc(BaseRpc):
    """The suite's JSON-RPC client, with a few conveniences."""

    # conveniences
    def height(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def nonce(self, address: str, tag: str = "latest") -> int:
        return int(self.call("eth_getTransactionCount", address, tag), 16)

    def balance(self, address: str, tag: str = "latest") -> int:
        return int(self.call("eth_getBalance", address, tag), 16)

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return self.call("eth_getTransactionReceipt", tx_hash)

    def counter(self, address: str, block: str | int = "latest") -> int:
        tag = hex(block) if isinstance(block, int) else block
        return int(self.call("eth_call", {"to": address, "data": NUMBER}, tag), 16)

    def superblock_height(self) -> int:
        return int(self.call("xr_blockNumber"), 16)

    def superblock_of(self, receipt: dict[str, Any]) -> int:
        """The number of the superblock that holds ``receipt``'s block (of this endpoint's chain)."""
        return int(self.call("xr_getSuperblockOfBlock", receipt["blockNumber"], False)["number"], 16)


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02, what: str = "condition") -> Any:
    """Poll until ``predicate`` returns something truthy; bounded, no timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# -- an in-process devnet server on its own event-loop thread -----------------------------------


class DevnetServer(DevnetThread):
    """``Devnet(DevnetConfig(...))`` serving HTTP/WebSocket on free ports, in a thread; the
    clients it hands out are closed when it stops."""

    def __init__(self, **config: Any) -> None:
        config.setdefault("chain_ids", (901, 902))
        config.setdefault("silent", True)
        config.setdefault("port", 0)
        super().__init__(DevnetConfig(**config), name="devnet")
        self.clients: list[Rpc] = []

    def rpc(self, chain_id: int) -> Rpc:
        client = Rpc(self.urls[chain_id])
        self.clients.append(client)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        super().stop()


# -- the xrollup CLI in a subprocess ------------------------------------------------------------


def free_port_block(count: int) -> int:
    """A first port P such that P..P+count-1 are free now (best effort)."""
    import socket

    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count >= 65535:
            continue
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port block")


def xrollup_cmd(*args: str) -> list[str]:
    if XROLLUP is not None:
        return [XROLLUP, *args]
    return [sys.executable, "-m", "xrollup.cli", *args]


class PortTaken(RuntimeError):
    """The CLI could not listen: a port of the block was taken after it was found free."""


class CliDevnet:
    """``xrollup --chains ... --port P [flags]`` as a subprocess; waits until every chain answers."""

    def __init__(self, *flags: str, chains: tuple[int, ...] = (901, 902), state_dir: str | Path | None = None,
                 startup_timeout: float = 60) -> None:
        self.chains = chains
        for attempt in range(3):  # free_port_block is best effort: another process may take a port first
            self.port = free_port_block(len(chains))
            args = ["--chains", ",".join(map(str, chains)), "--port", str(self.port), "--admin.port", "0", "--l1.port", "0", "--silent",
                    *flags]
            if state_dir is not None:
                args += ["--state-dir", str(state_dir)]
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            self.proc = subprocess.Popen(xrollup_cmd(*args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
            self.urls = {cid: f"http://127.0.0.1:{self.port + i}" for i, cid in enumerate(chains)}
            try:
                self._wait_ready(startup_timeout)
                return
            except PortTaken:
                if attempt == 2:
                    raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for url in self.urls.values():
            client = Rpc(url, timeout=2)
            while True:
                if self.proc.poll() is not None:
                    out, err = self.proc.communicate()
                    kind = PortTaken if "address already in use" in err else RuntimeError
                    raise kind(f"xrollup exited with {self.proc.returncode}: {err[-3000:]}")
                try:
                    client.call("eth_chainId")
                    break
                except (OSError, http.client.HTTPException):
                    client.close()
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"xrollup did not answer on {url}") from None
                    time.sleep(0.05)
            client.close()

    def rpc(self, chain_id: int) -> Rpc:
        return Rpc(self.urls[chain_id])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()

    def __enter__(self) -> CliDevnet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill(signal.SIGTERM)


def run_replay(state_dir: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(xrollup_cmd("replay", str(state_dir)), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def hex_int(value: str) -> int:
    return int(value, 16)
