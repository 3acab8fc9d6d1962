"""The explorer's routes without a browser: the page, its assets, the ABI index, the banner."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import keccak

from bridge_contracts import MAILBOX_ADDRESS, load_artifact
from tests.explorer.explorer_devnet import ExplorerDevnet
from xrollup import explorer
from xrollup.cli import banner


@pytest.fixture(scope="module")
def net() -> Iterator[ExplorerDevnet]:
    dn = ExplorerDevnet().start()
    try:
        yield dn
    finally:
        dn.stop()


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_page_is_served_on_the_first_chain(net: ExplorerDevnet) -> None:
    status, headers, body = get(net.explorer_url)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    html = body.decode()
    assert "<title>xrollup explorer</title>" in html
    assert '<script type="module" src="/explorer/app.js">' in html and 'href="/explorer/style.css"' in html
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, body = get(f"{net.explorer_url}/{name}")
        assert status == 200 and headers["content-type"].startswith(kind) and len(body) > 1000
    assert b"xr_newSuperblocks" in get(f"{net.explorer_url}/app.js")[2]
    # every module of the page is served as JavaScript (a browser refuses a module of another type)
    modules = sorted(p.name for p in Path(explorer.__file__).parent.glob("*.js"))
    assert "app.js" in modules and len(modules) > 1 and sorted(explorer.MODULES) == modules
    for name in modules:
        status, headers, body = get(f"{net.explorer_url}/{name}")
        assert status == 200 and headers["content-type"].startswith("text/javascript") and body
    # a trailing slash redirects to the page
    assert get(net.explorer_url + "/")[0] == 200
    assert net.explorer_url == net.urls[901] + "/explorer"


def test_only_the_first_chain_serves_it_and_rpc_still_works(net: ExplorerDevnet) -> None:
    assert get(net.urls[902] + "/explorer")[0] == 404
    assert net.rpc(901, "eth_chainId") == hex(901)
    assert get(net.urls[901] + "/")[0] == 200  # GET / is still the chain's info


def test_other_chains_allow_the_page_cross_origin(net: ExplorerDevnet) -> None:
    origin = net.urls[901]
    status, headers, _ = get(net.urls[902] + "/", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert status == 200
    assert headers.get("access-control-allow-origin") in ("*", origin)


def test_abis_json(net: ExplorerDevnet) -> None:
    status, headers, body = get(net.explorer_url + "/abis.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    index = json.loads(body)
    assert set(index) == {"contracts", "events", "functions", "errors", "fingerprints"}
    assert index["contracts"]["Counter"] == load_artifact("Counter")["abi"]
    assert {"Mailbox", "CrossSwapRouter", "SimplePool", "TestToken", "SuperchainERC20"} <= set(index["contracts"])
    incremented = index["events"]["0x" + keccak(text="Incremented(address,uint256)").hex()]
    assert [(e["contract"], e["name"]) for e in incremented] == [("Counter", "Incremented")]
    xcall = index["events"]["0x" + keccak(text="XCall(uint256,uint256,address,address,uint256,bytes32,bool)").hex()]
    assert xcall[0]["name"] == "XCall"
    assert index["functions"]["0x" + keccak(text="increment()")[:4].hex()][0]["name"] == "increment"
    assert index["errors"]["0x" + keccak(text="NotInXCall()")[:4].hex()][0]["name"] == "NotInXCall"
    # ERC-20's Transfer is listed once per shape, not once per token contract
    transfer = index["events"]["0x" + keccak(text="Transfer(address,address,uint256)").hex()]
    assert len(transfer) == 1
    # the page names contracts by their runtime code: the predeployed mailbox is recognised
    code = net.rpc(901, "eth_getCode", [MAILBOX_ADDRESS, "latest"])
    assert index["fingerprints"][explorer.fingerprint(code)] == "Mailbox"


def test_fingerprint_ignores_the_compiler_trailer() -> None:
    code = load_artifact("Counter")["deployedBytecode"]
    assert explorer.fingerprint(code) == explorer.fingerprint(code[:-24] + "a164736f6c6343000899000a")
    assert explorer.fingerprint(code) != explorer.fingerprint(load_artifact("TestToken")["deployedBytecode"])
    assert explorer.fingerprint("0x") is None


def test_banner_prints_the_explorer_url(net: ExplorerDevnet) -> None:
    text = banner(net.devnet)
    assert f"Explorer:          {net.urls[901]}/explorer" in text
    assert explorer.installed(net.devnet)
    explorer.install(net.devnet)  # idempotent
    assert sum(1 for h in net.devnet.app_hooks if getattr(h, "xrollup_explorer", False)) == 1
