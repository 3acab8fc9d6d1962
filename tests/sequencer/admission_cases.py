"""Transactions for the admission tests: signed with eth_account (or, for the shapes it refuses
to build, an empty EIP-7702 authorization list or a type-3 transaction, encoded with rlp and
signed with eth_keys), judged by xrollup's admission and by the Prague execution specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak
from ethereum.exceptions import EthereumException
from ethereum.forks.prague import fork as prague
from ethereum.forks.prague import transactions as prague_txs
from ethereum.forks.prague.fork_types import Account as SpecAccount
from ethereum.forks.prague.state import State, set_account
from ethereum.forks.prague.vm import BlockEnvironment, BlockOutput
from ethereum_rlp import rlp as spec_rlp
from ethereum_types.bytes import Bytes20, Bytes32
from ethereum_types.numeric import U64, U256, Uint

from chains.block import PendingTx
from chains.errors import TransactionRejected
from chains.txbuild import BUILDER, tx_chain_id
from shared_sequencer.admission import ChainRules, SenderAccount, admit

CHAIN_ID = 901
KEY = "0x" + "4c" * 32
SENDER = Account.from_key(KEY).address
AUTH_KEY = "0x" + "5d" * 32
TARGET = "0x" + "33" * 20
DELEGATION = b"\xef\x01\x00" + b"\x44" * 20

# our refusal text -> the execution specs' exception kinds that mean the same
SPEC_KINDS = {
    "intrinsic gas too low": {"InsufficientTransactionGasError"},
    "insufficient gas for floor data gas cost": {"InsufficientTransactionGasError"},
    "max initcode size exceeded": {"InitCodeTooLargeError"},
    "nonce too low": {"NonceMismatchError"},
    "nonce has max value": {"NonceOverflowError"},
    "max priority fee per gas higher than max fee per gas": {"PriorityFeeGreaterThanMaxFeeError"},
    "max fee per gas less than block base fee": {"InsufficientMaxFeePerGasError", "InvalidBlock"},
    "insufficient funds for gas * price + value": {"InsufficientBalanceError"},
    "sender not an eoa": {"InvalidSenderError"},
    "exceeds block gas limit": {"GasUsedExceedsLimitError"},
    "set code tx must have at least one authorization tuple": {"EmptyAuthorizationListError"},
}


@dataclass(frozen=True)
class Case:
    """One transaction, the sender's account and the block it is judged for."""

    tx_type: int = 2
    nonce: int = 0
    gas: int = 21_000
    fee_cap: int = 10**9
    tip: int = 0
    to: str | None = TARGET
    value: int = 0
    data: bytes = b""
    access_list: tuple[tuple[str, tuple[int, ...]], ...] = ()
    auths: int = 1  # EIP-7702 authorizations (type 4)
    account_nonce: int = 0
    balance: int = 10**18
    code: bytes = b""
    base_fee: int = 10**9
    gas_limit: int = 30_000_000
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _access_list(case: Case) -> list[dict[str, Any]]:
    return [{"address": a, "storageKeys": ["0x" + s.to_bytes(32, "big").hex() for s in slots]}
            for a, slots in case.access_list]


def _authorizations(case: Case) -> list[Any]:
    signer = Account.from_key(AUTH_KEY)
    return [signer.sign_authorization({"chainId": CHAIN_ID, "address": TARGET, "nonce": i}) for i in range(case.auths)]


def _sign_typed(tx_type: int, fields: list[Any], key: str) -> bytes:
    """A typed transaction, encoded and signed by hand: type ++ rlp(fields ++ [y, r, s])."""
    private = keys.PrivateKey(bytes.fromhex(key[2:]))
    digest = keccak(bytes((tx_type,)) + rlp.encode(fields))
    signature = private.sign_msg_hash(digest)
    return bytes((tx_type,)) + rlp.encode([*fields, signature.v, signature.r, signature.s])


def raw_tx(case: Case) -> bytes:
    """The signed transaction of ``case``."""
    to_bytes = bytes.fromhex(case.to[2:]) if case.to else b""
    if case.tx_type == 4 and (case.auths == 0 or case.to is None):
        access = [[bytes.fromhex(a[2:]), [s.to_bytes(32, "big") for s in slots]] for a, slots in case.access_list]
        auths = [[a.chain_id, a.address, a.nonce, a.y_parity, a.r, a.s] for a in _authorizations(case)]
        return _sign_typed(4, [CHAIN_ID, case.nonce, case.tip, case.fee_cap, case.gas, to_bytes, case.value,
                               case.data, access, auths], KEY)
    if case.tx_type == 3:
        return _sign_typed(3, [CHAIN_ID, case.nonce, case.tip, case.fee_cap, case.gas, to_bytes, case.value,
                               case.data, [], 1, [b"\x01" + b"\x00" * 31]], KEY)
    tx: dict[str, Any] = {"chainId": CHAIN_ID, "nonce": case.nonce, "gas": case.gas, "value": case.value,
                          "data": case.data}
    if case.to is not None:
        tx["to"] = case.to
    if case.tx_type in (0, 1):
        tx["gasPrice"] = case.fee_cap
    else:
        tx["maxFeePerGas"] = case.fee_cap
        tx["maxPriorityFeePerGas"] = case.tip
    if case.tx_type != 0:
        tx["type"] = case.tx_type
        tx["accessList"] = _access_list(case)
    if case.tx_type == 4:
        tx["authorizationList"] = _authorizations(case)
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def pending_of(case: Case) -> PendingTx:
    """``case``'s transaction as py-evm decodes it, without py-evm's own field checks (which
    ``decode_raw`` runs first, and which refuse an empty authorization list and a nonce of
    2^64-1 in their own words): what admission is given to judge alone."""
    return PendingTx(BUILDER.decode(raw_tx(case)), bytes.fromhex(SENDER[2:]))


def ours(case: Case) -> str | None:
    """xrollup's admission's verdict: None (admitted) or the refusal's text."""
    try:
        pending = pending_of(case)
    except Exception as exc:  # py-evm's decoders raise whatever rlp's sedes raise
        return f"decode: {type(exc).__name__}"
    try:
        account = SenderAccount(case.account_nonce, case.balance, case.code)
        admit(pending, ChainRules(CHAIN_ID, case.gas_limit), tx_chain_id(pending), account, case.base_fee)
    except TransactionRejected as exc:
        return str(exc)
    return None


def spec(case: Case) -> str | None:
    """The Prague execution specs' verdict (validate_transaction, then check_transaction
    against a state holding the sender's account): None or the exception's kind."""
    raw = raw_tx(case)
    try:
        if raw[0] >= 0xC0:
            tx = spec_rlp.decode_to(prague_txs.LegacyTransaction, raw)
        else:
            tx = prague_txs.decode_transaction(raw)
    except Exception as exc:  # the specs' decoders raise whatever the sedes raise
        return f"decode: {type(exc).__name__}"
    state = State()
    sender = Bytes20(bytes.fromhex(SENDER[2:]))
    set_account(state, sender, SpecAccount(nonce=Uint(case.account_nonce), balance=U256(case.balance), code=case.code))
    env = BlockEnvironment(
        chain_id=U64(CHAIN_ID), state=state, block_gas_limit=Uint(case.gas_limit), block_hashes=[],
        coinbase=Bytes20(b"\x00" * 20), number=Uint(1), base_fee_per_gas=Uint(case.base_fee), time=U256(1),
        prev_randao=Bytes32(b"\x00" * 32), excess_blob_gas=U64(0), parent_beacon_block_root=Bytes32(b"\x00" * 32),
    )
    try:
        prague.validate_transaction(tx)
        prague.check_transaction(env, BlockOutput(), tx)
    except EthereumException as exc:
        return type(exc).__name__
    return None


def spec_intrinsic(case: Case) -> tuple[int, int]:
    """The specs' (intrinsic gas, calldata floor) of ``case``'s transaction."""
    tx = prague_txs.decode_transaction(raw_tx(case)) if case.tx_type else spec_rlp.decode_to(
        prague_txs.LegacyTransaction, raw_tx(case))
    intrinsic, floor = prague_txs.calculate_intrinsic_cost(tx)
    return int(intrinsic), int(floor)
