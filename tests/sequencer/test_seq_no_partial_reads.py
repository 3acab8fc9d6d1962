"""No partial reads (invariant 4): while bundles that increment a Counter on 901 AND on 902 are
being included, readers on other threads, each with its own real HTTP clients (web3.py), never
see one leg's effect without the other's.

The devnet is the real ``xrollup`` command in its own process, so readers' requests really
arrive while the sequencer is building superblocks.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from web3 import Web3

from tests.sequencer.seq_helpers import INCREMENT, NUMBER, CliDevnet, Rpc, counter_deploy_data, sign, wait_for

BUNDLES_PER_WRITER = 40
WRITERS = (1, 2)  # dev accounts sending bundles, each from its own thread


def _deploy(rpc: Rpc, cid: int) -> str:
    raw, h = sign(cid, 9, 0, data=counter_deploy_data(0), gas=1_000_000)
    rpc.call("eth_sendRawTransaction", raw)
    return wait_for(lambda: rpc.receipt(h), what="deployment receipt")["contractAddress"]


def test_concurrent_readers_never_see_half_a_bundle() -> None:
    with CliDevnet(chains=(901, 902)) as node:
        setup = {cid: node.rpc(cid) for cid in (901, 902)}
        counter = _deploy(setup[901], 901)
        assert _deploy(setup[902], 902) == counter  # same deployer, same nonce: same address
        target = Web3.to_checksum_address(counter)

        done = threading.Event()
        failures: list[str] = []
        stats: dict[str, Any] = {"pinned": 0, "ordered": 0, "values": set()}
        bundles: list[tuple[str, str]] = []
        lock = threading.Lock()

        def writer(account: int) -> None:
            client = Rpc(node.urls[901])
            try:
                for nonce in range(BUNDLES_PER_WRITER):
                    raw_a, h_a = sign(901, account, nonce, to=counter, data=INCREMENT, gas=100_000)
                    raw_b, h_b = sign(902, account, nonce, to=counter, data=INCREMENT, gas=100_000)
                    status = client.call("xr_sendBundle", {"txs": [raw_a, raw_b]})
                    if status["status"] != "included":
                        failures.append(f"bundle {nonce} of account {account}: {status}")
                    with lock:
                        bundles.append((h_a, h_b))
            except Exception as exc:  # reported below, with the readers' findings
                failures.append(f"writer {account}: {exc!r}")
            finally:
                client.close()

        def reader(name: str, first: int) -> None:
            # two independent web3 clients, one per chain, each on its own keep-alive session
            w3 = {cid: Web3(Web3.HTTPProvider(node.urls[cid], request_kwargs={"timeout": 30})) for cid in (901, 902)}

            def value(cid: int, block: Any) -> int:
                return int.from_bytes(w3[cid].eth.call({"to": target, "data": NUMBER}, block_identifier=block), "big")

            other = 902 if first == 901 else 901
            try:
                while not done.is_set():
                    # same block number on both chains (= the same superblock): equal counters
                    height = w3[first].eth.block_number
                    a, b = value(first, height), value(other, height)
                    if a != b:
                        failures.append(f"{name}: at superblock {height} chain {first}={a}, chain {other}={b}")
                    # "latest" one after the other: the second read can be ahead, never behind
                    x = value(first, "latest")
                    y = value(other, "latest")
                    if y < x:
                        failures.append(f"{name}: read {first}={x} then {other}={y}: a leg was visible alone")
                    with lock:
                        stats["pinned"] += 1
                        stats["ordered"] += 1
                        stats["values"].add(a)
            except Exception as exc:
                failures.append(f"{name}: {exc!r}")

        readers = [threading.Thread(target=reader, args=(f"reader-{c}", c), daemon=True) for c in (901, 902)]
        writers = [threading.Thread(target=writer, args=(a,), daemon=True) for a in WRITERS]
        for t in readers + writers:
            t.start()
        deadline = time.monotonic() + 120
        for t in writers:
            t.join(max(1.0, deadline - time.monotonic()))
        done.set()
        for t in readers:
            t.join(30)
        assert not any(t.is_alive() for t in readers + writers), "a client thread hung"
        assert not failures, "\n".join(failures[:20])

        total = BUNDLES_PER_WRITER * len(WRITERS)
        assert len(bundles) == total
        assert setup[901].counter(counter) == setup[902].counter(counter) == total
        for h_a, h_b in bundles:
            assert setup[901].receipt(h_a)["blockNumber"] == setup[902].receipt(h_b)["blockNumber"]
        # the readers really overlapped the writers
        assert stats["pinned"] >= 10, stats
        assert len(stats["values"]) >= 3, f"readers saw only counter values {sorted(stats['values'])}"
        for client in setup.values():
            client.close()
