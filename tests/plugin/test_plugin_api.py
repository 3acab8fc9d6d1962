"""xrollup.api.Devnet: the in-process devnet, its web3.py provider, deploy, bundles, snapshots,
and serve() putting the same devnet behind real HTTP endpoints."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    Web3RPCError,
)

from bridge_contracts import load_artifact
from tests.support import Rpc
from xrollup.api import Devnet

ETH = 10**18


@pytest.fixture(scope="module")
def net() -> Iterator[Devnet]:
    with Devnet(chains=[901, 902]) as devnet:
        yield devnet


@pytest.fixture(autouse=True)
def clean(net: Devnet) -> Iterator[None]:
    with net.isolated():
        yield


def test_startup_is_fast(capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    devnet = Devnet(chains=[901, 902])
    assert devnet.w3(901).eth.chain_id == 901
    elapsed = time.perf_counter() - t0
    try:
        assert devnet.w3(902).eth.chain_id == 902
        assert not devnet.serving and devnet.urls == {}
    finally:
        devnet.close()
    with capsys.disabled():
        print(f"\nxrollup.api.Devnet start-up (construct + first eth_chainId): {elapsed * 1000:.0f} ms")
    assert elapsed < 3.0  # ~50-100 ms on a laptop; generous for loaded CI machines


def test_web3_per_chain_and_accounts(net: Devnet) -> None:
    assert net.chain_ids == (901, 902)
    assert {cid: w.eth.chain_id for cid, w in net.web3.items()} == {901: 901, 902: 902}
    assert net.w3() is net.w3(901)  # the first chain by default, one Web3 per chain
    assert len(net.accounts) == 10
    assert net.accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    w3 = net.w3(902)
    assert w3.eth.default_account == net.accounts[0].address
    assert w3.eth.get_balance(net.accounts[9].address) == 10_000 * ETH
    assert w3.is_connected()
    with pytest.raises(ValueError, match="no chain 903"):
        net.w3(903)


def test_deploy_call_transact(net: Devnet) -> None:
    counter = net.deploy("Counter", 7, chain=902)
    w3 = net.w3(902)
    assert counter.w3 is w3 and w3.eth.get_code(counter.address) != b""
    assert net.w3(901).eth.get_code(counter.address) == b""  # only on 902
    assert counter.functions.number().call() == 7
    tx = counter.functions.increment().transact()  # default account: dev account 0
    receipt = w3.eth.get_transaction_receipt(tx)  # automine: mined before transact() returned
    assert receipt["status"] == 1
    (event,) = counter.events.Incremented().process_receipt(receipt)
    assert event["args"]["newValue"] == 8 and event["args"]["by"] == net.accounts[0].address
    counter.functions.setNumber(40).transact({"from": net.accounts[3].address})
    assert counter.functions.number().call() == 40
    # an artifact dict works too, and a sender given by index
    again = net.deploy(load_artifact("Counter"), 1, chain=901, sender=2)
    assert again.functions.number().call() == 1
    assert net.w3(901).eth.get_transaction_count(net.accounts[2].address) == 1
    with pytest.raises(ValueError, match="no creation code"):
        net.deploy("IERC20")


def test_deploy_signed_locally_by_a_foreign_account(net: Devnet) -> None:
    stranger = Account.create()
    w3 = net.w3(901)
    w3.eth.send_transaction({"to": stranger.address, "value": ETH})
    counter = net.deploy("Counter", 3, sender=stranger)
    assert counter.functions.number().call() == 3
    assert w3.eth.get_transaction_count(stranger.address) == 1


def test_reverts_surface_as_web3_exceptions(net: Devnet) -> None:
    counter = net.deploy("Counter", 0)
    with pytest.raises(ContractLogicError, match="execution reverted: Counter: boom") as info:
        counter.functions.failWithReason().call()
    assert info.value.data.startswith("0x08c379a0")  # Error(string), as the HTTP endpoint returns it
    with pytest.raises(ContractCustomError):
        counter.functions.failWithCustom(5).call()
    with pytest.raises(ContractPanicError):
        counter.functions.failWithPanic().call()
    with pytest.raises(ContractLogicError, match="Counter: boom"):  # transact estimates gas first
        counter.functions.failWithReason().transact()
    # a reverting transaction mined anyway (explicit gas): status 0
    tx = counter.functions.requirePositive(0).transact({"gas": 100_000})
    assert net.w3().eth.get_transaction_receipt(tx)["status"] == 0
    # a rejected transaction: the server's -32003
    with pytest.raises(Web3RPCError, match="nonce too low") as rejected:
        net.w3().eth.send_transaction({"to": counter.address, "nonce": 0, "gas": 50_000})
    assert rejected.value.rpc_response["error"]["code"] == -32003


def test_snapshot_and_revert(net: Devnet) -> None:
    counter = net.deploy("Counter", 1, chain=901)
    other = net.deploy("Counter", 1, chain=902)
    height = net.superblock()["number"]
    snap = net.snapshot()
    counter.functions.setNumber(5).transact()
    other.functions.setNumber(6).transact()
    assert (counter.functions.number().call(), other.functions.number().call()) == (5, 6)
    assert net.revert(snap) is True
    assert (counter.functions.number().call(), other.functions.number().call()) == (1, 1)
    assert net.superblock()["number"] == height
    assert net.revert(snap) is False  # consumed
    assert net.mine(3) == int(height, 16) + 3


def _increment(net: Devnet, contract: Any, chain: int, **extra: Any) -> dict[str, Any]:
    return {"chainId": chain, "to": contract.address, "data": contract.encode_abi("increment", []), **extra}


def test_send_bundle_across_two_chains(net: Devnet) -> None:
    a = net.deploy("Counter", 0, chain=901)
    b = net.deploy("Counter", 10, chain=902)
    status = net.send_bundle([_increment(net, a, 901), _increment(net, b, 902), _increment(net, a, 901)])
    assert status["status"] == "included"
    number = int(status["superblock"], 16)
    assert (a.functions.number().call(), b.functions.number().call()) == (2, 11)
    sb = net.superblock(number)
    assert sb is not None and status["bundleHash"] in sb["bundles"]
    counts = {int(blk["chainId"], 16): int(blk["transactionCount"], 16) for blk in sb["blocks"]}
    assert counts == {901: 2, 902: 1}
    legs = status["legs"]
    assert [leg["chainId"] for leg in legs] == [901, 902, 901]
    for leg in legs:
        receipt = net.w3(leg["chainId"]).eth.get_transaction_receipt(leg["txHash"])
        in_sb = {int(blk["chainId"], 16): int(blk["number"], 16) for blk in sb["blocks"]}
        assert receipt["status"] == 1 and receipt["blockNumber"] == in_sb[leg["chainId"]]  # one superblock


def test_failed_bundle_changes_nothing(net: Devnet) -> None:
    a = net.deploy("Counter", 0, chain=901)
    b = net.deploy("Counter", 0, chain=902)
    failing = {"chainId": 902, "to": b.address, "data": b.encode_abi("failWithReason", []), "gas": 100_000}
    with pytest.raises(Web3RPCError, match="Counter: boom") as info:
        net.send_bundle([_increment(net, a, 901), failing])
    error = info.value.rpc_response["error"]
    assert error["code"] == 3 and error["data"]["failedLeg"] == 1 and error["data"]["chainId"] == 902
    assert a.functions.number().call() == 0  # the first leg did not happen either
    # allowed to revert (by index): the bundle goes in
    status = net.send_bundle([_increment(net, a, 901), failing], reverting=[1])
    assert status["status"] == "included" and a.functions.number().call() == 1


def test_send_bundle_of_raw_transactions(net: Devnet) -> None:
    c = net.deploy("Counter", 0, chain=902)
    raw = net.sign(_increment(net, c, 902, **{"from": net.accounts[5]}))
    status = net.send_bundle([raw])
    assert status["status"] == "included" and c.functions.number().call() == 1


def test_serve_exposes_the_same_devnet_over_http(net: Devnet) -> None:
    counter = net.deploy("Counter", 21, chain=902)
    urls = net.serve()
    assert set(urls) == {901, 902} and net.serving and net.serve() == urls  # idempotent
    http = Web3(Web3.HTTPProvider(urls[902]))
    assert http.eth.chain_id == 902
    remote = http.eth.contract(address=counter.address, abi=counter.abi)
    assert remote.functions.number().call() == 21
    remote.functions.increment().transact({"from": net.accounts[1].address})
    assert counter.functions.number().call() == 22  # in-process sees the HTTP client's write
    counter.functions.increment().transact()
    assert remote.functions.number().call() == 23
    with Rpc(urls[901], timeout=10) as raw:
        assert raw.request("xr_blockNumber")["result"] == net.superblock()["number"]


def test_batch_requests(net: Devnet) -> None:
    w3 = net.w3(902)
    with w3.batch_requests() as batch:
        batch.add(w3.eth.get_block(0))
        batch.add(w3.eth.get_balance(net.accounts[0].address))
        batch.add(w3.eth.get_block_number())
        block, balance, number = batch.execute()
    assert block["number"] == 0 and balance > 0 and number >= 0


def test_async_web3(net: Devnet) -> None:
    counter = net.deploy("Counter", 9, chain=902)

    async def main() -> tuple[int, int]:
        aw3 = net.async_w3(902)
        c = aw3.eth.contract(address=counter.address, abi=counter.abi)
        await c.functions.increment().transact()
        return await aw3.eth.chain_id, await c.functions.number().call()

    assert asyncio.run(main()) == (902, 10)


def test_isolated_restores_mode_coinbase_and_impersonation(net: Devnet) -> None:
    w3 = net.w3()
    coinbase = net.request("eth_coinbase")
    whale = Web3.to_checksum_address("0x" + "ab" * 20)
    with net.isolated():
        net.request("evm_setAutomine", [False])
        net.request("anvil_setCoinbase", ["0x" + "11" * 20])
        net.request("anvil_impersonateAccount", [whale])
        w3.eth.send_transaction({"to": whale, "value": 1})  # pooled, not mined
        assert net.request("anvil_getAutomine") is False
    assert net.request("anvil_getAutomine") is True
    assert net.request("eth_coinbase") == coinbase
    assert net.request("txpool_status")["pending"] == "0x0"
    with pytest.raises(Web3RPCError, match="not a dev account and not impersonated"):
        w3.eth.send_transaction({"from": whale, "to": whale, "value": 0, "gas": 21_000})


def test_calls_from_the_devnet_thread_fail_fast(net: Devnet) -> None:
    errors: list[BaseException] = []

    def on_pending(chain_id: int, tx_hash: bytes) -> None:  # a sequencer listener: the loop thread
        try:
            net.w3().eth.block_number  # noqa: B018
        except RuntimeError as exc:
            errors.append(exc)

    listeners = net.core.sequencer.pending_listeners
    listeners.append(on_pending)
    try:
        net.w3().eth.send_transaction({"to": net.accounts[1].address, "value": 1})
    finally:
        listeners.remove(on_pending)
    assert len(errors) == 1 and "own event-loop thread" in str(errors[0])


def test_usable_from_other_threads(net: Devnet) -> None:
    results: list[int] = []
    threads = [threading.Thread(target=lambda c=c: results.append(net.new_w3(c).eth.chain_id)) for c in (901, 902) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [901] * 4 + [902] * 4


def test_closed_devnet() -> None:
    devnet = Devnet(chains=[905])
    w3 = devnet.w3()
    assert w3.eth.chain_id == 905
    devnet.close()
    devnet.close()  # idempotent
    assert not w3.is_connected()
    with pytest.raises(ProviderConnectionError, match="closed"):
        w3.eth.chain_id  # noqa: B018
    with pytest.raises(RuntimeError, match="closed"):
        devnet.snapshot()
    assert "closed" in repr(devnet)


def test_interval_mining_runs_in_process() -> None:
    with Devnet(chains=[901], block_time=0.05) as devnet:
        deadline = time.monotonic() + 10
        while devnet.w3().eth.block_number < 3:
            assert time.monotonic() < deadline, "interval mining did not mine"
            time.sleep(0.02)


def test_serve_on_a_taken_port_fails_and_leaves_the_devnet_usable() -> None:
    with socket.socket() as taken, Devnet(chains=[901]) as devnet:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            devnet.serve(port=taken.getsockname()[1])
        assert not devnet.serving and devnet.urls == {}
        w3 = devnet.w3()
        w3.eth.send_transaction({"to": devnet.accounts[1].address, "value": 1})
        assert w3.eth.block_number == 1  # automine still on
        urls = devnet.serve()
        assert Web3(Web3.HTTPProvider(urls[901])).eth.block_number == 1


def test_isolated_undoes_a_reset(net: Devnet) -> None:
    counter = net.deploy("Counter", 5, chain=902)
    height = net.superblock()["number"]
    with net.isolated():
        net.request("anvil_reset")
        assert net.w3(902).eth.get_code(counter.address) == b""
        net.w3(901).eth.send_transaction({"to": net.accounts[1].address, "value": 1})
    assert counter.functions.number().call() == 5
    assert net.superblock()["number"] == height
    counter.functions.increment().transact()  # mining works on the restored sequencer
    assert counter.functions.number().call() == 6
