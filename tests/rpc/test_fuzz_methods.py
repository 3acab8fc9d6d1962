"""Fuzz every method of the chain endpoint's table with malformed parameters, over HTTP and
WebSocket, against one real devnet: no -32603 for malformed input, no 5xx, the devnet alive after
every case (and still able to mine after a dev method accepted something).

Values are drawn per parameter kind (the parser the table names): quantities beyond uint64 and
uint256 or over 3,600 hex digits, non-hex and odd-length data, wrong types, nested junk, objects
with junk fields, missing and extra parameters, named parameters. Examples are derandomized, so a
run is reproducible; the cases found are collected and reported together.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from rpc import MethodTable
from xrollup.config import DevnetConfig
from xrollup.testing import DevnetThread

CHAIN = 901
EXAMPLES = 300  # per transport
TIMEOUT = 30.0  # seconds for one reply; a case that takes longer is reported as a stall

# ---------------------------------------------------------------- values per parameter kind

DEV_ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"


def _hex(digits: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """0x and that many hex digits (a short random pattern repeated: long strings stay cheap to draw)."""
    return st.tuples(digits, st.binary(min_size=1, max_size=8)).map(
        lambda t: "0x" + (t[1].hex() * (t[0] // (2 * len(t[1])) + 1))[: t[0]])


SMALL_INT = st.integers(min_value=-16, max_value=16)
HUGE_INT = st.one_of(st.integers(min_value=2**64, max_value=2**300), st.integers(min_value=-(2**300), max_value=-1))
SCALAR = st.one_of(
    st.none(), st.booleans(), SMALL_INT, HUGE_INT,
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=12), st.sampled_from(["0x", "0X1", "0xg", "-0x1", " 0x1", "0x 1", "latest", "pending", "1e3"]),
)
JUNK = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=12)
BEYOND_UINT64 = st.one_of(st.integers(min_value=2**64, max_value=2**256 - 1).map(hex), st.just(hex(2**64)))
BEYOND_UINT256 = st.one_of(st.integers(min_value=2**256, max_value=2**400).map(hex), st.just(hex(2**256)))
QUANTITY = st.one_of(
    st.integers(min_value=0, max_value=16).map(hex),
    BEYOND_UINT64, BEYOND_UINT64, BEYOND_UINT256, BEYOND_UINT256,
    _hex(st.integers(min_value=3_601, max_value=5_000)),  # over 3,600 hex digits
    st.sampled_from(["0x", "0xzz", "12", "-0x1", "0x-1", "0x1 ", "0x" + "0" * 70 + "1"]),
    SMALL_INT, HUGE_INT, st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
)
DATA = st.one_of(
    _hex(st.integers(min_value=0, max_value=80)),  # odd lengths too
    _hex(st.integers(min_value=3_601, max_value=5_000)),
    st.sampled_from(["0x", "0x" + "00" * 32, "0xzz", "deadbeef", "0x0g", "0x02", "0x02c0", "0xc0", "0x7e", "0x03c0",
                     "0x01" + "00" * 10, "0xf800"]),
)
ADDRESS = st.one_of(st.just(DEV_ADDRESS), _hex(st.sampled_from([0, 38, 39, 40, 41, 42, 64])), DATA)
HASH = st.one_of(_hex(st.sampled_from([64, 63, 65, 40, 0])), st.just("0x" + "00" * 32), DATA)
TAG = st.sampled_from(["latest", "earliest", "pending", "safe", "finalized", "Latest", "", "0x0", "0x1"])
BLOCK = st.one_of(TAG, QUANTITY, HASH, st.fixed_dictionaries({}, optional={
    "blockHash": st.one_of(HASH, JUNK), "blockNumber": st.one_of(QUANTITY, TAG, JUNK),
    "requireCanonical": JUNK}))
TX_FIELDS = {
    "from": st.one_of(ADDRESS, JUNK), "to": st.one_of(ADDRESS, JUNK), "gas": QUANTITY, "gasPrice": QUANTITY,
    "maxFeePerGas": QUANTITY, "maxPriorityFeePerGas": QUANTITY, "value": QUANTITY, "data": DATA,
    "input": DATA, "nonce": QUANTITY, "chainId": QUANTITY, "type": QUANTITY,
    "accessList": st.one_of(JUNK, st.lists(st.fixed_dictionaries({}, optional={
        "address": ADDRESS, "storageKeys": st.one_of(JUNK, st.lists(st.one_of(HASH, JUNK), max_size=3))}),
        max_size=3)),
}
TX = st.one_of(st.fixed_dictionaries({}, optional=TX_FIELDS), JUNK)  # completed below
TOPICS = st.lists(st.one_of(st.none(), HASH, st.lists(st.one_of(st.none(), HASH, JUNK), max_size=3), JUNK),
                  max_size=6)
FILTER = st.one_of(st.fixed_dictionaries({}, optional={
    "fromBlock": BLOCK, "toBlock": BLOCK, "blockHash": HASH, "address": st.one_of(ADDRESS, st.lists(ADDRESS, max_size=3),
                                                                               JUNK),
    "topics": st.one_of(TOPICS, JUNK)}), JUNK)
PERCENTILES = st.one_of(st.lists(st.one_of(st.floats(-10, 110), st.integers(-10, 110), JUNK), max_size=8), JUNK)
TRACE = st.one_of(st.fixed_dictionaries({}, optional={
    "tracer": st.one_of(st.sampled_from(["callTracer", "prestateTracer", "4byteTracer", "noopTracer", "x"]), JUNK),
    "tracerConfig": st.one_of(st.fixed_dictionaries({}, optional={"onlyTopCall": JUNK, "withLog": JUNK,
                                                                   "diffMode": JUNK}), JUNK),
    "timeout": st.one_of(st.sampled_from(["1s", "10ms", "-1s", "1h", "x"]), JUNK),
    "disableStorage": JUNK, "enableMemory": JUNK, "disableStack": JUNK}), JUNK)
BUNDLE = st.one_of(st.fixed_dictionaries({}, optional={
    "txs": st.one_of(st.lists(st.one_of(DATA, JUNK), max_size=3), JUNK),
    "revertingTxHashes": st.one_of(st.lists(HASH, max_size=2), JUNK),
    "minSuperblock": QUANTITY, "maxSuperblock": QUANTITY}), JUNK)
TYPED_DATA = st.one_of(st.fixed_dictionaries({}, optional={
    "types": st.one_of(st.dictionaries(st.sampled_from(["EIP712Domain", "Mail", "Person"]),
                                       st.lists(st.fixed_dictionaries({"name": st.text(max_size=6),
                                                                       "type": st.one_of(st.sampled_from(
                                                                           ["string", "uint256", "address", "Person",
                                                                            "bytes32", "uint8[]", "Mail"]), JUNK)}),
                                                max_size=3), max_size=3), JUNK),
    "primaryType": st.one_of(st.sampled_from(["Mail", "EIP712Domain", "Nope"]), JUNK),
    "domain": st.one_of(st.fixed_dictionaries({}, optional={"name": JUNK, "chainId": QUANTITY,
                                                           "verifyingContract": ADDRESS}), JUNK),
    "message": JUNK}), st.text(max_size=30), JUNK)
OVERRIDES = st.one_of(st.dictionaries(ADDRESS, st.fixed_dictionaries({}, optional={
    "balance": QUANTITY, "nonce": QUANTITY, "code": DATA, "state": JUNK, "stateDiff": JUNK}), max_size=2), JUNK)
SUBSCRIPTION = st.one_of(st.sampled_from(["newHeads", "logs", "newPendingTransactions", "xr_newSuperblocks",
                                          "syncing", "nope"]), JUNK)
MINE_OPTIONS = st.one_of(st.fixed_dictionaries({}, optional={"timestamp": QUANTITY, "blocks": QUANTITY}), QUANTITY,
                         JUNK)

BY_PARSER: dict[str, st.SearchStrategy[Any]] = {
    "quantity": QUANTITY, "uint64": QUANTITY, "timestamp": QUANTITY, "seconds": QUANTITY, "base_fee": QUANTITY,
    "mine_count": QUANTITY, "mine_options": MINE_OPTIONS, "typed_data": TYPED_DATA, "data": DATA, "address": ADDRESS, "hash32": HASH, "block_ref": BLOCK,
    "block_number_or_tag": BLOCK, "boolean": st.one_of(st.booleans(), JUNK), "string": st.one_of(
        HASH, _hex(st.integers(0, 40)), JUNK), "tx_object": TX, "log_filter": FILTER, "_percentiles": PERCENTILES,
    "trace_options": TRACE, "bundle_param": BUNDLE,
}
BY_NAME: dict[str, st.SearchStrategy[Any]] = {  # parameters the table passes through as they come
    "typedData": TYPED_DATA, "overrides": OVERRIDES, "options": st.one_of(MINE_OPTIONS, JUNK),
    "params": st.one_of(FILTER, st.booleans(), JUNK), "kind": SUBSCRIPTION, "block": st.one_of(BLOCK, JUNK),
    "index": st.one_of(QUANTITY, JUNK),
}


FEE = st.integers(min_value=10**9, max_value=10**11).map(hex)
VALID_TX = st.fixed_dictionaries({"from": st.just(DEV_ADDRESS), "to": st.just(DEV_ADDRESS)}, optional={
    "gas": st.just("0x5208"), "value": st.just("0x1"), "maxFeePerGas": FEE, "data": st.just("0x")})
VALID_BY_PARSER: dict[str, st.SearchStrategy[Any]] = {
    "quantity": st.integers(min_value=0, max_value=3).map(hex), "uint64": st.integers(0, 3).map(hex),
    "timestamp": st.integers(0, 3).map(hex), "seconds": st.integers(0, 3).map(hex),
    "base_fee": st.integers(10**9, 10**10).map(hex), "mine_count": st.integers(0, 3).map(hex),
    "mine_options": st.just({}), "typed_data": st.just({}), "data": st.sampled_from(["0x", "0x00", "0x1234"]),
    "address": st.just(DEV_ADDRESS), "hash32": st.just("0x" + "00" * 32), "block_ref": st.just("latest"),
    "block_number_or_tag": st.sampled_from(["latest", "0x0"]), "boolean": st.booleans(), "string": st.just("0x1"),
    "tx_object": VALID_TX, "log_filter": st.just({}), "_percentiles": st.just([25, 75]), "trace_options": st.just({}),
}
VALID_BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "typedData": st.just({}), "overrides": st.just({}), "kind": st.just("newHeads"), "block": st.just("latest"),
    "index": st.just("0x0"),
}


# a transaction that is valid but for one or two fields
BY_PARSER["tx_object"] = st.one_of(st.tuples(VALID_TX, st.fixed_dictionaries({}, optional=TX_FIELDS)).map(
    lambda pair: pair[0] | pair[1]), TX)


def value_for(parser: str, name: str) -> st.SearchStrategy[Any]:
    """A malformed (or odd) value for a parameter the table parses with ``parser``."""
    specific = BY_NAME.get(name) if parser == "any_value" else BY_PARSER.get(parser)
    return JUNK if specific is None else st.one_of(specific, specific, specific, JUNK)


def valid_for(parser: str, name: str) -> st.SearchStrategy[Any]:
    """A value the parser accepts, so that a malformed one elsewhere is reached."""
    specific = VALID_BY_NAME.get(name) if parser == "any_value" else VALID_BY_PARSER.get(parser)
    return value_for(parser, name) if specific is None else specific


@dataclass(frozen=True)
class Case:
    method: str  # the name sent (an alias, sometimes)
    params: Any
    canonical: str  # the method's name in the table


def cases(table: MethodTable) -> st.SearchStrategy[Case]:
    methods = list(table)

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        method = draw(st.sampled_from(methods))
        name = draw(st.sampled_from((method.name, method.name, *method.aliases)))
        specs = [(p.name, getattr(p.parse, "__name__", "")) for p in method.params]
        shape = draw(st.sampled_from(["one bad"] * 12 + ["all bad", "all bad", "missing", "extra", "named", "none", "scalar"]))
        if shape == "one bad" and specs:
            bad = draw(st.integers(0, len(specs) - 1))
            values = [draw(value_for(parser, pname) if i == bad else valid_for(parser, pname))
                      for i, (pname, parser) in enumerate(specs)]
        else:
            values = [draw(value_for(parser, pname)) for pname, parser in specs]
        if shape == "missing" and values:
            values = values[: draw(st.integers(0, len(values) - 1))]
        elif shape == "extra":
            values = values + draw(st.lists(JUNK, min_size=1, max_size=2))
        elif shape == "named":
            return Case(name, {pname: v for (pname, _), v in zip(specs, values, strict=True)}
                        | draw(st.dictionaries(st.sampled_from(["x", "extra"]), JUNK, max_size=1)), method.name)
        elif shape == "none":
            return Case(name, None, method.name)
        elif shape == "scalar":
            return Case(name, draw(SCALAR), method.name)
        return Case(name, values, method.name)

    return build()


# ---------------------------------------------------------------- the devnet and its clients


@dataclass
class Devnet:
    thread: DevnetThread
    port: int
    table: MethodTable


@pytest.fixture(scope="module")
def devnet() -> Iterator[Devnet]:
    thread = DevnetThread(DevnetConfig(chain_ids=(CHAIN, 902), port=0, silent=True)).start()
    try:
        port = int(thread.urls[CHAIN].rsplit(":", 1)[1])
        yield Devnet(thread, port, thread.devnet.dispatchers[CHAIN].table)
    finally:
        thread.stop()


def http_call(port: int, payload: Any) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("POST", "/", body=json.dumps(payload), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body) if body else None
    finally:
        conn.close()


def envelope(case: Case, rid: int) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": case.method}
    if case.params is not None:
        out["params"] = case.params
    return out


class Findings:
    """-32603 answers and other failures, collected over a run (reported together at its end)."""

    def __init__(self) -> None:
        self.internal: list[tuple[str, Any, Any]] = []
        self.failures: list[str] = []
        self.sent = 0

    def check_reply(self, case: Case, reply: Any, rid: int) -> None:
        self.sent += 1
        if not isinstance(reply, dict) or reply.get("id") != rid or ("result" in reply) == ("error" in reply):
            self.failures.append(f"{case.method} {_short(case.params)}: malformed reply {_short(reply)}")
            return
        error = reply.get("error")
        if error is not None and error.get("code") == -32603:
            self.internal.append((case.canonical, case.params, error))

    def report(self) -> str:
        lines = [f"{m}: {_short(e.get('message'), 160)} <- {_short(p, 160)}" for m, p, e in self.internal]
        lines += self.failures
        return (f"{self.sent} cases: {len(self.internal)} unexpected -32603, {len(self.failures)} other failures:\n"
                + "\n".join(lines))


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


CANARIES = (("evm_mine", None), ("anvil_nodeInfo", None), ("anvil_dumpState", None),
            ("eth_getBlockByNumber", ["latest", True]))


def still_serving(devnet: Devnet, findings: Findings, sent: list[Case], replies: dict[int, Any]) -> None:
    """The devnet answers; after a dev method accepted a value, it can still mine and describe itself
    (else that is reported, and anvil_reset brings the devnet back for the next cases)."""
    status, alive = http_call(devnet.port, {"jsonrpc": "2.0", "id": 0, "method": "eth_chainId"})
    assert (status, alive.get("result")) == (200, hex(CHAIN)), f"the devnet stopped answering after {sent}"
    accepted = [case for rid, case in enumerate(sent) if case.method.startswith(("evm_", "anvil_", "hardhat_"))
                and "result" in replies.get(rid, {})]
    if not accepted:
        return
    broken = canaries(devnet)
    if broken:
        findings.failures.append(f"after {[(c.method, _short(c.params, 120)) for c in accepted]} were accepted: "
                                 + "; ".join(broken))
        http_call(devnet.port, {"jsonrpc": "2.0", "id": 0, "method": "anvil_reset"})
        assert not canaries(devnet), "anvil_reset did not bring the devnet back"


def canaries(devnet: Devnet) -> list[str]:
    broken = []
    for method, params in CANARIES:
        _, reply = http_call(devnet.port, envelope(Case(method, params, method), 0))
        if "error" in reply:
            broken.append(f"{method} answers {_short(reply['error'], 200)}")
    return broken


def payload(sent: list[Case]) -> Any:
    """One request, or a batch (ids are the cases' positions)."""
    requests = [envelope(case, rid) for rid, case in enumerate(sent)]
    return requests[0] if len(requests) == 1 else requests


def check(findings: Findings, sent: list[Case], reply: Any) -> dict[Any, Any]:
    replies = reply if isinstance(reply, list) else [reply]
    by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
    for rid, case in enumerate(sent):
        findings.check_reply(case, by_id.get(rid), rid)
    return by_id


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


def batches(table: MethodTable) -> st.SearchStrategy[list[Case]]:
    """1 to 6 cases of different methods, sent as one request or one batch (more cases a round trip)."""
    return st.lists(cases(table), min_size=1, max_size=6, unique_by=lambda case: case.canonical)


@pytest.fixture
def seeded(request: pytest.FixtureRequest) -> Callable[[Any], Any]:
    """Runs are derandomized (reproducible); ``--hypothesis-seed N`` draws another sequence."""
    value = request.config.getoption("hypothesis_seed", None)
    return (lambda test: test) if value is None else seed(int(value) if str(value).isdigit() else value)


def test_fuzz_methods_over_http(devnet: Devnet, seeded: Callable[[Any], Any]) -> None:
    findings = Findings()
    http_call(devnet.port, {"jsonrpc": "2.0", "id": 0, "method": "anvil_reset"})

    @seeded
    @FUZZ_SETTINGS
    @given(batches(devnet.table))
    def run(sent: list[Case]) -> None:
        status, reply = http_call(devnet.port, payload(sent))
        if status != 200:
            findings.failures.append(f"{[(c.method, _short(c.params)) for c in sent]}: HTTP {status}")
        still_serving(devnet, findings, sent, check(findings, sent, reply))

    run()
    assert not findings.internal and not findings.failures, findings.report()


def ws_reply(sock: ClientConnection) -> Any:
    while True:  # notifications of subscriptions a case opened come in between
        message = json.loads(sock.recv(timeout=TIMEOUT))
        if not (isinstance(message, dict) and message.get("method") == "eth_subscription"):
            return message


def test_fuzz_methods_over_websocket(devnet: Devnet, seeded: Callable[[Any], Any]) -> None:
    findings = Findings()
    http_call(devnet.port, {"jsonrpc": "2.0", "id": 0, "method": "anvil_reset"})
    with ws_connect(f"ws://127.0.0.1:{devnet.port}/", open_timeout=10, max_size=None) as sock:

        @seeded
        @FUZZ_SETTINGS
        @given(batches(devnet.table))
        def run(sent: list[Case]) -> None:
            sock.send(json.dumps(payload(sent)))
            still_serving(devnet, findings, sent, check(findings, sent, ws_reply(sock)))

        run()
    assert not findings.internal and not findings.failures, findings.report()


# ---------------------------------------------------------------- the envelope itself

ID = st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=8), st.none(), st.booleans(),
               st.floats(allow_nan=False, allow_infinity=False), JUNK)
ENVELOPE = st.fixed_dictionaries({}, optional={
    "jsonrpc": st.one_of(st.just("2.0"), JUNK), "id": ID, "method": st.one_of(st.just("eth_chainId"), JUNK),
    "params": st.one_of(st.just([]), JUNK)})
RAW = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=64).map(str.encode),
    st.sampled_from([b"NaN", b"[NaN]", b"-Infinity", b'{"id":1e999,"method":"eth_chainId"}', b"[[[[]]]]",
                     b'{"id":1,"method":"eth_chainId","params":[' + b"1" * 5000 + b"]}", b"\xef\xbb\xbf{}",
                     b'"\\"', b"[" * 200 + b"]" * 199, b"{" * 300, b'["' + b"[" * 500 + b'"]']),
    st.one_of(ENVELOPE, st.lists(ENVELOPE, max_size=4)).map(lambda v: json.dumps(v).encode()),
)


def test_fuzz_envelopes_never_answer_internal_error(devnet: Devnet, seeded: Callable[[Any], Any]) -> None:
    """Malformed bodies and envelopes: answered with -32700/-32600/-32601/-32602 (or not at all, for
    notifications), over HTTP and on one WebSocket, which stays open."""
    seen: list[str] = []
    with ws_connect(f"ws://127.0.0.1:{devnet.port}/", open_timeout=10, max_size=None) as sock:

        @seeded
        @settings(max_examples=200, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(RAW)
        def run(body: bytes) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", devnet.port, timeout=TIMEOUT)
            try:
                conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                status, raw = resp.status, resp.read()
            finally:
                conn.close()
            replies = json.loads(raw) if raw else []  # every reply is strict JSON
            if status != 200 or '"code":-32603' in raw.decode():
                seen.append(f"HTTP {status} {raw[:200]!r} <- {body[:200]!r}")
            sock.send(body)
            if replies:  # the socket answers what HTTP answered (notifications: nothing)
                answer = ws_reply(sock)
                if answer != replies and not (isinstance(replies, list) and isinstance(answer, list)):
                    seen.append(f"WebSocket {answer!r:.200} != HTTP {replies!r:.200} <- {body[:200]!r}")
            assert sock.protocol.state.name == "OPEN"

        run()
        sock.send(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "eth_chainId"}))
        assert ws_reply(sock) == {"jsonrpc": "2.0", "id": 9, "result": hex(CHAIN)}
    assert not seen, "\n".join(seen)
