#!/usr/bin/env python3
"""The life of funds end to end: L1 -> rollup 901 -> atomic move to rollup 902 -> L1.

Starts its own devnet (chains 901 and 902 with their L1, every port free, ``--admin.port 0``),
then, as a fresh account funded on the L1:

1. deposits ETH into 901 through 901's OptimismPortal (``depositTransaction``); the deposit
   (type 0x7E) lands on 901 in the first superblock after its L1 block;
2. moves part of it to 902 atomically (``AtomicBridge.bridgeETH``: both chains' blocks in one
   superblock, or nothing anywhere);
3. withdraws part of that from 902 (``L2ToL1MessagePasser.initiateWithdrawal``), waits for the
   proposer to propose an output root covering it, proves it on the L1 with an ``eth_getProof``
   storage proof, shows that finalizing early is refused, fast-forwards the withdrawal delay
   with ``evm_increaseTime`` and finalizes it: the ETH arrives on the L1.

Each step prints its blocks, the head status of the rollup block involved (unsafe, safe,
finalized) and the account's balance on every chain. Exit status 0 when every step behaved.

    .venv/bin/python scripts/demo_roundtrip.py [--l1-block-time SECONDS] [--withdrawal-delay SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from _bench_common import xrollup_devnet
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound

from bridge_contracts import load_artifact
from chains.deposits import deposit_from_log
from settlement.contracts import oracle_address, portal_address

DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's account 0
ATOMIC_BRIDGE = "0x4200000000000000000000000000000000000101"
MESSAGE_PASSER = "0x4200000000000000000000000000000000000016"
ETH = 10**18
FUNDING, DEPOSIT, MOVE, WITHDRAW = 5 * ETH, 2 * ETH, ETH, ETH // 2
GWEI = 10**9


class Failed(Exception):
    pass


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise Failed(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


class Roundtrip:
    def __init__(self, l1_url: str, urls: dict[int, str]) -> None:
        self.l1 = Web3(Web3.HTTPProvider(l1_url, request_kwargs={"timeout": 60}))
        self.l2 = {cid: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60})) for cid, url in urls.items()}
        self.me = Account.create()
        self.portal = {cid: self.l1.eth.contract(to_checksum_address(portal_address(cid)),
                                                 abi=load_artifact("OptimismPortal")["abi"]) for cid in urls}
        self.oracle = {cid: self.l1.eth.contract(to_checksum_address(oracle_address(cid)),
                                                 abi=load_artifact("L2OutputOracle")["abi"]) for cid in urls}
        self.bridge = {cid: w3.eth.contract(ATOMIC_BRIDGE, abi=load_artifact("AtomicBridge")["abi"])
                       for cid, w3 in self.l2.items()}
        self.passer = {cid: w3.eth.contract(MESSAGE_PASSER, abi=load_artifact("L2ToL1MessagePasser")["abi"])
                       for cid, w3 in self.l2.items()}

    # ------------------------------------------------------------------ helpers

    def send(self, w3: Web3, tx: dict[str, Any], key: Any = None) -> Any:
        """Sign ``tx`` (the fresh account's unless ``key``), send it, return its receipt."""
        account = Account.from_key(key) if key else self.me
        tx = {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
              "chainId": w3.eth.chain_id, "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI, **tx}
        tx.setdefault("gas", w3.eth.estimate_gas(tx))
        signed = account.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
        if receipt["status"] != 1:
            raise Failed(f"transaction {receipt['transactionHash'].to_0x_hex()} failed")
        return receipt

    def status(self, cid: int, number: int) -> str:
        superblock = self.l2[cid].provider.make_request("xr_getSuperblockOfBlock", [hex(number), False])["result"]
        return f"chain {cid} block {number}: {superblock['status']}"

    def balances(self) -> str:
        parts = [f"L1 {self.l1.eth.get_balance(self.me.address) / ETH:.6f}"]
        parts += [f"{cid} {w3.eth.get_balance(self.me.address) / ETH:.6f}" for cid, w3 in self.l2.items()]
        return "balances (ETH): " + ", ".join(parts)

    def step(self, title: str, *lines: str) -> None:
        print(f"\n== {title}")
        for line in (*lines, self.balances()):
            print(f"   {line}")

    # ------------------------------------------------------------------ the steps

    def fund(self) -> None:
        receipt = self.send(self.l1, {"to": self.me.address, "value": FUNDING, "gas": 21_000}, key=DEV_KEY_0)
        self.step(f"0. a fresh account {self.me.address}, funded on the L1",
                  f"L1 block {receipt['blockNumber']}")

    def deposit(self, cid: int) -> int:
        call = self.portal[cid].functions.depositTransaction(self.me.address, 0, 100_000, False, b"")
        receipt = self.send(self.l1, call.build_transaction({"from": self.me.address, "value": DEPOSIT,
                                                             "gas": 200_000, "nonce": self.nonce(self.l1)}))
        log = next(entry for entry in receipt["logs"] if entry["address"] == self.portal[cid].address)
        deposit = deposit_from_log([bytes(t) for t in log["topics"]], bytes(log["data"]), bytes(receipt["blockHash"]),
                                   log["logIndex"])
        l2_hash = "0x" + deposit.hash.hex()
        l2_receipt = wait_for(f"deposit {l2_hash} on {cid}", lambda: self.receipt(cid, l2_hash))
        if l2_receipt["status"] != 1 or self.l2[cid].eth.get_transaction(l2_hash)["type"] != 0x7E:
            raise Failed("the deposit did not land as a successful 0x7E transaction")
        self.step(f"1. deposit {DEPOSIT / ETH} ETH from the L1 into {cid}",
                  f"L1 block {receipt['blockNumber']} (portal {self.portal[cid].address})",
                  f"{self.status(cid, l2_receipt['blockNumber'])}, deposit transaction {l2_hash} (type 0x7e)")
        return int(l2_receipt["blockNumber"])

    def move(self, src: int, dst: int) -> None:
        w3 = self.l2[src]
        call = self.bridge[src].functions.bridgeETH(self.me.address, dst)
        receipt = self.send(w3, call.build_transaction({"from": self.me.address, "value": MOVE, "gas": 1_000_000,
                                                        "nonce": self.nonce(w3)}))
        superblock = w3.provider.make_request("xr_getSuperblockOfBlock", [hex(receipt["blockNumber"]), False])["result"]
        blocks = ", ".join(f"chain {int(b['chainId'], 16)} block {int(b['number'], 16)}" for b in superblock["blocks"])
        self.step(f"2. move {MOVE / ETH} ETH from {src} to {dst} atomically (AtomicBridge.bridgeETH)",
                  f"superblock {int(superblock['number'], 16)}: {blocks}",
                  self.status(src, receipt["blockNumber"]))

    def withdraw(self, cid: int) -> None:
        w3 = self.l2[cid]
        call = self.passer[cid].functions.initiateWithdrawal(self.me.address, 100_000, b"")
        receipt = self.send(w3, call.build_transaction({"from": self.me.address, "value": WITHDRAW, "gas": 200_000,
                                                        "nonce": self.nonce(w3)}))
        event = self.passer[cid].events.MessagePassed().process_receipt(receipt)[0]["args"]
        number = int(receipt["blockNumber"])
        self.step(f"3. withdraw {WITHDRAW / ETH} ETH from {cid} (L2ToL1MessagePasser.initiateWithdrawal)",
                  f"{self.status(cid, number)}, withdrawal hash {event['withdrawalHash'].hex()}")

        oracle = self.oracle[cid]
        wait_for("the output proposal", lambda: oracle.functions.latestBlockNumber().call() >= number)
        index = oracle.functions.getL2OutputIndexAfter(number).call()
        output = oracle.functions.getL2Output(index).call()  # (outputRoot, timestamp, l2BlockNumber)
        self.step("4. the proposer proposed an output root covering it",
                  f"output {index}: chain {cid} block {output[2]}, root {output[0].hex()}", self.status(cid, number))

        withdrawal = (event["nonce"], event["sender"], event["target"], event["value"], event["gasLimit"],
                      event["data"])
        slot = keccak(encode(["bytes32", "uint256"], [event["withdrawalHash"], 0]))
        proof = w3.eth.get_proof(MESSAGE_PASSER, ["0x" + slot.hex()], output[2])
        block = w3.eth.get_block(output[2])
        root_proof = (b"\x00" * 32, bytes(block["stateRoot"]), bytes(proof["storageHash"]), bytes(block["hash"]))
        prove = self.portal[cid].functions.proveWithdrawalTransaction(
            withdrawal, index, root_proof, [bytes(node) for node in proof["storageProof"][0]["proof"]])
        receipt = self.send(self.l1, prove.build_transaction({"from": self.me.address, "gas": 1_000_000,
                                                              "nonce": self.nonce(self.l1)}))
        self.step("5. proven on the L1 (eth_getProof of sentMessages[withdrawalHash])",
                  f"L1 block {receipt['blockNumber']}")

        finalize = self.portal[cid].functions.finalizeWithdrawalTransaction(withdrawal)
        try:
            finalize.call({"from": self.me.address})
            raise Failed("finalizing before the withdrawal delay was not refused")
        except ContractLogicError as exc:
            early = exc.message
        delay = oracle.functions.FINALIZATION_PERIOD_SECONDS().call()
        self.l1.provider.make_request("evm_increaseTime", [delay + 1])
        self.l1.provider.make_request("evm_mine", [])
        before = self.l1.eth.get_balance(self.me.address)
        receipt = self.send(self.l1, finalize.build_transaction({"from": self.me.address, "gas": 500_000,
                                                                 "nonce": self.nonce(self.l1)}))
        finalized = self.portal[cid].events.WithdrawalFinalized().process_receipt(receipt)[0]["args"]
        fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        arrived = self.l1.eth.get_balance(self.me.address) - before + fee
        if not finalized["success"] or arrived != WITHDRAW:
            raise Failed(f"the withdrawal did not pay out: success {finalized['success']}, {arrived} wei")
        self.step(f"6. finalized after the {delay} s delay (fast-forwarded with evm_increaseTime)",
                  f"finalizing early was refused: {early}",
                  f"L1 block {receipt['blockNumber']}: {arrived / ETH} ETH arrived on the L1",
                  self.status(cid, number))

    def nonce(self, w3: Web3) -> int:
        return int(w3.eth.get_transaction_count(self.me.address, "pending"))

    def receipt(self, cid: int, tx_hash: str) -> Any:
        try:
            return self.l2[cid].eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None


def run(args: argparse.Namespace) -> int:
    extra = ["--l1.block-time", str(args.l1_block_time), "--withdrawal-delay", str(args.withdrawal_delay)]
    with xrollup_devnet((901, 902), extra=extra) as server:
        urls = dict(zip((901, 902), server.urls, strict=True))
        l1_url = Web3(Web3.HTTPProvider(urls[901])).provider.make_request("xr_chains", [])["result"][0]["l1"]["rpcUrl"]
        print(f"devnet: 901 {urls[901]}, 902 {urls[902]}, L1 {l1_url}")
        trip = Roundtrip(l1_url, urls)
        try:
            trip.fund()
            trip.deposit(901)
            trip.move(901, 902)
            trip.withdraw(902)
        except Failed as exc:
            print(f"\nFAILED: {exc}")
            return 1
    print("\nthe round trip is complete: L1 -> 901 -> 902 -> L1")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--l1-block-time", type=float, default=2.0, help="the devnet's --l1.block-time (default: 2)")
    ap.add_argument("--withdrawal-delay", type=int, default=12, help="the devnet's --withdrawal-delay (default: 12)")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run(parse_args()))
