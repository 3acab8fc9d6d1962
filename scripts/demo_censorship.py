#!/usr/bin/env python3
"""A censoring sequencer, and the user's way out through the L1, with web3.py.

The sequencer censors a user on chain 902. The user forces a withdrawal of their funds on 902
through the L1: a deposit transaction sent to 902's OptimismPortal that calls
L2ToL1MessagePasser.initiateWithdrawal on 902. The sequencer holds it while it may; once the
sequencing window has passed, derivation includes it anyway. The user then proves the
withdrawal against the output root the proposer put on the L1, waits out the finalization
period (fast-forwarded with evm_increaseTime) and finalizes it: the ETH is on the L1.

    xrollup --sequencing-window 4 &             # the rollups on :9545.., the L1 on :8545
    python scripts/demo_censorship.py [--rpc URL] [--rpc-l1 URL] [--private-key KEY]

Every step prints what happened, the L1 block and the time since the start. Exit status 0
when the withdrawal was forced in no earlier than its deadline and paid out on the L1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from bridge_contracts import load_artifact

USER_KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"  # anvil's account 4
MESSAGE_PASSER = to_checksum_address("0x4200000000000000000000000000000000000016")
FUNDS = 10**18  # what the user brings to 902 through the portal, then forces out
WITHDRAWAL_GAS = 100_000
DEPOSIT_GAS = 300_000
POLL = 0.2


class Demo:
    def __init__(self, rpc: str, rpc_l1: str, key: str, timeout: float) -> None:
        self.l2 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
        self.l1 = Web3(Web3.HTTPProvider(rpc_l1, request_kwargs={"timeout": 60}))
        self.user = Account.from_key(key)
        self.timeout = timeout
        self.started = time.monotonic()
        self.chain_id = self.l2.eth.chain_id
        entry = next(c for c in self._raw(self.l2, "xr_chains") if int(str(c["chainId"]), 0) == self.chain_id)
        self.portal = self.l1.eth.contract(address=entry["l1"]["OptimismPortalProxy"],
                                           abi=load_artifact("OptimismPortal")["abi"])
        self.oracle = self.l1.eth.contract(address=entry["l1"]["L2OutputOracleProxy"],
                                           abi=load_artifact("L2OutputOracle")["abi"])
        self.passer = self.l2.eth.contract(address=MESSAGE_PASSER, abi=load_artifact("L2ToL1MessagePasser")["abi"])

    # -- plumbing -------------------------------------------------------------------------

    @staticmethod
    def _raw(w3: Web3, method: str, *params: Any) -> Any:
        reply = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.2f} s | L1 block {self.l1.eth.block_number:>4}] {text}", flush=True)

    def wait(self, what: str, check: Callable[[], Any]) -> Any:
        end = time.monotonic() + self.timeout
        while not (value := check()):
            if time.monotonic() > end:
                raise RuntimeError(f"gave up waiting for {what}")
            time.sleep(POLL)
        return value

    def send_l1(self, call: Any, value: int = 0) -> Any:
        tx = call.build_transaction({"from": self.user.address, "value": value,
                                     "nonce": self.l1.eth.get_transaction_count(self.user.address, "pending")})
        signed = self.user.sign_transaction(tx)
        receipt = self.l1.eth.wait_for_transaction_receipt(self.l1.eth.send_raw_transaction(signed.raw_transaction),
                                                           timeout=self.timeout)
        if receipt["status"] != 1:
            raise RuntimeError(f"L1 transaction {receipt['transactionHash'].to_0x_hex()} reverted")
        return receipt

    def l2_receipt(self, tx_hash: str) -> Any:
        return self._raw(self.l2, "eth_getTransactionReceipt", tx_hash)

    # -- the story ------------------------------------------------------------------------

    def run(self) -> bool:
        me = self.user.address
        self.say(f"user {me}; chain {self.chain_id}; portal {self.portal.address} on the L1")
        start_l1 = self.l1.eth.get_balance(me)

        # 1. the user brings funds to the rollup through the portal (a deposit, included at once)
        receipt = self.send_l1(self.portal.functions.depositTransaction(me, FUNDS, WITHDRAWAL_GAS, False, b""), FUNDS)
        forced = self._raw(self.l2, "xr_getForcedInclusion", receipt["transactionHash"].to_0x_hex())["deposits"][0]
        self.wait("the deposit on the rollup", lambda: self.l2_receipt(forced["depositHash"]))
        self.say(f"1. deposited {FUNDS / 10**18} ETH into {self.chain_id} (L1 block {receipt['blockNumber']}): "
                 f"balance on {self.chain_id} {self.l2.eth.get_balance(me) / 10**18} ETH")

        # 2. the sequencer starts censoring the user
        fault = self._raw(self.l2, "xr_setFault", {"kind": "censor", "senders": [me]})
        self.say(f"2. the sequencer censors {me} (fault {fault['id']})")
        tx = self.user.sign_transaction({"chainId": self.chain_id, "nonce": self.l2.eth.get_transaction_count(me),
                                         "to": me, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10,
                                         "maxPriorityFeePerGas": 10**9})
        censored = self.l2.eth.send_raw_transaction(tx.raw_transaction).to_0x_hex()
        time.sleep(1)
        self.say(f"   a plain transaction of the user on {self.chain_id}: {censored} is "
                 f"{'PENDING' if self.l2_receipt(censored) is None else 'included (UNEXPECTED)'}")

        # 3. the escape: a deposit transaction that calls initiateWithdrawal on the rollup
        call = self.passer.encode_abi("initiateWithdrawal", [me, WITHDRAWAL_GAS, b""])
        receipt = self.send_l1(self.portal.functions.depositTransaction(MESSAGE_PASSER, FUNDS, DEPOSIT_GAS, False,
                                                                        bytes.fromhex(call[2:])))
        l1_tx = receipt["transactionHash"].to_0x_hex()
        info = self._raw(self.l2, "xr_getForcedInclusion", l1_tx)["deposits"][0]
        self.say(f"3. forced withdrawal sent through the L1 portal: L1 tx {l1_tx} in L1 block {info['l1Block']}, "
                 f"deposit {info['depositHash']} on {self.chain_id}, deadline L1 block {info['deadline']} "
                 f"(window {info['window']})")
        # meanwhile someone else (not censored) pays the user on the rollup: the hand-off shows it
        payer = self.l2.eth.accounts[0]
        paid = self._raw(self.l2, "eth_sendTransaction", {"from": payer, "to": me, "value": hex(FUNDS // 2)})
        self.say(f"   meanwhile {payer} pays the user {FUNDS / 2 / 10**18} ETH on {self.chain_id}: {paid} "
                 f"{'included' if self.l2_receipt(paid) else 'pending'}")
        last_seen = -1
        while (landed := self.l2_receipt(info["depositHash"])) is None:
            head = self.l1.eth.block_number
            if head != last_seen:
                self.say(f"   L1 block {head}: still held by the sequencer ({info['deadline'] - head} to go)")
                last_seen = head
            if time.monotonic() - self.started > self.timeout:
                raise RuntimeError("the forced withdrawal never landed")
            time.sleep(POLL)
        info = self._raw(self.l2, "xr_getForcedInclusion", l1_tx)["deposits"][0]
        on_time = info["l1HeadAtInclusion"] is not None and info["l1HeadAtInclusion"] + 1 >= info["deadline"]
        self.say(f"4. the withdrawal LANDED in block {int(landed['blockNumber'], 16)} of {self.chain_id} "
                 f"(superblock {info['superblock']}), included by {info['includedBy']}, at the deadline: "
                 f"{'yes' if on_time else 'NO (UNEXPECTED)'}; status {landed['status']}; "
                 f"hand-off: {len(info['handoff'])} transaction(s) touched the same accounts in between")
        for item in info["handoff"]:
            self.say(f"   hand-off: {item['hash']} (block {item['block']}, from {item['from']}) touched "
                     f"{', '.join(item['touched'])}; after it: {item['effects']['post']}")

        # 5. prove it on the L1 against a proposed output root
        passed = self.passer.events.MessagePassed().process_log(next(
            log for log in self.l2.eth.get_transaction_receipt(info["depositHash"])["logs"]
            if log["address"] == MESSAGE_PASSER))["args"]
        withdrawal = (passed["nonce"], passed["sender"], passed["target"], passed["value"], passed["gasLimit"],
                      passed["data"])
        number = int(landed["blockNumber"], 16)
        self.wait("an output root proposed for the withdrawal's block",
                  lambda: self.oracle.functions.latestBlockNumber().call() >= number)
        index = self.oracle.functions.getL2OutputIndexAfter(number).call()
        proposed = self.oracle.functions.getL2Output(index).call()[2]
        slot = keccak(encode(["bytes32", "uint256"], [passed["withdrawalHash"], 0]))
        proof = self._raw(self.l2, "eth_getProof", MESSAGE_PASSER, ["0x" + slot.hex()], hex(proposed))
        block = self.l2.eth.get_block(proposed)
        output = (b"\x00" * 32, bytes(block["stateRoot"]), bytes.fromhex(proof["storageHash"][2:]), bytes(block["hash"]))
        storage_proof = [bytes.fromhex(node[2:]) for node in proof["storageProof"][0]["proof"]]
        self.send_l1(self.portal.functions.proveWithdrawalTransaction(withdrawal, index, output, storage_proof))
        self.say(f"5. proven on the L1 against output {index} (block {proposed} of {self.chain_id})")

        # 6. finalize after the finalization period (fast-forwarded)
        period = self.oracle.functions.FINALIZATION_PERIOD_SECONDS().call()
        self._raw(self.l1, "evm_increaseTime", period + 1)
        self._raw(self.l1, "evm_mine")
        before = self.l1.eth.get_balance(me)
        receipt = self.send_l1(self.portal.functions.finalizeWithdrawalTransaction(withdrawal))
        fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        gained = self.l1.eth.get_balance(me) - before + fee
        self.say(f"6. finalized after {period} s (fast-forwarded): {gained / 10**18} ETH arrived on the L1")
        self._raw(self.l2, "xr_clearFault", fault["id"])
        ok = gained == FUNDS and on_time and info["includedBy"] == "force"
        self.say(f"=> {'ESCAPED' if ok else 'UNEXPECTED'}: the censored user withdrew {FUNDS / 10**18} ETH from "
                 f"{self.chain_id} through the L1 (L1 balance {start_l1 / 10**18} -> "
                 f"{self.l1.eth.get_balance(me) / 10**18} ETH, gas paid)")
        return ok


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rpc", default="http://127.0.0.1:9546", help="the censored rollup (default: 902 on :9546)")
    ap.add_argument("--rpc-l1", default="http://127.0.0.1:8545", help="the L1 (default :8545)")
    ap.add_argument("--private-key", default=USER_KEY, help="the user (default: anvil's account 4)")
    ap.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    args = ap.parse_args(argv)
    try:
        return 0 if Demo(args.rpc, args.rpc_l1, args.private_key, args.timeout).run() else 1
    except RuntimeError as exc:
        print(f"demo_censorship FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
