"""``xrollup trace TXHASH``: a transaction's call tree in the terminal, across chains.

Asks a running devnet (JSON-RPC) for ``debug_traceTransaction`` with the callTracer and prints
one line per frame: call type, target (with the contract's name when its code is a known
artifact's or it is a predeploy), the decoded function, value, gas used, and the revert
reason of a failing frame. A cross-rollup call's destination (the ``xrollup`` field of the
mailbox's xcall frame) is printed nested under a ``→ chain 902 tx 0x…`` line.

Chain URLs come from ``xr_chains`` (the devnet's list of chains), asked of ``--rpc`` or of
http://127.0.0.1:9545; without ``--chain`` the transaction is looked for on every chain.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from bridge_contracts import SEQUENCER_ADDRESS

# eth_abi and eth_utils are imported where used: `xrollup` builds this parser on every start.

DEFAULT_RPC = "http://127.0.0.1:9545"
MAX_ARG = 42  # characters of one decoded argument before it is shortened


class RpcError(Exception):
    pass


class Client:
    """Minimal JSON-RPC over HTTP (urllib: nothing to install)."""

    def __init__(self, url: str, timeout: float = 60) -> None:
        self.url = url
        self.timeout = timeout
        self._id = 0

    def __call__(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                reply = json.loads(resp.read())
        except (urllib.error.URLError, OSError) as exc:
            raise RpcError(f"cannot reach {self.url}: {exc}") from exc
        if reply.get("error"):
            err = reply["error"]
            raise RpcError(f"{method}: {err.get('message')} (code {err.get('code')})")
        return reply.get("result")


# -- names: contracts and functions ---------------------------------------------------------


def _strip_metadata(code: bytes) -> bytes:
    """Runtime code without solc's CBOR metadata (its length is in the last two bytes)."""
    if len(code) < 2:
        return code
    size = int.from_bytes(code[-2:], "big") + 2
    return code[:-size] if size < len(code) else code


@dataclass
class Catalog:
    """What the known artifacts say: contract names by runtime code, functions by selector."""

    by_code: dict[bytes, str] = field(default_factory=dict)
    by_stripped: dict[bytes, str] = field(default_factory=dict)
    functions: dict[bytes, tuple[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Catalog:
        from eth_utils import keccak

        from bridge_contracts import artifact_names, load_artifact

        cat = cls()
        for name in artifact_names():
            art = load_artifact(name)
            code = bytes.fromhex(str(art.get("deployedBytecode") or "0x").removeprefix("0x"))
            if code and not name.startswith("I") and name != "Predeploys":
                cat.by_code.setdefault(code, name)
                cat.by_stripped.setdefault(_strip_metadata(code), name)
            for item in art.get("abi", []):
                if item.get("type") != "function":
                    continue
                types = [_abi_type(i) for i in item.get("inputs", [])]
                sig = f"{item['name']}({','.join(types)})"
                cat.functions.setdefault(keccak(text=sig)[:4], (item["name"], types))
        return cat

    def contract_name(self, code: bytes) -> str | None:
        if not code:
            return None
        return self.by_code.get(code) or self.by_stripped.get(_strip_metadata(code))

    def call_text(self, data: bytes) -> str:
        """``name(arg, ...)`` of calldata, or its selector when unknown ('' for none)."""
        if len(data) < 4:
            return ""
        known = self.functions.get(data[:4])
        if known is None:
            return "0x" + data[:4].hex()
        name, types = known
        from eth_abi import decode

        try:
            values = decode(types, data[4:])
        except Exception:
            return f"{name}(…)"
        return f"{name}({', '.join(self._arg(t, v) for t, v in zip(types, values, strict=True))})"

    def _arg(self, kind: str, value: Any) -> str:
        if kind == "bytes" and isinstance(value, bytes) and len(value) >= 4:
            inner = self.call_text(value)
            if inner and not inner.startswith("0x"):
                return inner
        if isinstance(value, bytes):
            text = "0x" + value.hex()
        elif kind == "address":
            text = _checksum(value)
        else:
            text = str(value)
        return text if len(text) <= MAX_ARG else text[: MAX_ARG - 1] + "…"


def _abi_type(item: dict[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item.get("components", [])) + ")" + kind[5:]
    return kind


# -- the printer --------------------------------------------------------------------------------


class Printer:
    def __init__(self, clients: dict[int, Client], predeploys: dict[str, str], catalog: Catalog,
                 out: TextIO) -> None:
        self.clients = clients
        self.catalog = catalog
        self.out = out
        self.names: dict[tuple[int, str], str | None] = {}
        self.predeploys = {a.lower(): n for n, a in predeploys.items()}
        self.predeploys.setdefault(SEQUENCER_ADDRESS.lower(), "Sequencer")

    def name_of(self, chain_id: int, address: str) -> str | None:
        key = (chain_id, address.lower())
        if key not in self.names:
            name = self.predeploys.get(address.lower())
            if name is None and chain_id in self.clients:
                try:
                    code = bytes.fromhex(str(self.clients[chain_id]("eth_getCode", [address, "latest"]))[2:])
                except (RpcError, ValueError):
                    code = b""
                name = self.catalog.contract_name(code)
            self.names[key] = name
        return self.names[key]

    def target(self, chain_id: int, address: str | None) -> str:
        if not address:
            return "?"
        checksum = _checksum(address)
        name = self.name_of(chain_id, address)
        return f"{name}({checksum})" if name else checksum

    def frame(self, chain_id: int, frame: dict[str, Any], depth: int) -> None:
        indent = "  " * depth
        kind = frame.get("type", "CALL")
        data = bytes.fromhex(str(frame.get("input") or "0x")[2:])
        target = self.target(chain_id, frame.get("to"))
        call = "" if kind.startswith("CREATE") else self.catalog.call_text(data)
        head = f"{kind} {target}" + (f".{call}" if call else "")
        parts = [head]
        value = int(frame.get("value") or "0x0", 16)
        if value:
            parts.append(f"value {_eth(value)}")
        parts.append(f"gas used {int(frame.get('gasUsed') or '0x0', 16)}")
        if frame.get("error"):
            reason = frame.get("revertReason")
            parts.append(f"✗ {frame['error']}" + (f": {reason}" if reason else ""))
        print(indent + "  ".join(parts), file=self.out)
        x = frame.get("xrollup")
        if x:
            dst = int(x["chainId"], 16)
            if x.get("txHash"):
                sim = " (simulated)" if x.get("simulated") else ""
                print(f"{indent}  → chain {dst} tx {x['txHash']}{sim}  request {x['requestId']}", file=self.out)
                if x.get("trace"):
                    self.frame(dst, x["trace"], depth + 2)
            else:
                print(f"{indent}  → chain {dst}: not executed (request {x['requestId']})", file=self.out)
        for child in frame.get("calls") or []:
            self.frame(chain_id, child, depth + 1)


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))


def _eth(wei: int) -> str:
    if wei >= 10**12:
        return f"{(Decimal(wei) / 10**18).normalize():f} ETH"
    return f"{wei} wei"


# -- the command ---------------------------------------------------------------------------------


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("tx_hash", help="the transaction's hash (0x…)")
    ap.add_argument("--chain", type=int, default=None, help="the chain id the transaction is on (default: look on every chain)")
    ap.add_argument("--rpc", default=None, help=f"JSON-RPC URL of that chain (default: from xr_chains at {DEFAULT_RPC})")


def chain_urls(rpc: str | None, chain: int | None) -> tuple[dict[int, str], dict[str, str]]:
    """Every chain's URL (from xr_chains) and the predeploys' names by address."""
    base = Client(rpc or DEFAULT_RPC)
    urls: dict[int, str] = {}
    predeploys: dict[str, str] = {}
    try:
        for entry in base("xr_chains", []) or []:
            cid = int(entry["chainId"])
            if entry.get("rpcUrl"):
                urls[cid] = entry["rpcUrl"]
            predeploys.update(entry.get("predeploys") or {})
    except RpcError:
        if rpc is None:
            raise
    if rpc is not None and chain is not None:
        urls[chain] = rpc
    elif rpc is not None and not urls:
        urls[int(str(base("eth_chainId", [])), 16)] = rpc
    return urls, predeploys


def run(tx_hash: str, chain: int | None = None, rpc: str | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        urls, predeploys = chain_urls(rpc, chain)
        clients = {cid: Client(url) for cid, url in urls.items()}
        candidates = [chain] if chain is not None else sorted(clients)
        for cid in candidates:
            if cid not in clients:
                print(f"error: no RPC URL for chain {cid} (known: {sorted(clients)})", file=sys.stderr)
                return 2
            receipt = clients[cid]("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                continue
            trace = clients[cid]("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
            status = "success" if receipt.get("status") == "0x1" else "reverted"
            print(f"tx {tx_hash} on chain {cid} (block {int(receipt['blockNumber'], 16)}): {status}, "
                  f"gas used {int(receipt['gasUsed'], 16)}", file=out)
            error = trace.get("xrollupError")
            if error:
                print(f"  cross-rollup failure on chain {int(error['chainId'], 16) if error.get('chainId') else '?'}: "
                      f"{error.get('reason')}", file=out)
            Printer(clients, predeploys, Catalog.load(), out).frame(cid, trace, 0)
            return 0
    except RpcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = f"chain {chain}" if chain is not None else "any chain"
    print(f"error: transaction {tx_hash} not found on {where}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    ap = argparse.ArgumentParser(prog="xrollup trace", description="Print a transaction's call tree across chains.")
    add_arguments(ap)
    args = ap.parse_args(argv)
    return run(args.tx_hash, args.chain, args.rpc, out)


if __name__ == "__main__":
    sys.exit(main())
