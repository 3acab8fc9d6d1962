"""A transaction object from eth_sendTransaction / eth_signTransaction, filled in and signed."""

from __future__ import annotations

from typing import Any

from backend import Backend
from chains.block import PendingTx
from chains.errors import InvalidInput, TransactionRejected
from chains.rollup import CallMessage
from chains.txbuild import TxRequest, impersonate, sign
from node.params import TxFields
from node.views import d

DEFAULT_TIP = 1_000_000_000


def call_message(fields: TxFields, gas: int | None = None) -> CallMessage:
    """The call ``fields`` describe (eth_call, eth_estimateGas...); with an authorizationList,
    an EIP-7702 set-code call whose delegations are in force while it runs."""
    return CallMessage(fields.sender or b"\x00" * 20, fields.to, fields.data, fields.value,
                       gas if gas is not None else fields.gas, fields.access_list, fields.authorization_list)


async def fill_request(backend: Backend, chain_id: int, fields: TxFields) -> TxRequest:
    """``fields`` with what the sender left out filled in as anvil does: the pending nonce,
    an estimate of the gas, EIP-1559 fees (twice the next base fee plus the tip). With an
    ``authorizationList`` it is an EIP-7702 set-code transaction (type 4: EIP-1559 fees, a
    ``gasPrice`` standing for both the fee cap and the tip, as anvil takes it). Raises
    InvalidInput (no sender), TransactionRejected (another chain id), ExecutionReverted."""
    if fields.sender is None:
        raise InvalidInput("transaction needs a from address")
    if fields.chain_id is not None and fields.chain_id != chain_id:
        raise TransactionRejected(f"invalid chain id: transaction is for chain {fields.chain_id}, this is chain {chain_id}")
    # The estimate is a read that may run in a worker thread: take the nonce after it, so that
    # no other submission by this sender can come in between the nonce and the submission.
    gas = fields.gas if fields.gas is not None else (
        await backend.estimate_gas(chain_id, call_message(fields), "pending"))
    nonce = fields.nonce if fields.nonce is not None else backend.pending_nonce(chain_id, fields.sender)
    base = backend.next_base_fee(chain_id)
    fee_fields: dict[str, Any]
    if fields.gas_price is not None and fields.authorization_list:
        fee_fields = {"max_fee_per_gas": fields.gas_price, "max_priority_fee_per_gas": fields.gas_price}
    elif fields.gas_price is not None:
        fee_fields = {"gas_price": fields.gas_price}
    else:
        tip = fields.max_priority_fee_per_gas if fields.max_priority_fee_per_gas is not None else DEFAULT_TIP
        cap = fields.max_fee_per_gas if fields.max_fee_per_gas is not None else 2 * base + tip
        fee_fields = {"max_fee_per_gas": cap, "max_priority_fee_per_gas": min(tip, cap)}
    return TxRequest(chain_id, fields.sender, nonce, gas, fields.to, fields.value, fields.data,
                     access_list=fields.access_list, authorization_list=fields.authorization_list, **fee_fields)


async def signed_or_impersonated(backend: Backend, chain_id: int, fields: TxFields) -> PendingTx:
    """eth_sendTransaction's transaction: signed with a dev key, or from an impersonated
    sender. Raises as ``fill_request``, and TransactionRejected for any other sender."""
    if fields.sender is not None:
        key = backend.private_key(fields.sender)
        if key is None and not backend.is_impersonated(fields.sender):
            raise TransactionRejected(f"no key for {d(fields.sender)}: not a dev account and not impersonated")
    req = await fill_request(backend, chain_id, fields)
    key = backend.private_key(req.sender)
    return sign(req, key) if key is not None else impersonate(req)
