"""The peers of ``scripts/bench_rpc.py`` as sessions, and a round that times them side by side.

A session is one peer started (its start-up timed), with a Counter deployed, warmed up and its
timed transfers signed: xrollup's two-chain devnet and anvil over JSON-RPC (``HttpSession``),
eth-tester's ``PyEVMBackend`` in this process (``EthTesterSession``). ``run_round`` takes the
sessions' timed transfers and calls in turns, then checks every answer.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from _bench_common import DEV_KEY_0, RpcClient, ServerProcess, anvil_node, xrollup_devnet
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from bench.workload import (
    NUMBER_CALLDATA,
    TRANSFER_TO,
    TRANSFER_VALUE,
    BenchError,
    Round,
    check_calls,
    check_hashes,
    dev_transfer,
    make_round,
    sign_counter_deploy,
    sign_transfers,
    timed,
    with_dev_transfers,
)

XROLLUP_CHAINS = (901, 902)
ETH_TESTER_CHAIN_ID = 131277322940537
ANVIL_CHAIN_ID = 31337

COLD_ETH_TESTER = (
    "from eth_tester import EthereumTester, PyEVMBackend\n"
    "from web3 import EthereumTesterProvider, Web3\n"
    "print(Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend()))).eth.chain_id)\n"
)


# --------------------------------------------------------------------------- peers


class Session(ABC):
    """One peer, started, with a Counter deployed, warmed up and its timed transfers signed.

    A round interleaves the peers' sessions in chunks (``timed_chunks``), so each peer's
    figure averages over the same minutes of this machine's speed, which can swing 2x within
    a run on a shared host; one peer's whole run after another's would compare two phases.
    """

    name: str
    startup_s: float
    raws: list[str]
    reconnects = 0
    has_dev_path = False  # answers eth_sendTransaction for a dev account (send_dev)

    def send_dev(self, _: str) -> Any:
        """Send one transfer from a dev account through eth_sendTransaction; returns its hash
        once it is mined."""
        raise NotImplementedError(f"{self.name} has no eth_sendTransaction path")

    def verify_dev(self, hashes: Sequence[Any]) -> None:
        """Check that every timed dev-account transfer was mined and succeeded. Raises BenchError."""
        raise NotImplementedError(f"{self.name} has no eth_sendTransaction path")

    @abstractmethod
    def send(self, raw: str) -> Any:
        """Send one pre-signed transfer; returns its hash once it is mined."""

    @abstractmethod
    def call(self, _: str) -> Any:
        """One eth_call of Counter.number()."""

    @abstractmethod
    def verify(self, hashes: Sequence[Any]) -> int:
        """Check that every timed transfer was mined and succeeded; returns the blocks mined
        during the timed transfers. Raises BenchError."""

    def close(self) -> None:  # noqa: B027 - most sessions hold nothing to release
        """Release what the session holds (its connection)."""

    def warm_up(self, key: str, chain_id: int, nonce: int, warmups: tuple[int, int], n_transfers: int,
                base_fee: Callable[[], int]) -> int:
        """Untimed transfers and calls, then the timed transfers signed (``self.raws``) for
        the base fee by then; returns the first timed nonce."""
        for raw in sign_transfers(key, chain_id, nonce, warmups[0], base_fee()):
            self.send(raw)
        for _ in range(warmups[1]):
            self.call("")
        nonce += warmups[0]
        self.raws = sign_transfers(key, chain_id, nonce, n_transfers, base_fee())
        return nonce


def wait_receipt(rpc: RpcClient, h: str, timeout: float = 30.0, pause: float = 0.0) -> dict[str, Any]:
    """Poll ``eth_getTransactionReceipt`` until the transaction is mined."""
    deadline = time.perf_counter() + timeout
    while True:
        receipt = rpc.call("eth_getTransactionReceipt", [h])
        if receipt:
            return dict(receipt)
        if time.perf_counter() > deadline:
            raise BenchError(f"{rpc.url}: transaction {h} not mined after {timeout}s")
        if pause:
            time.sleep(pause)


class HttpSession(Session):
    """A peer's JSON-RPC endpoint over one keep-alive HTTP connection (xrollup or anvil).

    ``confirm``: the peer answers ``eth_sendRawTransaction`` before mining (anvil's automine is
    asynchronous), so each timed transfer also polls for its receipt, to time the same thing:
    a transfer sent and mined.
    """

    def __init__(self, name: str, server: ServerProcess, chain_id: int, n_transfers: int,
                 warmup_transfers: int, warmup_calls: int, confirm: bool = False) -> None:
        self.name, self.startup_s, self.confirm = name, server.startup_s, confirm
        self.rpc = rpc = RpcClient(server.urls[0])
        key = DEV_KEY_0
        sender = Account.from_key(key).address
        got_chain = int(rpc.call("eth_chainId"), 16)
        if got_chain != chain_id:
            raise BenchError(f"{name}: {rpc.url} answers chain id {got_chain}, expected {chain_id}")
        nonce = int(rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
        base_fee = int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)

        deploy = sign_counter_deploy(key, chain_id, nonce, base_fee)
        receipt = wait_receipt(rpc, rpc.call("eth_sendRawTransaction", [deploy]), pause=0.005)
        if int(receipt["status"], 16) != 1 or not receipt.get("contractAddress"):
            raise BenchError(f"{name}: deploying Counter failed: {receipt}")
        self.counter = {"to": receipt["contractAddress"], "data": NUMBER_CALLDATA}
        self.warm_up(key, chain_id, nonce + 1, (warmup_transfers, warmup_calls), n_transfers,
                     lambda: int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16))
        self.first_block = int(rpc.call("eth_blockNumber"), 16)
        self.reconnects_before = rpc.reconnects
        self.dev_tx = dev_transfer(sender)
        self.has_dev_path = True

    def send(self, raw: str) -> Any:
        h = self.rpc.call("eth_sendRawTransaction", [raw])
        if self.confirm:
            wait_receipt(self.rpc, h)
        return h

    def send_dev(self, _: str) -> Any:
        h = self.rpc.call("eth_sendTransaction", [self.dev_tx])
        if self.confirm:
            wait_receipt(self.rpc, h)
        return h

    def verify_dev(self, hashes: Sequence[Any]) -> None:
        if len(set(hashes)) != len(hashes):
            raise BenchError(f"{self.name}: eth_sendTransaction returned a hash twice")
        for h in hashes:
            r = wait_receipt(self.rpc, h, pause=0.005)
            if int(r["status"], 16) != 1 or r["from"].lower() != self.dev_tx["from"].lower():
                raise BenchError(f"{self.name}: dev transfer {h} has no successful receipt from the dev account: {r}")

    def call(self, _: str) -> Any:
        return self.rpc.call("eth_call", [self.counter, "latest"])

    def verify(self, hashes: Sequence[Any]) -> int:
        self.reconnects = self.rpc.reconnects - self.reconnects_before
        blocks = int(self.rpc.call("eth_blockNumber"), 16) - self.first_block
        check_hashes(self.name, self.raws, hashes)
        for h in hashes:
            r = wait_receipt(self.rpc, h, pause=0.005)
            if int(r["status"], 16) != 1:
                raise BenchError(f"{self.name}: transfer {h} has no successful receipt: {r}")
        return blocks

    def close(self) -> None:
        self.rpc.close()


# --------------------------------------------------------------------------- eth-tester in-process


def cold_eth_tester_startup() -> float:
    """Spawn-to-answer of eth-tester in a fresh interpreter (imports included, like a spawned server)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", COLD_ETH_TESTER], capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if out.returncode != 0 or int(out.stdout.strip() or 0) != ETH_TESTER_CHAIN_ID:
        raise BenchError(f"eth-tester in a fresh interpreter failed: {out.stderr[-500:]}")
    return elapsed


class EthTesterSession(Session):
    """eth-tester's PyEVMBackend in this process: transfers through ``send_raw_transaction``,
    calls through Web3(EthereumTesterProvider)."""

    name = "eth-tester"

    def __init__(self, n_transfers: int, warmup_transfers: int, warmup_calls: int) -> None:
        started = time.perf_counter()
        self.tester = tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(tester))
        chain_id = self.w3.eth.chain_id
        self.startup_s = time.perf_counter() - started
        if chain_id != ETH_TESTER_CHAIN_ID or tester.backend.chain.chain_id != ETH_TESTER_CHAIN_ID:
            raise BenchError(f"eth-tester chain id {chain_id}, expected {ETH_TESTER_CHAIN_ID}")

        key = tester.backend.account_keys[0].to_hex()
        self.sender = Account.from_key(key).address
        nonce = tester.get_nonce(self.sender)
        base_fee = tester.get_block_by_number("latest")["base_fee_per_gas"]
        deploy = sign_counter_deploy(key, ETH_TESTER_CHAIN_ID, nonce, base_fee)
        receipt = tester.get_transaction_receipt(tester.send_raw_transaction(deploy))
        if receipt["status"] != 1 or not receipt["contract_address"]:
            raise BenchError(f"eth-tester: deploying Counter failed: {receipt}")
        self.counter = {"to": Web3.to_checksum_address(receipt["contract_address"]), "data": NUMBER_CALLDATA}
        self.first_nonce = self.warm_up(key, ETH_TESTER_CHAIN_ID, nonce + 1, (warmup_transfers, warmup_calls),
                                        n_transfers, lambda: int(tester.get_block_by_number("latest")["base_fee_per_gas"]))
        self.first_block = tester.get_block_by_number("latest")["number"]
        self.paid_before = tester.get_balance(TRANSFER_TO)

    def send(self, raw: str) -> Any:
        return self.tester.send_raw_transaction(raw)

    def call(self, _: str) -> Any:
        return self.w3.eth.call(self.counter)  # type: ignore[arg-type]

    def verify(self, hashes: Sequence[Any]) -> int:
        tester, n = self.tester, len(self.raws)
        last_block = tester.get_block_by_number("latest")["number"]
        check_hashes(self.name, self.raws, hashes)
        # eth-tester finds a receipt by scanning every block (quadratic over the run), so check the
        # same thing in one pass: every transfer is in a mined block, the nonce moved on and all the
        # ETH arrived.
        mined = {h for b in range(self.first_block + 1, last_block + 1)
                 for h in tester.get_block_by_number(b)["transactions"]}
        missing = [h for h in hashes if h not in mined]
        if missing:
            raise BenchError(f"eth-tester: {len(missing)} transfers not mined, e.g. {missing[0]}")
        if tester.get_nonce(self.sender) != self.first_nonce + n:
            raise BenchError(f"eth-tester: sender nonce {tester.get_nonce(self.sender)}, expected {self.first_nonce + n}")
        if tester.get_balance(TRANSFER_TO) - self.paid_before != n * TRANSFER_VALUE:
            raise BenchError("eth-tester: the recipient did not receive every transfer")
        return int(last_block - self.first_block)


# --------------------------------------------------------------------------- a round


def timed_chunks(sessions: Sequence[Session], work: Callable[[Session], tuple[Callable[[str], Any], list[str]]],
                 chunk: int) -> dict[str, tuple[float, list[float], list[Any]]]:
    """Run each session's work (a function and its arguments) in turns of ``chunk`` calls,
    the order rotating every turn: (elapsed seconds, per-call latencies, results) per peer."""
    jobs = {s.name: work(s) for s in sessions}
    out: dict[str, tuple[float, list[float], list[Any]]] = {s.name: (0.0, [], []) for s in sessions}
    longest = max(len(args) for _, args in jobs.values())
    for turn, start in enumerate(range(0, longest, chunk)):
        k = turn % len(sessions)
        for session in [*sessions[k:], *sessions[:k]]:
            fn, args = jobs[session.name]
            elapsed, latencies, results = timed(fn, args[start:start + chunk])
            total, all_latencies, all_results = out[session.name]
            out[session.name] = (total + elapsed, all_latencies + latencies, all_results + results)
    return out


def run_round(sessions: Sequence[Session], n_calls: int, chunk: int) -> dict[str, Round]:
    """The timed transfers, then the timed calls, then the timed dev-account transfers
    (eth_sendTransaction, the peers that have it) of every session, interleaved; then the checks."""
    transfers = timed_chunks(sessions, lambda s: (s.send, s.raws), chunk)
    calls = timed_chunks(sessions, lambda s: (s.call, [""] * n_calls), 2 * chunk)
    dev_sessions = [s for s in sessions if s.has_dev_path]
    dev = timed_chunks(dev_sessions, lambda s: (s.send_dev, [""] * len(s.raws)), chunk) if dev_sessions else {}
    rounds = {}
    for s in sessions:
        blocks = s.verify(transfers[s.name][2])
        check_calls(s.name, calls[s.name][2])
        round_ = make_round(s.startup_s, transfers[s.name][:2], calls[s.name][:2], blocks, s.reconnects)
        if s.name in dev:
            s.verify_dev(dev[s.name][2])
        rounds[s.name] = with_dev_transfers(round_, dev[s.name][:2] if s.name in dev else None)
    return rounds


# --------------------------------------------------------------------------- starting a peer


def open_session(name: str, stack: contextlib.ExitStack, n_transfers: int, warmups: tuple[int, int],
                 anvil_exe: str | None = None) -> Session:
    """Start the peer ``name`` ("xrollup", "anvil" or "eth-tester"; its start-up timed) and prepare
    it; ``stack`` stops it. Raises ServerStartError or OSError (it did not start), BenchError (it
    answered wrongly)."""
    session: Session
    if name == "xrollup":
        server = stack.enter_context(xrollup_devnet(XROLLUP_CHAINS))
        if server.chain_ids != list(XROLLUP_CHAINS):
            raise BenchError(f"xrollup answered chain ids {server.chain_ids}, expected {list(XROLLUP_CHAINS)}")
        session = HttpSession(name, server, XROLLUP_CHAINS[0], n_transfers, *warmups)
    elif name == "anvil":
        if anvil_exe is None:
            raise ValueError("the anvil peer needs anvil_exe")
        server = stack.enter_context(anvil_node(anvil_exe))
        session = HttpSession(name, server, ANVIL_CHAIN_ID, n_transfers, *warmups, confirm=True)
    else:
        session = EthTesterSession(n_transfers, *warmups)
    stack.callback(session.close)
    return session
