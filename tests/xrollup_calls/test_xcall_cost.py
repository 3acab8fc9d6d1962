"""The caller pays for the far side: the gas a request's execute uses on the destination is
burnt in the caller's own xcall frame (converted at the two chains' base fees), so it counts
against the caller's gas limit, is paid at its gas price, shows in eth_estimateGas, and a caller
that cannot cover it fails cleanly with nothing applied anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from eth_account import Account

from tests.support import served
from tests.xrollup_calls.xcall_helpers import A0, GWEI, K0, K1, KEYS, SEQUENCER, A, B, Net, deploy_shared, error_string

NOT_COVERED = "xrollup: gas left does not cover the far side's cost"
ITERATIONS = 2_000  # Counter.burnGas: about 330k gas on the far side


def burn_call(net: Net, iterations: int = ITERATIONS) -> bytes:
    return net.calldata("XCallProbe", "call", B, net.counter, net.calldata("Counter", "burnGas", iterations))


def execute_receipt(net: Net, receipt: dict) -> dict:
    """The destination's execute system transaction of the (single) xcall of ``receipt``."""
    [record] = receipt["xcalls"]
    assert record["destinationTxHash"] is not None
    dest = net.receipt(int(record["destinationChainId"], 16), record["destinationTxHash"])
    assert dest["from"].lower() == SEQUENCER.lower()
    return dest


def test_the_callers_balance_pays_for_the_far_side(net: Net) -> None:
    data = burn_call(net)
    estimate = int(net.rpc(A, "eth_estimateGas", [{"from": A0, "to": net.probe, "data": "0x" + data.hex()}]), 16)
    before = net.balance(A, A0)
    receipt = net.send(A, K0, net.probe, data, gas=estimate)
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    dest = execute_receipt(net, receipt)
    far_gas, far_price = int(dest["gasUsed"], 16), int(dest["effectiveGasPrice"], 16)
    assert far_gas > 250_000  # the burn ran on 902, at the sequencer's expense there
    gas_used, price = int(receipt["gasUsed"], 16), int(receipt["effectiveGasPrice"], 16)
    # The caller's own transaction used the far side's gas (priced in wei: 902's base fee over
    # the caller's own gas price) on top of its own, and its balance paid for all of it: at
    # least what 902 charged the sequencer.
    base_b = int(net.block(B, int(dest["blockNumber"], 16), full=False)["baseFeePerGas"], 16)
    assert gas_used > -(-far_gas * base_b // price)
    assert before - net.balance(A, A0) == gas_used * price
    assert gas_used * price >= far_gas * far_price
    # eth_estimateGas included the far side: the transaction sent with exactly the estimate settled.
    # The estimate prices the far side gas for gas (it knows no gas price, as geth's estimate
    # runs at price 0); a sender paying at least 902's base fee burns no more than that, so the
    # estimate covers the transaction and exceeds it by at most the far side's gas.
    assert gas_used <= estimate <= (gas_used + far_gas) * 11 // 10, (estimate, gas_used, far_gas)
    net.assert_mailboxes_agree()


def test_a_busy_callers_chain_with_a_low_base_fee_still_reaches_an_idle_chain(net: Net) -> None:
    """Chains advance unevenly: a busy chain's base fee falls far below an idle chain's. The far
    side is priced in wei at the caller's own gas price, so a caller paying an ordinary price
    still covers it (a ratio of base fees would ask it for many times its gas limit)."""
    for _ in range(40):  # 40 nearly empty blocks on 901: its base fee falls by 12.5% each
        assert net.send(A, K1, A0, value=1, gas=21_000)["status"] == "0x1"
    base_a = int(net.block(A, "latest", full=False)["baseFeePerGas"], 16)
    base_b = int(net.block(B, "latest", full=False)["baseFeePerGas"], 16)
    assert base_a * 50 < base_b, (base_a, base_b)
    data = burn_call(net)
    estimate = int(net.rpc(A, "eth_estimateGas", [{"from": A0, "to": net.probe, "data": "0x" + data.hex()}]), 16)
    receipt = net.send(A, K0, net.probe, data, gas=estimate)
    assert receipt["status"] == "0x1", receipt.get("xrollupError")
    assert int(execute_receipt(net, receipt)["gasUsed"], 16) > 250_000  # the burn ran on 902


@pytest.mark.parametrize("caught", [False, True], ids=["call", "tryCall"])
def test_a_caller_that_cannot_cover_the_far_side_fails_cleanly(net: Net, caught: bool) -> None:
    inner = net.calldata("Counter", "burnGas", ITERATIONS)
    fn = "tryCall" if caught else "call"
    data = net.calldata("XCallProbe", fn, B, net.counter, inner)
    # The next block's base fee is 1 gwei on both chains and the caller pays exactly that (no
    # tip): the far side costs it gas for gas.
    net.rpc(A, "anvil_setNextBlockBaseFeePerGas", [hex(GWEI)])
    heads = {cid: net.rpc(cid, "eth_blockNumber") for cid in (A, B)}
    last_burn = net.view(B, "Counter", net.counter, "lastBurn")
    # The far side runs on at most the caller's gas limit and uses nearly all of it; the caller,
    # having spent some of its own, cannot cover that.
    tx = {"chainId": A, "nonce": net.nonce(A, A0), "gas": 300_000, "maxFeePerGas": GWEI, "maxPriorityFeePerGas": 0,
          "to": net.probe, "value": 0, "data": "0x" + data.hex(), "type": 2}
    tx_hash = net.rpc(A, "eth_sendRawTransaction", ["0x" + bytes(Account.sign_transaction(tx, K0).raw_transaction).hex()])
    receipt = net.receipt(A, tx_hash)
    if caught:  # the failure is the caller's to handle; nothing happened on 902
        assert receipt["status"] == "0x1"
        assert net.view(A, "XCallProbe", net.probe, "lastSuccess") is False
        assert net.view(A, "XCallProbe", net.probe, "lastReturn") == bytes.fromhex(error_string(NOT_COVERED)[2:])
    else:
        assert receipt["status"] == "0x0"
        assert receipt["xrollupError"] == {"chainId": hex(A), "reason": NOT_COVERED}
        err = net.rpc_error(A, "eth_call", [{"from": A0, "to": net.probe, "data": "0x" + data.hex(), "gas": hex(300_000)},
                                            "latest"])
        assert (err.code, err.message) == (3, f"execution reverted: {NOT_COVERED}")
    for number in range(int(heads[B], 16) + 1, int(net.rpc(B, "eth_blockNumber"), 16) + 1):
        assert net.block(B, number)["transactions"] == [], number  # no execute on 902
    assert net.view(B, "Counter", net.counter, "lastBurn") == last_burn
    net.assert_mailboxes_agree()


# -- the attack: 901's users burning 902's blocks --------------------------------------------------


@pytest.fixture(scope="module")
def interval() -> Iterator[Net]:
    """A devnet of 901 and 902 mining every second, as in the attack."""
    with served((A, B)) as server:
        n = Net(dict(server.devnet.urls))
        deploy_shared(n)  # automine for the set-up, then a block every second
        for cid in (A, B):
            n.rpc(cid, "evm_setIntervalMining", [1])
        yield n


def wait_receipt(net: Net, cid: int, tx_hash: str, timeout: float = 30) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        receipt = net.rpc(cid, "eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return dict(receipt)
        time.sleep(0.05)
    raise AssertionError(f"{tx_hash} not mined on {cid}")


def test_cheap_far_side_burns_leave_the_destination_to_its_users(interval: Net) -> None:
    net = interval
    inner = net.calldata("Counter", "burnGas", 3 * ITERATIONS)  # a 1M-gas burn
    attack = net.calldata("XCallProbe", "tryCall", B, net.counter, inner)
    attackers = KEYS[2:8]
    nonces = {key: net.nonce(A, Account.from_key(key).address) for key in attackers}
    first_b = int(net.rpc(B, "eth_blockNumber"), 16)
    hashes = []
    for round_ in range(2):  # 12 attack transactions, all pending at once
        for key in attackers:
            raw = net.sign(A, key, net.probe, attack, gas=300_000, nonce=nonces[key] + round_)
            hashes.append(net.rpc(A, "eth_sendRawTransaction", [raw]))
    user = Account.from_key(K1).address
    tx = {"chainId": B, "nonce": net.nonce(B, user), "gas": 21_000, "maxFeePerGas": 200 * GWEI,
          "maxPriorityFeePerGas": 50 * GWEI, "to": A0, "value": 1, "type": 2}
    transfer = net.rpc(B, "eth_sendRawTransaction", ["0x" + bytes(Account.sign_transaction(tx, K1).raw_transaction).hex()])
    head_b = int(net.rpc(B, "eth_blockNumber"), 16)  # the transfer is pending or in a block already
    receipts = [wait_receipt(net, A, h) for h in hashes]
    mined = wait_receipt(net, B, transfer)
    assert mined["status"] == "0x1"
    # The user's transfer is in the first block 902 mined after it was sent. A far side runs on
    # no more gas than its caller's limit (300k, against the 1M burn it asks for) and the
    # caller pays for it in wei at 902's base fee: no 902 block is filled by 901's users.
    assert int(mined["blockNumber"], 16) <= head_b + 1
    for number in range(first_b + 1, int(net.rpc(B, "eth_blockNumber"), 16) + 1):
        block = net.block(B, number)
        executes = [t for t in block["transactions"] if t["from"].lower() == SEQUENCER.lower()]
        assert all(int(t["gas"], 16) <= 300_000 for t in executes), number
        assert int(block["gasUsed"], 16) < int(block["gasLimit"], 16) // 2, number
    assert all(r["status"] == "0x1" for r in receipts)  # each caught the far side's failure
    assert net.view(B, "Counter", net.counter, "lastBurn") == 0  # no 1M-gas burn ever completed
