"""The superblock explorer: a live web page served by the first chain's FastAPI app.

One lane per chain, superblocks advancing live (``xr_newSuperblocks`` over the WebSocket),
each block's transactions, bundles outlined across the lanes they span, cross-rollup calls
drawn as arrows from the source transaction to the destination transaction, failures in red
with their reason, MEV findings (sandwiches, back-runs, cross-rollup arbitrage, from
``xr_getMevReport``) marked on their transactions and linked across the lanes. Clicking a transaction shows its receipt, decoded logs and cross-chain
trace. Plain HTML/CSS and native ES modules (no build step); the page reads everything over
JSON-RPC.

Routes (under ``/explorer``): the page, ``app.js`` and the modules it imports (``MODULES``),
``style.css``, and ``abis.json`` (every artifact's ABI, with event topics, function and error
selectors and runtime-code fingerprints computed here, so that the page needs no keccak).

    devnet.app_hooks.append(explorer.hook(devnet))  # before devnet.start()
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_utils import keccak
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

PATH = "/explorer"
STATIC_DIR = Path(__file__).resolve().parent
#: The page's ES modules: ``app.js`` starts the page and imports the others. A browser runs a
#: module only when it is served as JavaScript.
MODULES = ("app.js", "abi.js", "board.js", "dom.js", "format.js", "lookups.js", "mev.js", "overlay.js", "panel.js",
           "rpc.js", "state.js", "faults.js")
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    **{name: "text/javascript; charset=utf-8" for name in MODULES},
    "style.css": "text/css; charset=utf-8",
}
#: Hex characters of runtime code (before the compiler trailer) that identify a contract.
FINGERPRINT_CHARS = 160


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


def signature(item: dict[str, Any]) -> str:
    """``name(type,...)`` of an ABI event, function or error."""
    return f"{item['name']}({','.join(_canonical_type(p) for p in item.get('inputs', []))})"


def fingerprint(runtime_code: str) -> str | None:
    """``<code length>:<tail>`` of runtime code, ignoring the 53-byte-or-shorter CBOR trailer
    (solc's ``a164736f6c6343...0033`` / ``...000a``): identical for every deployment of one
    artifact (immutables live in the code's body, not in its last instructions)."""
    code = runtime_code[2:] if runtime_code.startswith("0x") else runtime_code
    if len(code) < 2 * 64:
        return None
    trailer = int(code[-4:], 16) * 2 + 4  # the last two bytes give the CBOR trailer's length
    body = code[:-trailer] if trailer < len(code) else code
    return f"{len(code) // 2}:{body[-FINGERPRINT_CHARS:]}"


@functools.lru_cache(maxsize=1)
def abi_index() -> bytes:
    """The JSON of ``/explorer/abis.json``: every artifact's ABI and the derived indexes.

    ``{"contracts": {name: abi}, "events": {topic0: [{contract, name, signature, inputs, anonymous}]},
    "functions": {selector: [{contract, name, signature, inputs, outputs}]}, "errors": {selector: [...]},
    "fingerprints": {fingerprint: name}}``
    """
    from bridge_contracts import artifact_names, load_artifact

    contracts: dict[str, Any] = {}
    events: dict[str, list[dict[str, Any]]] = {}
    functions: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[dict[str, Any]]] = {}
    fingerprints: dict[str, str] = {}
    arts = {name: load_artifact(name) for name in artifact_names()}
    # Contracts before interfaces (no code): a selector is named after Mailbox, not IMailbox.
    for name in sorted(arts, key=lambda n: (len(arts[n].get("deployedBytecode") or "0x") <= 2, n)):
        art = arts[name]
        abi = art.get("abi") or []
        if not abi:
            continue
        contracts[name] = abi
        code = art.get("deployedBytecode") or "0x"
        fp = fingerprint(code)
        if fp is not None:
            fingerprints.setdefault(fp, name)
        for item in abi:
            kind = item.get("type")
            if kind not in ("event", "function", "error"):
                continue
            sig = signature(item)
            digest = keccak(text=sig)
            entry = {"contract": name, "name": item["name"], "signature": sig, "inputs": item.get("inputs", [])}
            if kind == "event":
                entry["anonymous"] = bool(item.get("anonymous"))
                bucket, key = events, "0x" + digest.hex()
            elif kind == "function":
                entry["outputs"] = item.get("outputs", [])
                bucket, key = functions, "0x" + digest[:4].hex()
            else:
                bucket, key = errors, "0x" + digest[:4].hex()
            same = bucket.setdefault(key, [])
            # one entry per distinct shape (which inputs are indexed), first contract wins
            shape = [(i.get("indexed", False), _canonical_type(i)) for i in entry["inputs"]]
            if all([(i.get("indexed", False), _canonical_type(i)) for i in e["inputs"]] != shape for e in same):
                same.append(entry)
    body = {"contracts": contracts, "events": events, "functions": functions, "errors": errors,
            "fingerprints": fingerprints}
    return json.dumps(body, separators=(",", ":")).encode()


def _static(name: str) -> Callable[[Request], Any]:
    path = STATIC_DIR / name
    media_type = STATIC_FILES[name]

    async def serve(request: Request) -> Response:
        # Read on every request: cheap, and an edited page shows on reload.
        return Response(path.read_bytes(), media_type=media_type, headers={"Cache-Control": "no-cache"})

    return serve


def mount(app: Any, devnet: Any = None) -> None:
    """Add the explorer's routes to a chain's FastAPI app (``devnet`` is accepted for
    symmetry with the hooks; the page reads everything over JSON-RPC)."""

    async def page(request: Request) -> Response:
        return await _static("index.html")(request)  # type: ignore[no-any-return]

    async def slash(request: Request) -> Response:
        return RedirectResponse(PATH)

    async def abis(request: Request) -> Response:
        return Response(abi_index(), media_type="application/json", headers={"Cache-Control": "no-cache"})

    app.router.add_route(PATH, page, methods=["GET", "HEAD"])
    app.router.add_route(PATH + "/", slash, methods=["GET", "HEAD"])
    app.router.add_route(PATH + "/index.html", page, methods=["GET", "HEAD"])
    for name in STATIC_FILES:
        if name != "index.html":
            app.router.add_route(f"{PATH}/{name}", _static(name), methods=["GET", "HEAD"])
    app.router.add_route(PATH + "/abis.json", abis, methods=["GET", "HEAD"])


def hook(devnet: Any = None, index: int = 0) -> Callable[[Any, int, int], None]:
    """A ``Devnet.app_hooks`` entry mounting the explorer on the chain at ``index`` (the first)."""

    def mount_on_first(app: Any, chain_id: int, chain_index: int) -> None:
        if chain_index == index:
            mount(app, devnet)

    mount_on_first.xrollup_explorer = True  # type: ignore[attr-defined]
    return mount_on_first


def installed(devnet: Any) -> bool:
    """Whether ``devnet`` has the explorer's hook."""
    return any(getattr(h, "xrollup_explorer", False) for h in getattr(devnet, "app_hooks", ()))


def install(devnet: Any) -> None:
    """Register the explorer on ``devnet`` (call before ``devnet.start()``); idempotent."""
    if not installed(devnet):
        devnet.app_hooks.append(hook(devnet))


def url(devnet: Any) -> str | None:
    """The explorer's URL once the devnet serves (the first chain's URL + ``/explorer``)."""
    urls = getattr(devnet, "urls", {})
    first = next(iter(urls.values()), None)
    return None if first is None else first + PATH


__all__ = ["MODULES", "PATH", "abi_index", "fingerprint", "hook", "install", "installed", "mount", "signature", "url"]
