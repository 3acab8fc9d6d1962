"""chains.engine: choosing it, running on it, and leaving everybody else's py-evm alone.

- A process that imports xrollup and runs a devnet on the fast engine still builds stock py-evm
  chains with stock classes (py-trie's HexaryTrie, unpatched; eth-hash's own backend; no
  stand-in modules), and they make the same blocks as in a process that never saw xrollup.
- ``XROLLUP_ENGINE=plain`` runs the devnet on stock py-evm, and it makes the same blocks, hash
  for hash, as the fast engine for the same transactions (transfers, deployments, a
  cross-rollup call).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth.db.account import AccountDB
from eth.vm.forks.prague import PragueVM

from chains.engine import ENV_VAR, FAST, PLAIN, select
from chains.engine.accounts import FastAccountDB
from chains.engine.evm import RollupVM
from chains.errors import UnknownEngine

ROOT = Path(__file__).resolve().parents[2]

# A stock py-evm chain (PragueVM on AtomicDB, as eth-tester and dapp tests build them): a
# deployment whose init code stores keccak(42) (KECCAK256 and a storage trie), then a transfer.
STOCK_CHAIN = """
def stock_chain():
    from eth.chains.base import MiningChain
    from eth.db.account import AccountDB
    from eth.db.atomic import AtomicDB
    from eth.vm.forks.prague import PragueVM
    from eth_keys import keys
    from trie import HexaryTrie

    key = keys.PrivateKey(b"\\x01" * 32)
    sender = key.public_key.to_canonical_address()
    chain_class = MiningChain.configure(__name__="StockChain", vm_configuration=((0, PragueVM),), chain_id=1337)
    params = {"difficulty": 0, "gas_limit": 30_000_000, "timestamp": 1_000, "base_fee_per_gas": 10**9,
              "extra_data": b"stock"}
    chain = chain_class.from_genesis(AtomicDB(), params, {sender: {"balance": 10**20, "nonce": 0, "code": b"",
                                                                   "storage": {}}})
    vm = chain.get_vm()
    init = bytes.fromhex("602a5f5260205f2060015500")  # SSTORE(1, keccak(mem[0:32] = 42)); STOP
    txs = [vm.create_unsigned_transaction(nonce=0, gas_price=2 * 10**9, gas=100_000, to=b"", value=0,
                                          data=init).as_signed_transaction(key, chain_id=1337),
           vm.create_unsigned_transaction(nonce=1, gas_price=2 * 10**9, gas=21_000, to=b"\\x22" * 20, value=5,
                                          data=b"").as_signed_transaction(key, chain_id=1337)]
    result, _receipts, computations = chain.mine_all(txs, timestamp=1_012)
    assert not any(c.is_error for c in computations)
    state = chain.get_vm().state
    account_db = state._account_db
    assert type(state).__module__.startswith("eth.vm.forks.prague"), type(state)
    assert type(account_db) is AccountDB, type(account_db)
    assert type(account_db._trie._db) is HexaryTrie, type(account_db._trie._db)
    store = account_db._get_address_store(computations[0].msg.storage_address)
    assert type(store._storage_lookup._get_read_trie()) is HexaryTrie
    block = result.imported_block
    return {"state_root": block.header.state_root.hex(), "hash": block.hash.hex(),
            "slot": store.get(1).to_bytes(32, "big").hex()}
"""

WITH_XROLLUP = STOCK_CHAIN + """
import json, os, sys
from eth_hash.auto import keccak as auto_keccak

auto_keccak(b"settle")  # eth-hash picks its backend on first use, before xrollup is imported
hasher, preimage = auto_keccak.hasher, auto_keccak.preimage
environ = dict(os.environ)
import eth.db.account, eth.db.storage, trie
from trie import HexaryTrie
get_node, squash_changes = HexaryTrie.get_node, HexaryTrie.squash_changes

import xrollup
from xrollup.api import Devnet
from chains.engine import select

assert select().name == "fast"
with Devnet(chains=[901, 902]) as net:
    w3 = net.w3(901)
    tx = w3.eth.send_transaction({"from": net.accounts[0].address, "to": net.accounts[1].address, "value": 7})
    assert w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.02)["status"] == 1
    counter = net.deploy("Counter", 3, chain=902)
    tx = counter.functions.increment().transact({"from": net.accounts[0].address})
    assert net.w3(902).eth.wait_for_transaction_receipt(tx, poll_latency=0.02)["status"] == 1

    # nothing of py-evm, py-trie or eth-hash was replaced, and no stand-in module was loaded
    assert dict(os.environ) == environ, set(os.environ.items()) ^ set(environ.items())
    assert eth.db.account.HexaryTrie is trie.HexaryTrie and eth.db.storage.HexaryTrie is trie.HexaryTrie
    assert HexaryTrie.get_node is get_node and HexaryTrie.squash_changes is squash_changes
    assert auto_keccak.hasher is hasher and auto_keccak.preimage is preimage
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("eth", "trie", "rlp", "eth_hash", "py_ecc", "eth_utils"):
            spec = module.__spec__
            assert spec is not None and spec.name == name and spec.origin, f"stand-in module {name}"
    result = stock_chain()  # while the devnet is still open
print(json.dumps({"chain": result, "hasher": type(hasher.__self__).__name__}))
"""

WITHOUT_XROLLUP = STOCK_CHAIN + """
import json, sys
from eth_hash.auto import keccak as auto_keccak

auto_keccak(b"settle")
result = stock_chain()
assert not any(name == "xrollup" or name == "chains" or name.startswith(("xrollup.", "chains.")) for name in sys.modules)
print(json.dumps({"chain": result, "hasher": type(auto_keccak.hasher.__self__).__name__}))
"""


def _run(script: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, "ETH_HASH_BACKEND")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_devnet_leaves_py_evm_stock_for_everybody_else() -> None:
    """Import xrollup, run a devnet (a transfer, a deployment, a call), then build a stock py-evm
    chain in the same process: stock classes and hashes, the same block as without xrollup."""
    with_xrollup, without = _run(WITH_XROLLUP), _run(WITHOUT_XROLLUP)
    assert with_xrollup == without
    assert with_xrollup["chain"]["slot"] == "beced09521047d05b8960b7e7bcc1d1292cf3e4b2a6b63f48335cbde5f7545d2"  # keccak(42)


def test_select_reads_the_environment_when_called() -> None:
    assert select({}) is FAST and select({ENV_VAR: ""}) is FAST
    assert select({ENV_VAR: "fast"}) is FAST and select({ENV_VAR: "plain"}) is PLAIN
    assert (FAST.vm_class, FAST.account_db_class) == (RollupVM, FastAccountDB)
    assert (PLAIN.vm_class, PLAIN.account_db_class) == (PragueVM, AccountDB)
    with pytest.raises(UnknownEngine, match="XROLLUP_ENGINE='turbo' is not an engine: use one of fast, plain"):
        select({ENV_VAR: "turbo"})


def test_an_unknown_engine_stops_the_devnet_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from xrollup.devnet import Devnet

    monkeypatch.setenv(ENV_VAR, "turbo")
    with pytest.raises(UnknownEngine, match="XROLLUP_ENGINE='turbo'"):
        Devnet()


def test_the_cli_says_what_is_wrong_with_the_engine() -> None:
    env = dict(os.environ, **{ENV_VAR: "turbo"})
    done = subprocess.run([sys.executable, "-m", "xrollup.cli", "--port", "0", "--admin.port", "0", "--silent"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode != 0
    assert "XROLLUP_ENGINE='turbo' is not an engine: use one of fast, plain" in done.stderr


def _blocks(engine: str, monkeypatch: pytest.MonkeyPatch) -> dict[int, list[tuple[str, str]]]:
    """Every block's (hash, state root) of a two-chain devnet on ``engine`` after the same
    transfers, deployments and a cross-rollup call, each in its own superblock at a fixed time."""
    from xrollup.api import Devnet

    monkeypatch.setenv(ENV_VAR, engine)
    with Devnet(chains=[901, 902], genesis_timestamp=1_700_000_000) as net:
        assert {c.engine.name for c in net.core.sequencer.chains.values()} == {engine}
        a, b = net.w3(901), net.w3(902)
        clock = iter(range(1_700_000_012, 1_700_001_000, 12))

        def mined(w3: Any, send: Any) -> None:
            net.request("evm_setNextBlockTimestamp", [next(clock)], chain=901)
            assert w3.eth.wait_for_transaction_receipt(send(), poll_latency=0.02)["status"] == 1

        me, you = net.accounts[0].address, net.accounts[1].address
        mined(a, lambda: a.eth.send_transaction({"from": me, "to": you, "value": 5}))
        mined(b, lambda: b.eth.send_transaction({"from": you, "to": me, "value": 10**18}))
        net.request("evm_setNextBlockTimestamp", [next(clock)], chain=901)
        counter = net.deploy("Counter", 41, chain=902)
        net.request("evm_setNextBlockTimestamp", [next(clock)], chain=901)
        probe = net.deploy("XCallProbe", chain=901)
        increment = counter.encode_abi("increment")
        mined(a, lambda: probe.functions.call(902, counter.address, increment).transact({"from": me}))
        assert counter.functions.number().call() == 42  # the cross-rollup call reached chain 902
        mined(a, lambda: a.eth.send_transaction({"from": you, "to": "0x" + "33" * 20, "value": 3}))
        return {cid: [(bytes(blk["hash"]).hex(), bytes(blk["stateRoot"]).hex())
                      for blk in (net.w3(cid).eth.get_block(n) for n in range(net.w3(cid).eth.block_number + 1))]
                for cid in (901, 902)}


def test_plain_engine_makes_the_fast_engines_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = _blocks("fast", monkeypatch), _blocks("plain", monkeypatch)
    assert len(fast[901]) > 4 and len(fast[902]) > 2
    assert fast == plain


def test_the_engines_databases_have_py_evms_attributes() -> None:
    """FastAccountDB and FastAccountStorageDB build py-evm's pipes themselves, without
    super().__init__: they must set what py-evm's own __init__ sets, nothing less."""
    from eth.db.atomic import AtomicDB
    from eth.db.storage import AccountStorageDB

    from chains.engine.accounts import FastAccountStorageDB

    assert vars(FastAccountDB(AtomicDB())).keys() == vars(AccountDB(AtomicDB())).keys()
    ours, theirs = FastAccountStorageDB(AtomicDB(), b"\x00" * 32, b"\x01" * 20), AccountStorageDB(
        AtomicDB(), b"\x00" * 32, b"\x01" * 20)
    assert vars(ours).keys() == vars(theirs).keys()
    assert vars(ours._storage_lookup).keys() - {"_trie_class"} == vars(theirs._storage_lookup).keys()
