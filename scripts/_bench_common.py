"""Shared helpers for the benchmark scripts under ``scripts/``.

* starting a JSON-RPC server subprocess (an xrollup devnet, anvil...) on free ports and
  timing it from spawn to its first answer on every endpoint;
* a raw JSON-RPC client over one persistent (keep-alive) ``http.client`` connection;
* finding, or installing through npm, foundry's ``anvil`` for comparison;
* median / percentile helpers and plain-text table printing;
* the dev accounts, pre-signed transfers and a concurrent-clients run for the xrollup benchmarks.

Benchmark scripts run as ``python scripts/bench_x.py`` (and ``scripts/bench/``, the pieces of
``bench_rpc.py``) import this as ``_bench_common``; tests import it as ``scripts._bench_common``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ANVIL_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xrollup-bench"

# The first dev account of the default "test test ... junk" mnemonic (xrollup and anvil both fund it).
DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_MNEMONIC = "test test test test test test test test test test test junk"
GWEI = 10**9


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0..100) of ``values``, linearly interpolated between ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --------------------------------------------------------------------------- tables


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A plain-text table. ``align`` has one letter per column: ``l`` (left) or ``r`` (right)."""
    columns = len(headers)
    if any(len(row) != columns for row in rows):
        raise ValueError("every row needs one cell per header")
    align = align or "l" + "r" * (columns - 1)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        out = [str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(cells, widths, align, strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> None:
    print(format_table(headers, rows, align), flush=True)


# --------------------------------------------------------------------------- JSON-RPC over HTTP


class RpcError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.code: int = int(error.get("code", 0))
        self.rpc_message: str = str(error.get("message", ""))
        self.data: Any = error.get("data")
        super().__init__(f"{method}: [{self.code}] {self.rpc_message}")


_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class RpcClient:
    """JSON-RPC 2.0 over one persistent HTTP/1.1 connection.

    ``reconnects`` counts the connections opened after the first one, so a benchmark can tell
    whether the server kept the connection alive.
    """

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"expected an http:// URL, got {url!r}")
        self.url = url
        self.host: str = parsed.hostname
        self.port: int = parsed.port or 80
        self.path: str = parsed.path or "/"
        self.timeout = timeout
        self.reconnects = 0
        self._conn: http.client.HTTPConnection | None = None
        self._ids = 0
        self._headers = {"Content-Type": "application/json", "Connection": "keep-alive"}

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """The open connection and whether it is reused (a reused one may have been closed by the peer)."""
        if self._conn is not None:
            return self._conn, True
        if self._ids:
            self.reconnects += 1
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.connect()
        self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._conn, False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, body: bytes) -> bytes:
        for attempt in (0, 1):
            conn, reused = self._connection()
            try:
                conn.request("POST", self.path, body, self._headers)
                response = conn.getresponse()
                data = response.read()
            except _RETRYABLE:
                # The server closed an idle keep-alive connection before reading this request:
                # open a new one and send again. Never retried on a fresh connection.
                self.close()
                if attempt or not reused:
                    raise
                continue
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            if response.status != 200:
                raise RuntimeError(f"{self.url}: HTTP {response.status}: {data[:200]!r}")
            return data
        raise AssertionError("unreachable")

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Send one request and return its ``result``; raise ``RpcError`` on an error answer."""
        self._ids += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}).encode()
        answer = json.loads(self._post(body))
        if "error" in answer and answer["error"] is not None:
            raise RpcError(method, answer["error"])
        return answer["result"]


def try_chain_id(url: str, timeout: float = 2.0) -> int | None:
    """``eth_chainId`` of ``url`` over a fresh connection, or None when it does not answer yet."""
    client = RpcClient(url, timeout=timeout)
    try:
        return int(client.call("eth_chainId"), 16)
    except (OSError, http.client.HTTPException, RpcError, ValueError, RuntimeError):
        return None
    finally:
        client.close()


# --------------------------------------------------------------------------- ports and processes


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_ports(count: int = 1, host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A port P such that P, P+1, ..., P+count-1 are all free on ``host`` right now."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            first = int(sock.getsockname()[1])
        if first + count - 1 > 65535:
            continue
        if all(_port_free(host, first + i) for i in range(count)):
            return first
    raise RuntimeError(f"found no {count} consecutive free ports on {host}")


class ServerStartError(RuntimeError):
    pass


@dataclass
class ServerProcess:
    """A JSON-RPC server subprocess, timed from spawn to the first ``eth_chainId`` answer on every URL."""

    argv: list[str]
    urls: list[str]
    startup_s: float = math.nan
    chain_ids: list[int] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self, timeout: float = 60.0, poll_interval: float = 0.01, env: dict[str, str] | None = None) -> None:
        self._log = tempfile.TemporaryFile()
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        deadline = started + timeout
        pending = list(self.urls)
        answers: dict[str, int] = {}
        while pending:
            if self.proc.poll() is not None:
                raise ServerStartError(f"{self.argv[0]} exited with code {self.proc.returncode} before answering:\n"
                                       f"{self.output_tail()}")
            if time.perf_counter() > deadline:
                self.stop()
                raise ServerStartError(f"{self.argv[0]} did not answer eth_chainId on {pending} within {timeout}s:\n"
                                       f"{self.output_tail()}")
            chain_id = try_chain_id(pending[0])
            if chain_id is None:
                time.sleep(poll_interval)
                continue
            answers[pending.pop(0)] = chain_id
        self.startup_s = time.perf_counter() - started
        self.chain_ids = [answers[url] for url in self.urls]

    def output_tail(self, chars: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(make_argv: Callable[[int], list[str]], urls_for: Callable[[int], list[str]], count: int,
                 timeout: float = 60.0, tries: int = 3) -> ServerProcess:
    """Start a server on ``count`` consecutive free ports, retrying on a lost port race.

    ``make_argv(port) -> list[str]`` builds the command; ``urls_for(port) -> list[str]`` its endpoints.
    """
    last: ServerStartError | None = None
    for _ in range(tries):
        port = find_free_ports(count)
        server = ServerProcess(make_argv(port), urls_for(port))
        try:
            server.start(timeout=timeout)
            return server
        except ServerStartError as exc:
            server.stop()
            last = exc
            if "in use" not in str(exc).lower():
                raise
    assert last is not None
    raise last


def xrollup_executable() -> str:
    """The ``xrollup`` console script of this interpreter's environment (else the repo venv's, else PATH's)."""
    for candidate in (Path(sys.executable).parent / "xrollup", REPO_ROOT / ".venv" / "bin" / "xrollup"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("xrollup")
    if found is None:
        raise FileNotFoundError("no xrollup executable: install the package (pip install -e .)")
    return found


@contextlib.contextmanager
def xrollup_devnet(chains: Sequence[int] = (901, 902), extra: Sequence[str] = (), timeout: float = 120.0
                   ) -> Iterator[ServerProcess]:
    """A silent xrollup devnet subprocess on free ports (its L1's too: never 8545); ``startup_s``
    covers every chain's first answer."""
    exe = xrollup_executable()
    ids = ",".join(str(c) for c in chains)
    server = start_server(
        lambda port: [exe, "--chains", ids, "--port", str(port), "--admin.port", "0", "--l1.port", "0", "--silent",
                      *extra],
        lambda port: [f"http://127.0.0.1:{port + i}" for i in range(len(chains))],
        count=len(chains), timeout=timeout,
    )
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- anvil


ANVIL_NPM_PACKAGE = "@foundry-rs/anvil"


def find_anvil(anvil_dir: Path = DEFAULT_ANVIL_DIR) -> str | None:
    """``anvil`` from PATH, else the native binary an npm install under ``anvil_dir`` left."""
    found = shutil.which("anvil")
    if found:
        return found
    scope = anvil_dir / "node_modules" / "@foundry-rs"
    preferred = scope / "anvil-linux-amd64" / "bin" / "anvil"
    for candidate in (preferred, *sorted(scope.glob("anvil-*/bin/anvil"))):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def anvil_version(exe: str) -> str | None:
    """The first line of ``anvil --version``, or None when the binary does not run here."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def install_anvil(anvil_dir: Path = DEFAULT_ANVIL_DIR, timeout: float = 600.0) -> tuple[str | None, str]:
    """``npm install --prefix anvil_dir @foundry-rs/anvil``; returns (binary or None, what happened)."""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not on PATH"
    anvil_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([npm, "install", "--no-fund", "--no-audit", "--prefix", str(anvil_dir), ANVIL_NPM_PACKAGE],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"npm install timed out after {timeout:.0f}s"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, f"npm install failed (exit {done.returncode}): {' | '.join(tail)}"
    exe = find_anvil(anvil_dir)
    if exe is None:
        return None, f"npm installed {ANVIL_NPM_PACKAGE} but no anvil binary for this platform under {anvil_dir}"
    version = anvil_version(exe)
    if version is None:
        return None, f"{exe} does not run on this machine"
    return exe, f"installed {version} at {exe}"


@contextlib.contextmanager
def anvil_node(exe: str, extra: Sequence[str] = (), timeout: float = 60.0) -> Iterator[ServerProcess]:
    """A silent anvil subprocess on a free port (chain id 31337, automine)."""
    server = start_server(
        lambda port: [exe, "--port", str(port), "--host", "127.0.0.1", "--silent", *extra],
        lambda port: [f"http://127.0.0.1:{port}"],
        count=1, timeout=timeout,
    )
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- environment


def machine_summary() -> dict[str, Any]:
    """CPU count, Python version and load, for the header of a benchmark's output."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "python": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "loadavg": load,
    }


def write_json(results: Any, dest: str | None) -> None:
    """``--json [FILE]``: nothing for None, one line on stdout for "-", else FILE, indented."""
    if dest == "-":
        print(json.dumps(results))
    elif dest:
        Path(dest).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- transfers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def dev_keys(count: int = 10) -> list[Any]:
    """The devnet's dev accounts (eth_account LocalAccounts), as the default mnemonic derives them."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def presign(key: Any, chain_id: int, first_nonce: int, count: int, to: str, tip_spread: int = 1) -> list[tuple[str, str]]:
    """Signed EIP-1559 transfers of 1 wei from ``key`` to ``to``, made outside any timed section;
    the tip is 1 gwei plus ``nonce % tip_spread`` wei (a spread for fee ordering to sort).
    Returns [(raw hex, tx hash)]."""
    from eth_account import Account

    out = []
    for nonce in range(first_nonce, first_nonce + count):
        signed = Account.sign_transaction({
            "chainId": chain_id, "nonce": nonce, "to": to, "value": 1, "gas": 21_000, "data": "0x",
            "maxFeePerGas": 20 * GWEI, "maxPriorityFeePerGas": GWEI + nonce % tip_spread, "type": 2,
        }, key)
        out.append(("0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()))
    return out


def wait_included(client: RpcClient, tx_hash: str, timeout: float = 300.0, poll: float = 0.002) -> dict[str, Any]:
    """The receipt of ``tx_hash`` once it is mined. Raises TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        receipt = client.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return receipt  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tx_hash} not included after {timeout}s")
        time.sleep(poll)


@dataclass
class ConcurrentRun:
    """``send_concurrently``'s timings: from the start to every transaction included, and to
    the last client's last acknowledgement."""

    elapsed: float
    acked: float


def send_concurrently(clients: Sequence[RpcClient], plans: Sequence[Sequence[tuple[str, str]]]) -> ConcurrentRun:
    """Each client sends its plan's pre-signed transactions one after the other, in its own
    thread, all starting together; then waits until each plan's last transaction is mined
    (a sender's last included means all of its are: nonce order). Raises RuntimeError naming
    the clients whose sends failed."""
    barrier = threading.Barrier(len(clients) + 1)
    errors: list[str] = []
    acked = [0.0] * len(clients)

    def run(index: int) -> None:
        barrier.wait()
        try:
            for raw, _ in plans[index]:
                clients[index].call("eth_sendRawTransaction", [raw])
            acked[index] = time.perf_counter()
        except Exception as exc:  # reported after the run
            errors.append(f"client {index}: {exc}")

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    for txs, client in zip(plans, clients, strict=True):
        wait_included(client, txs[-1][1])
    return ConcurrentRun(time.perf_counter() - started, max(acked) - started)
