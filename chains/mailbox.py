"""The mailbox protocol: what the interop predeploys on every chain expect and produce.

One home for the facts that the cross-rollup planner (shared_sequencer/xcall.py), the relay
of asynchronous messages (shared_sequencer/relay.py), replay, tracing, genesis and the method
layer share about ``bridge_contracts/src/Mailbox.sol`` and OP's
``L2ToL2CrossDomainMessenger``: addresses, the system address and its key, function
selectors, event topics, the mailbox's storage layout, the request id, the rolling-hash
digests, and the encoders and decoders of the sequencer's system transactions.

The caller pays for the far side. A request's execute on the destination is a system
transaction whose gas the sequencer pays at the destination's base fee; the pre-filled
response to a transaction's own request carries that cost, and that of every execute nested
in it, converted to the source chain's gas (``far_side_cost``: the gas used times the
destination's base fee over the caller's own gas price, rounded up) in the first word of ``putResponse``,
and the ``xcall`` that meets the response burns that much gas in its own frame, whether the
far side succeeded or failed. (Responses to nested requests, met by the sequencer's own
executes, carry no cost: the transaction at the root pays for the whole tree.) So the far side counts against the calling
transaction's gas limit, is paid at its gas price (at least what the destination's users
would pay for the same gas), shows in ``eth_estimateGas``, and a caller without the gas
left reverts with ``Error("xrollup: gas left does not cover the far side's cost")``, which
rolls its requests back everywhere.

It lives in ``chains`` because each of these is a fact about the contracts deployed on every
chain, not about sequencing: tracing (in ``chains``) links a ``Mailbox.xcall`` frame to the
destination chain's ``Mailbox.execute`` with them, and ``chains`` may not import the
sequencer. The addresses and the key are those of ``bridge_contracts`` (which mirrors
``src/libraries/Predeploys.sol``; a test checks they agree), as canonical bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property

from eth.abc import StateAPI
from eth_abi import decode, encode
from eth_typing import Address
from eth_utils import keccak

import bridge_contracts
from chains.block import PendingTx
from chains.txbuild import AccessList, TxRequest, sign


def _address(hex_address: str) -> Address:
    return Address(bytes.fromhex(hex_address.removeprefix("0x")))


# -- addresses -----------------------------------------------------------------------------

MAILBOX = _address(bridge_contracts.MAILBOX_ADDRESS)
ATOMIC_BRIDGE = _address(bridge_contracts.ATOMIC_BRIDGE_ADDRESS)
MESSENGER = _address(bridge_contracts.L2_TO_L2_CROSS_DOMAIN_MESSENGER_ADDRESS)  # OP's L2ToL2CrossDomainMessenger
SUPERCHAIN_TOKEN_BRIDGE = _address(bridge_contracts.SUPERCHAIN_TOKEN_BRIDGE_ADDRESS)
#: The sequencer's system address: the only sender allowed to call Mailbox.execute,
#: putResponse and clearResponse (the messenger's relayMessage is open to anyone, as on OP).
SEQUENCER = _address(bridge_contracts.SEQUENCER_ADDRESS)
SEQUENCER_KEY = bytes.fromhex(bridge_contracts.SEQUENCER_PRIVATE_KEY.removeprefix("0x"))

# -- selectors and topics ------------------------------------------------------------------

XCALL = keccak(b"xcall(uint256,address,bytes)")[:4]
EXECUTE = keccak(b"execute(uint256,uint256,address,address,uint256,bytes)")[:4]
PUT_RESPONSE = keccak(b"putResponse(uint256,bytes32,bool,bytes)")[:4]
CLEAR_RESPONSE = keccak(b"clearResponse(bytes32)")[:4]
MISSING_RESPONSE = keccak(b"MissingResponse(uint256,uint256,address,address,uint256,bytes)")[:4]  # error
RELAY_MESSAGE = keccak(b"relayMessage((address,uint256,uint256,uint256,uint256),bytes)")[:4]

XCALL_EVENT = keccak(b"XCall(uint256,uint256,address,address,uint256,bytes32,bool)")
XCALL_EXECUTED_EVENT = keccak(b"XCallExecuted(uint256,uint256,bytes32,bool,bytes)")
SENT_MESSAGE_EVENT = keccak(b"SentMessage(uint256,address,uint256,address,bytes)")

# -- storage layout (Mailbox.sol's SLOT_* constants; a test checks they agree) ---------------

OUT_NONCE_SLOT = 0  # mapping(uint256 => uint256) outNonce
#: The rolling-hash digests, each a mapping(uint256 peer chain => bytes32).
MAILBOX_SLOTS = {"requestsOut": 1, "requestsIn": 2, "responsesOut": 3, "responsesIn": 4}
RESPONSES_SLOT = 5  # mapping(bytes32 => Response{bool filled, success, consumed; bytes})


def _mapping_slot(key: bytes, slot: int) -> int:
    return int.from_bytes(keccak(key + slot.to_bytes(32, "big")), "big")


def out_nonce_slot(dst: int) -> int:
    """Storage slot of ``outNonce[dst]``: the nonce of the next request to chain ``dst``."""
    return _mapping_slot(dst.to_bytes(32, "big"), OUT_NONCE_SLOT)


def response_slot(rid: bytes) -> int:
    """Storage slot of the flags word of ``_responses[rid]`` (filled, success, consumed: bytes 0-2)."""
    return _mapping_slot(rid, RESPONSES_SLOT)


def out_nonce(state: StateAPI, dst: int) -> int:
    return int(state.get_storage(MAILBOX, out_nonce_slot(dst)))


def response_flags(state: StateAPI, rid: bytes) -> tuple[bool, bool, bool]:
    """(filled, success, consumed) of the response to request ``rid`` in ``state``'s inbox
    (the struct's first word packs the three bools, nothing else)."""
    flags = int(state.get_storage(MAILBOX, response_slot(rid)))
    return bool(flags & 0xFF), bool((flags >> 8) & 0xFF), bool((flags >> 16) & 0xFF)


# -- requests ------------------------------------------------------------------------------


def _words(*values: int | bytes) -> bytes:
    """ABI head words: uint256 values (and ready 32-byte words) in order."""
    return b"".join(v if isinstance(v, bytes) else v.to_bytes(32, "big") for v in values)


def _address_word(address: bytes) -> bytes:
    if len(address) != 20:
        raise ValueError(f"not an address: 0x{address.hex()}")
    return b"\x00" * 12 + address


def _bytes_tail(data: bytes) -> bytes:
    """ABI encoding of a dynamic ``bytes`` value's tail: length, then data padded to 32 bytes."""
    return len(data).to_bytes(32, "big") + data + b"\x00" * (-len(data) % 32)


def request_id(src: int, dst: int, nonce: int, sender: bytes, target: bytes, value: int, data: bytes) -> bytes:
    """keccak256(abi.encode(src, dst, nonce, sender, target, value, data)), as the mailbox
    computes it. Raises ValueError if ``sender`` or ``target`` is not 20 bytes."""
    return keccak(_words(src, dst, nonce, _address_word(sender), _address_word(target), value, 0xE0)
                  + _bytes_tail(data))


@dataclass(frozen=True)
class Request:
    """One cross-rollup request: ``sender`` on chain ``src`` calls ``target`` on ``dst``."""

    src: int
    dst: int
    nonce: int
    sender: bytes
    target: bytes
    value: int
    data: bytes

    @property
    def content(self) -> tuple[int, int, bytes, bytes, int, bytes]:
        """Everything but the nonce: the same call, whichever place it takes in the outbox."""
        return self.src, self.dst, self.sender, self.target, self.value, self.data

    @cached_property
    def id(self) -> bytes:
        """The mailbox's request id (the planner asks for it many times per request)."""
        return request_id(self.src, self.dst, self.nonce, self.sender, self.target, self.value, self.data)


def decode_missing_response(chain_id: int, output: bytes) -> Request | None:
    """The request of a ``MissingResponse(dst, nonce, sender, target, value, data)`` revert
    of the mailbox on chain ``chain_id``; None if ``output`` is another revert."""
    if output[:4] != MISSING_RESPONSE:
        return None
    dst, nonce, sender, target, value, data = decode(
        ["uint256", "uint256", "address", "address", "uint256", "bytes"], output[4:])
    return Request(chain_id, dst, nonce, bytes.fromhex(sender[2:]), bytes.fromhex(target[2:]), value, data)


def decode_xcall(calldata: bytes) -> tuple[int, bytes, bytes] | None:
    """(dst, target, data) of ``xcall(dst, target, data)`` calldata in the canonical ABI
    encoding (dst | target | 0x60 | len | data, zero-padded to a whole word) and nothing
    else; None for any other calldata."""
    if calldata[:4] != XCALL:
        return None
    args = calldata[4:]
    if len(args) < 128 or args[32:44] != bytes(12) or int.from_bytes(args[64:96], "big") != 0x60:
        return None
    size = int.from_bytes(args[96:128], "big")
    if len(args) != 128 + size + (-size % 32) or any(args[128 + size:]):
        return None
    return int.from_bytes(args[:32], "big"), args[44:64], args[128:128 + size]


def decode_xcall_args(calldata: bytes) -> tuple[int, bytes, bytes] | None:
    """(dst, target, data) of any ABI encoding of ``xcall``'s arguments (what the mailbox
    itself accepts); None when they do not decode (then the mailbox reverts)."""
    try:
        dst, target, data = decode(["uint256", "address", "bytes"], calldata[4:])
    except Exception:  # eth_abi raises several unrelated types for malformed input
        return None
    return dst, bytes.fromhex(target[2:]), bytes(data)


# -- events --------------------------------------------------------------------------------


def xcall_log_request_id(data: bytes) -> bytes:
    """The request id in an ``XCall`` log's data (target, value, requestId, success): the
    request whose response the xcall consumed."""
    return bytes(data[64:96])


def decode_xcall_log(data: bytes) -> tuple[str, int, bytes, bool]:
    """(target, value, requestId, success) of an ``XCall`` log's data."""
    target, value, rid, success = decode(["address", "uint256", "bytes32", "bool"], data)
    return target, value, bytes(rid), success


def is_execute_log_of(address: bytes, topics: tuple[bytes, ...] | list[bytes], rid: bytes) -> bool:
    """Whether a log (32-byte topics) is the mailbox's ``XCallExecuted`` for request ``rid``."""
    return address == MAILBOX and len(topics) > 3 and topics[0] == XCALL_EXECUTED_EVENT and topics[3] == rid


# -- system transactions -------------------------------------------------------------------


def execute_call(req: Request) -> bytes:
    """``execute(src, nonce, sender, target, value, data)`` calldata (on the destination)."""
    return EXECUTE + _words(req.src, req.nonce, _address_word(req.sender), _address_word(req.target), req.value,
                            0xC0) + _bytes_tail(req.data)


#: Where putResponse's first word carries the far side's cost, above the destination chain id.
COST_SHIFT = 128
MAX_COST = 2**64 - 1


def put_response_call(req: Request, success: bool, data: bytes, cost: int = 0) -> bytes:
    """``putResponse(dstChain, requestId, success, returnData)`` calldata (on the source), with
    the far side's ``cost`` in the source chain's gas (at most MAX_COST) in the first word's
    bits 128-191: the xcall that meets the response burns it."""
    return PUT_RESPONSE + _words(req.dst | min(cost, MAX_COST) << COST_SHIFT, req.id, int(success), 0x80) \
        + _bytes_tail(data)


def far_side_cost(gas_used: int, dst_base_fee: int, src_gas_price: int) -> int:
    """What a request's execute that used ``gas_used`` on the destination costs the caller, in
    the source chain's gas: as much wei as the destination's own users would pay for that gas
    at its base fee, at the price per gas the caller pays on the source (its effective gas
    price), rounded up; gas for gas if either is zero (simulations run at price 0). Priced in
    wei, not in the ratio of the two base fees: chains advance unevenly, so a busy chain's base
    fee can sit far below an idle one's without the caller paying any less for its gas."""
    if dst_base_fee == 0 or src_gas_price == 0:
        return gas_used
    return -(-gas_used * dst_base_fee // src_gas_price)


def clear_response_call(rid: bytes) -> bytes:
    """``clearResponse(requestId)`` calldata: drop a pre-filled response nobody consumed."""
    return CLEAR_RESPONSE + rid


def decode_execute_result(output: bytes) -> tuple[bool, bytes]:
    """(success, return or revert data) of the target's call, from ``execute``'s return
    value ``abi.encode(bool, bytes)``. Raises eth_abi's errors on output of another shape."""
    size = int.from_bytes(output[64:96], "big")
    if len(output) >= 96 and output[:31] == bytes(31) and output[31] < 2 \
            and int.from_bytes(output[32:64], "big") == 0x40 and len(output) >= 96 + size:
        return bool(output[31]), output[96:96 + size]  # the canonical encoding, read in place
    success, ret = decode(["bool", "bytes"], output)
    return bool(success), bytes(ret)


RELAY_IDENTIFIER = "(address,uint256,uint256,uint256,uint256)"  # OP's Identifier struct


def relay_message_call(source: int, block_number: int, log_index: int, timestamp: int, payload: bytes) -> bytes:
    """``relayMessage(Identifier, sentMessage)`` calldata for a ``SentMessage`` log of the
    messenger on chain ``source`` (``payload``: the log's topics, then its data)."""
    ident = (MESSENGER, block_number, log_index, timestamp, source)
    return RELAY_MESSAGE + encode([RELAY_IDENTIFIER, "bytes"], [ident, payload])


def decode_relay_message(calldata: bytes) -> tuple[int, int, int] | None:
    """(source chain, block number, log index) that ``relayMessage`` calldata relays; None
    for other calldata."""
    if calldata[:4] != RELAY_MESSAGE:
        return None
    (_origin, number, log_index, _ts, source), _payload = decode([RELAY_IDENTIFIER, "bytes"], calldata[4:])
    return source, number, log_index


def system_tx(chain_id: int, nonce: int, to: bytes, data: bytes, gas: int, base_fee: int,
              access_list: AccessList = ()) -> PendingTx:
    """A system transaction of the sequencer on ``chain_id``, paying exactly the base fee
    (``access_list``: what a relay declares for CrossL2Inbox)."""
    req = TxRequest(chain_id, SEQUENCER, nonce, gas, to, 0, data, max_fee_per_gas=base_fee, max_priority_fee_per_gas=0,
                    access_list=access_list)
    return sign(req, SEQUENCER_KEY)


def error_string(message: str) -> bytes:
    """Revert data ``Error(message)``: how the sequencer answers a request that cannot run."""
    return bytes.fromhex("08c379a0") + encode(["string"], [message])


#: How ``xcall`` reverts when its caller's gas left does not cover the far side's cost (the
#: planner then answers the request with this failure instead of executing it).
COST_NOT_COVERED = error_string("xrollup: gas left does not cover the far side's cost")


# -- rolling hashes --------------------------------------------------------------------------


def mailbox_hash(state: StateAPI, mapping: str, peer: int) -> bytes:
    """The rolling-hash digest ``mapping`` (requestsOut, requestsIn, responsesOut,
    responsesIn) of the mailbox in ``state`` for peer chain ``peer``. Raises KeyError for
    another name."""
    slot = _mapping_slot(peer.to_bytes(32, "big"), MAILBOX_SLOTS[mapping])
    return int(state.get_storage(MAILBOX, slot)).to_bytes(32, "big")


def hash_mismatch(states: Mapping[int, StateAPI]) -> str | None:
    """For every pair of chains: A's outbox must equal B's inbox, both ways, for requests and
    responses. Returns a description of the first mismatch, or None."""
    ids = sorted(states)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            for src, dst in ((a, b), (b, a)):
                for out, inn in (("requestsOut", "requestsIn"), ("responsesOut", "responsesIn")):
                    if mailbox_hash(states[src], out, dst) != mailbox_hash(states[dst], inn, src):
                        return f"mailbox {out}[{dst}] on chain {src} != {inn}[{src}] on chain {dst}"
    return None


@cache
def mailbox_code_hash() -> bytes | None:
    """keccak256 of the mailbox's runtime code as built (None without the artifact)."""
    try:
        code = bridge_contracts.load_artifact("Mailbox")["deployedBytecode"]
    except FileNotFoundError:
        return None
    return keccak(bytes.fromhex(code.removeprefix("0x")))
