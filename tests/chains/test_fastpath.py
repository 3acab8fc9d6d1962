"""The fast paths (plain transfers without py-evm's message machinery, chains/engine/fastpath.py;
tuple accounts, chains/engine/accounts.py; chains.engine.mpt tries; the one-copy seal) make blocks
identical byte for byte to py-evm's own: PragueVM, py-trie, its executor and finalize_block (the
plain engine, chains.engine.PLAIN)."""

from __future__ import annotations

import pytest
import rlp
from eth_utils import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from trie.hexary import HexaryTrie

from chains.block import ZERO_ADDRESS, BlockEnv, PendingTx
from chains.encoding import encode_header, encode_receipt
from chains.engine import FAST, PLAIN, Engine
from chains.engine.accounts import FastAccountDB
from chains.engine.evm import RollupState, RollupVM
from chains.errors import TransactionRejected
from chains.genesis import dev_accounts
from chains.rollup import ChainConfig, RollupChain
from chains.txbuild import TxRequest, impersonate, sign

ACCOUNTS = dev_accounts()
FRESH = bytes.fromhex("00000000000000000000000000000000000c0ffe")
FRESH_ZERO = bytes.fromhex("00000000000000000000000000000000000dead0")
STRANGER = bytes.fromhex("1234567890123456789012345678901234567890")
EXISTS_EMPTY = bytes.fromhex("00000000000000000000000000000000000e3e3e")


def _fast_on_py_trie() -> Engine:
    """The fast engine with py-trie's HexaryTrie in place of chains.engine.mpt's FastTrie."""
    account_db = type("PyTrieFastAccountDB", (FastAccountDB,), {"trie_class": HexaryTrie})
    state = type("PyTrieRollupState", (RollupState,), {"account_db_class": account_db})
    vm = type("PyTrieRollupVM", (RollupVM,), {"_state_class": state})
    return Engine("fast-on-py-trie", vm, account_db)


@pytest.fixture(params=["py-trie", "mpt"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The fast engine, on py-trie or on chains.engine.mpt."""
    return FAST if request.param == "mpt" else _fast_on_py_trie()


def _tx(sender: int, nonce: int, to: bytes, value: int, gas: int = 21_000, tip: int = 10**9,
        legacy: bool = False) -> PendingTx:
    account = ACCOUNTS[sender]
    if legacy:
        req = TxRequest(901, account.address, nonce, gas, to, value, b"", gas_price=3 * 10**9)
    else:
        req = TxRequest(901, account.address, nonce, gas, to, value, b"", max_fee_per_gas=10**10,
                        max_priority_fee_per_gas=tip)
    return sign(req, account.private_key)


def _scenario() -> list[PendingTx]:
    return [
        _tx(0, 0, ACCOUNTS[1].address, 5),  # to an existing account
        _tx(0, 1, FRESH, 7),  # creates an account
        _tx(0, 2, FRESH_ZERO, 0),  # zero value to nobody: touched, empty, cleared (EIP-161)
        _tx(0, 3, ACCOUNTS[0].address, 11),  # to itself
        _tx(1, 0, ACCOUNTS[2].address, 1, gas=50_000),  # unused gas refunded
        _tx(2, 0, ACCOUNTS[3].address, 1, tip=0),  # no tip: the coinbase is touched with nothing
        _tx(3, 0, FRESH, 2, legacy=True),  # legacy gas price
        impersonate(TxRequest(901, STRANGER, 0, 21_000, ACCOUNTS[4].address, 0, b"",
                              max_fee_per_gas=10**10, max_priority_fee_per_gas=0)),
        _tx(4, 0, EXISTS_EMPTY, 0),  # zero value to an existing empty account: cleared
        _tx(5, 0, ACCOUNTS[6].address, 9),  # from the coinbase (when it is ACCOUNTS[5])
        _tx(6, 1, ACCOUNTS[5].address, 0, tip=0),  # nothing to the coinbase, as recipient
    ]


def _chain(engine: Engine = FAST) -> RollupChain:
    """A fresh chain on ``engine``: PLAIN is py-evm's own way (PragueVM's AccountDB on py-trie,
    and every transaction through py-evm's executor)."""
    return RollupChain(ChainConfig(901, genesis_timestamp=1_000), ACCOUNTS, engine)


def _build(env: BlockEnv, txs: list[PendingTx], engine: Engine) -> bytes:
    """A block on a fresh chain on ``engine``."""
    builder = _chain(engine).new_builder(env)
    builder.vm.state.set_balance(EXISTS_EMPTY, 0)  # an account that exists and is empty
    for pending in txs:
        builder.apply(pending)
    sealed = builder.seal()
    assert [o.receipt.encode() for o in sealed.outcomes]  # every transaction made it in
    return sealed.hash


@pytest.mark.parametrize("coinbase", [ZERO_ADDRESS, ACCOUNTS[5].address], ids=["zero-coinbase", "coinbase"])
def test_transfers_make_py_evms_block(engine: Engine, coinbase: bytes) -> None:
    env = BlockEnv(2_000, 30_000_000, coinbase)
    txs = _scenario()
    # the impersonated sender needs funds: a transfer to it first, in both blocks
    txs.insert(0, _tx(6, 0, STRANGER, 10**18))
    fast = _build(env, txs, engine)
    assert fast == _build(env, txs, PLAIN)


@pytest.mark.parametrize("bad", ["nonce", "base fee"])
def test_rejections_say_what_py_evms_path_says(bad: str) -> None:
    env = BlockEnv(2_000, 30_000_000, base_fee=2 * 10**10 if bad == "base fee" else None)
    tx = _tx(0, 5 if bad == "nonce" else 0, ACCOUNTS[1].address, 1)
    messages = []
    for engine in (FAST, PLAIN):
        with pytest.raises(TransactionRejected) as info:
            _build(env, [tx], engine)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_seal_makes_py_evms_block(engine: Engine) -> None:
    """BlockBuilder.seal (one header copy, list tries on chains.engine.mpt) against py-evm's
    set_block_transactions_and_withdrawals + finalize_block, on a block with a deployment,
    logs, a revert and a transfer."""
    from eth_abi import encode
    from eth_utils import keccak

    from bridge_contracts import load_artifact
    from chains.encoding import contract_address_for

    artifact = load_artifact("Counter")
    code = artifact["bytecode"] if isinstance(artifact["bytecode"], str) else artifact["bytecode"]["object"]
    counter = contract_address_for(ACCOUNTS[0].address, 0)

    def call(nonce: int, data: bytes, to: bytes | None = counter, gas: int = 500_000) -> PendingTx:
        req = TxRequest(901, ACCOUNTS[0].address, nonce, gas, to, 0, data,
                        max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
        return sign(req, ACCOUNTS[0].private_key)

    txs = [
        call(0, bytes.fromhex(code.removeprefix("0x")) + encode(["uint256"], [1]), to=None),
        call(1, keccak(text="increment()")[:4]),  # emits Incremented
        call(2, keccak(text="failWithReason()")[:4]),  # reverts, still included
        _tx(1, 0, ACCOUNTS[2].address, 3),
        call(3, keccak(text="increment()")[:4], gas=26_000),  # out of gas mid-run
        call(4, keccak(text="failWithPanic()")[:4]),  # an invalid opcode or panic
        call(5, keccak(text="burnGas(uint256)")[:4] + encode(["uint256"], [50])),  # loops: jumps
    ]
    env = BlockEnv(2_000, 30_000_000, ACCOUNTS[5].address)
    ours = _chain(engine).new_builder(env)
    for pending in txs:
        ours.apply(pending)
    sealed = ours.seal()
    theirs = _chain(PLAIN).new_builder(env)
    for pending in txs:
        theirs.apply(pending)
    assert not theirs.outcomes[2].success and theirs.outcomes[1].receipt.logs
    assert not theirs.outcomes[4].success and not theirs.outcomes[5].success and theirs.outcomes[6].success
    vm = theirs.vm
    block = vm.set_block_transactions_and_withdrawals(
        vm.get_block(), theirs.header, [o.pending.tx for o in theirs.outcomes], [o.receipt for o in theirs.outcomes])
    expected = vm.finalize_block(block).block
    assert type(vm.state._account_db).__name__ == "AccountDB"
    assert sealed.block.header == expected.header and sealed.hash == expected.header.hash
    assert encode_header(sealed.header) == rlp.encode(expected.header)
    assert [encode_receipt(o.receipt) for o in sealed.outcomes] == [o.receipt.encode() for o in theirs.outcomes]
    assert sealed.block.transactions == expected.transactions


@pytest.mark.parametrize("kind", ["1559", "2930", "7702", "blob-free 1559 with data"])
def test_typed_sender_matches_py_evm(kind: str) -> None:
    from eth_account import Account

    from chains.engine.sender import typed_sender
    from chains.txbuild import decode_raw

    key = ACCOUNTS[7].private_key
    base = {"chainId": 901, "nonce": 3, "gas": 90_000, "to": ACCOUNTS[1].address, "value": 5,
            "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
    if kind == "2930":
        base = {k: v for k, v in base.items() if not k.startswith("max")} | {
            "gasPrice": 10**9, "accessList": [{"address": "0x" + "11" * 20, "storageKeys": ["0x" + "00" * 32]}]}
    elif kind == "7702":
        auth = Account.sign_authorization({"chainId": 901, "address": "0x" + "22" * 20, "nonce": 0}, key)
        base |= {"authorizationList": [auth]}
    elif kind.endswith("data"):
        base |= {"data": b"\x01" * 300}
    raw = bytes(Account.sign_transaction(base, key).raw_transaction)
    pending = decode_raw(raw)
    tx = pending.tx
    # get_sender() recovers afresh (py-evm's way), whatever sender decode_raw cached
    assert typed_sender(raw, tx.y_parity, tx.r, tx.s) == bytes(tx.get_sender()) == ACCOUNTS[7].address
    assert pending.hash == bytes(tx.hash)  # seeded from the raw bytes; py-evm's from the fields


def test_legacy_hash_matches_py_evm() -> None:
    from eth_account import Account

    from chains.txbuild import decode_raw

    tx = {"chainId": 901, "nonce": 0, "gas": 21_000, "to": ACCOUNTS[1].address, "value": 5, "gasPrice": 10**9}
    pending = decode_raw(bytes(Account.sign_transaction(tx, ACCOUNTS[7].private_key).raw_transaction))
    assert pending.hash == bytes(pending.tx.hash) and pending.sender == ACCOUNTS[7].address


@pytest.mark.parametrize("program", [
    "60" + "01" * 0 + "6001" * 1025,  # PUSH1 past the 1024-item limit: FullStack
    "80",  # DUP1 on an empty stack
    "600190",  # SWAP1 with one item
    "50",  # POP on an empty stack
    "5f5f5f" + "8f" + "9f",  # PUSH0 x3 then DUP16 / SWAP16 short of items
    "6003565b5b600a600b01600c5260206000f3",  # a jump over JUMPDESTs, arithmetic, return
    "7fff",  # PUSH32 cut short by the end of the code (padded with zeros)
    "5b" * 10 + "61ffff5f5f" + "8182" + "9091" + "50" * 4 + "00",  # mixed stack ops, STOP
    *[f"7f{'00' * 31}05" f"6003{op}" "5f5260205ff3" for op in ("01", "02", "03", "10", "11", "14", "16", "17", "18")],
    *[f"600{v}{op}5f5260205ff3" for op in ("15", "19") for v in "07"],  # ISZERO, NOT of 0 and 7
    "6001" + "01",  # ADD short of a second item
    *[f"6004610{v}{op}5f5260205ff3" for op in ("1b", "1c") for v in ("100", "0ff")],  # SHL/SHR by 256, 255
    "6005565b00",  # JUMP past the end of the code
    "6003565b00",  # JUMP to a JUMPDEST
    "600160075760ff5b00",  # JUMPI taken
    "5f60075760ff5b00",  # JUMPI not taken
    "600456615b0000",  # JUMP into PUSH2 data that reads 0x5b
    "56",  # JUMP on an empty stack
    "60aa600352600351" + "5f5260205ff3",  # MSTORE at 3, MLOAD at 3 (memory grows to two words)
    "7f" + "11" * 32 + "6020526040515f5260405ff3",  # MSTORE a PUSH32 word at 32, MLOAD past it
    "60aa" + "7f" + "ff" * 32 + "52",  # MSTORE at 2**256-1: out of gas for the memory
    "6001" + "52",  # MSTORE with one item
    "51",  # MLOAD on an empty stack
    "600035" + "5f5260205ff3",  # CALLDATALOAD of a creation's empty data
], ids=["full-stack", "dup-empty", "swap-short", "pop-empty", "dup16-swap16-short", "jumps", "push32-cut",
        "mixed", "add", "mul", "sub", "lt", "gt", "eq", "and", "or", "xor", "iszero-0", "iszero-7", "not-0", "not-7",
        "add-short", "shl-256", "shl-255", "shr-256", "shr-255", "jump-bad", "jump", "jumpi-taken", "jumpi-not",
        "jump-into-push", "jump-empty", "mstore-mload", "mstore-push32", "mstore-huge", "mstore-short",
        "mload-empty", "calldataload-empty"])
def test_interpreter_stack_steps_match_py_evm(program: str) -> None:
    """The inlined stack opcodes (chains/evm.py) fail and succeed, and cost, as py-evm's do:
    each program runs as the init code of a contract creation."""
    req = TxRequest(901, ACCOUNTS[0].address, 0, 200_000, None, 0, bytes.fromhex(program),
                    max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    tx = sign(req, ACCOUNTS[0].private_key)
    env = BlockEnv(2_000, 30_000_000)
    results = []
    for engine in (FAST, PLAIN):
        outcome = _chain(engine).new_builder(env).apply(tx)
        computation = outcome.computation
        if computation.is_error:
            results.append((False, outcome.gas_used, type(computation.error).__name__, str(computation.error)))
        else:
            results.append((True, outcome.gas_used, "", bytes(computation.output)))
    assert results[0] == results[1]


@pytest.mark.parametrize("program", [
    "602a5f52" "60205f20" "5f5260205ff3",  # KECCAK256 of one word in memory, returned
    "60455f20" "5f5260205ff3",  # of 69 bytes past memory's end (three words of gas, memory grows)
    "5f5f20" "5f5260205ff3",  # of nothing: keccak(b"")
    "5f20",  # one item short
    "7f" + "ff" * 32 + "5f20",  # of 2**256-1 bytes: out of gas
], ids=["word", "past-memory", "empty", "short", "huge"])
def test_keccak256_matches_py_evm(program: str) -> None:
    """KECCAK256 (inlined, the engine's keccak) against py-evm's: result, gas and errors."""
    test_interpreter_stack_steps_match_py_evm(program)


_OPS = ["01", "02", "03", "10", "11", "14", "15", "16", "17", "18", "19", "1b", "1c", "50", "80", "81", "83", "90", "91",
        "92", "35", "51", "52", "20"]  # ... CALLDATALOAD, MLOAD, MSTORE, KECCAK256
_steps = st.lists(st.one_of(
    st.sampled_from(_OPS),
    st.binary(min_size=1, max_size=32).map(lambda b: f"{0x5F + len(b):02x}" + b.hex()),  # PUSHn
    st.just("5f"),  # PUSH0
), min_size=1, max_size=30)


@settings(max_examples=80, deadline=None)
@given(_steps)
def test_inlined_arithmetic_matches_py_evm(steps: list[str]) -> None:
    """Random programs of the inlined opcodes (arithmetic, comparison, bitwise, stack), ending
    by returning the top of the stack: same result, gas and error as plain PragueVM."""
    # four values first, so that most programs get far; MSTORE(0, top); RETURN(0, 32) last
    program = ("7f" + "ff" * 32 + "6003" + "6105dc" + "7f" + "80" + "00" * 31 + "".join(steps)
               + "5f52" + "60205ff3")
    test_interpreter_stack_steps_match_py_evm(program)


def _push(value: int) -> str:
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return f"{0x5F + len(raw):02x}" + raw.hex()


_offset = st.one_of(st.integers(0, 300), st.integers(0, 40_000), st.just(2**256 - 1))
_memory_steps = st.lists(st.one_of(
    st.tuples(st.just("51"), st.tuples(_offset)),  # MLOAD(offset)
    st.tuples(st.just("52"), st.tuples(_offset, st.integers(0, 255))),  # MSTORE(offset, value)
    st.tuples(st.just("20"), st.tuples(_offset, _offset)),  # KECCAK256(offset, size)
    st.tuples(st.just("5e"), st.tuples(_offset, _offset, _offset)),  # MCOPY(dst, src, size)
    st.tuples(st.just("37"), st.tuples(_offset, st.integers(0, 64), _offset)),  # CALLDATACOPY(dst, src, size)
    st.tuples(st.just("f3"), st.tuples(_offset, _offset)),  # RETURN(offset, size)
), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None)
@given(_memory_steps)
def test_memory_growth_matches_py_evm(steps: list[tuple[str, tuple[int, ...]]]) -> None:
    """Memory growth (the engine's extend_memory) by MLOAD, MSTORE, KECCAK256, MCOPY,
    CALLDATACOPY and RETURN at offsets and sizes from none to past any gas: the same
    result, gas and error as plain PragueVM."""
    program = "".join("".join(_push(arg) for arg in reversed(args)) + op for op, args in steps)
    test_interpreter_stack_steps_match_py_evm(program)


_u256 = st.integers(0, 2**256 - 1)
_access = st.lists(st.tuples(st.binary(min_size=20, max_size=20), st.lists(_u256, max_size=3)), max_size=3)


@settings(max_examples=60, deadline=None)
@given(chain_id=st.integers(0, 2**64), nonce=st.integers(0, 2**64 - 1), tip=_u256, fee=_u256,
       gas=st.integers(0, 2**64 - 1), to=st.sampled_from([b"", b"\x11" * 20]), value=_u256,
       data=st.binary(max_size=80), access=_access, y=st.integers(0, 1), r=_u256, s=_u256,
       cut=st.integers(0, 400), flip=st.integers(0, 255))
def test_eip1559_decode_matches_py_evm(chain_id: int, nonce: int, tip: int, fee: int, gas: int, to: bytes,
                                       value: int, data: bytes, access: list[tuple[bytes, list[int]]], y: int,
                                       r: int, s: int, cut: int, flip: int) -> None:
    """chains.txbuild._decode builds EIP-1559 transactions without rlp's __init__: the same
    object, encoding and hash as py-evm's decoder, and the same refusals of broken bytes."""
    from chains.txbuild import BUILDER, _decode

    fields = [chain_id, nonce, tip, fee, gas, to, value, data, [[a, [k.to_bytes(32, "big") for k in keys]]
                                                               for a, keys in access], y, r, s]
    raw = b"\x02" + rlp.encode(fields)
    ours, theirs = _decode(raw), BUILDER.decode(raw)
    assert type(ours) is type(theirs) and type(ours._inner) is type(theirs._inner)
    assert ours == theirs and ours.encode() == theirs.encode() == raw and ours.hash == theirs.hash
    assert ours.access_list == theirs.access_list and ours.to == theirs.to and ours.nonce == nonce
    # a corrupted copy: cut short, or one byte changed
    broken = raw[:cut] if cut < len(raw) else raw[:-1] + bytes((raw[-1] ^ (flip or 1),))
    outcomes = []
    for decode in (_decode, BUILDER.decode):
        try:
            outcomes.append(decode(broken).encode())
        except (rlp.DecodingError, rlp.DeserializationError, ValidationError, ValueError, TypeError):
            outcomes.append(b"refused")  # decode_raw turns each of these into TransactionRejected
    assert outcomes[0] == outcomes[1]


def test_replace_is_copy_without_checks() -> None:
    from chains.engine.rlpfast import replace

    header = _chain().head.header
    changed = replace(header, gas_used=21_000, state_root=b"\x01" * 32)
    assert changed == header.copy(gas_used=21_000, state_root=b"\x01" * 32)
    assert changed.hash == header.copy(gas_used=21_000, state_root=b"\x01" * 32).hash != header.hash
    assert header.gas_used == 0  # the original is untouched
    with pytest.raises(TypeError, match="gas_usd"):
        replace(header, gas_usd=1)


def test_blocks_on_the_warm_account_database_equal_fresh_ones() -> None:
    """A builder on the previous block's account database (chains.builder.state_over) builds
    the blocks a builder on a freshly opened database builds, deployments and calls included."""
    from eth_utils import keccak

    from bridge_contracts import load_artifact
    from chains.encoding import contract_address_for

    code = load_artifact("Counter")["bytecode"]
    code = bytes.fromhex((code if isinstance(code, str) else code["object"]).removeprefix("0x"))
    counter = contract_address_for(ACCOUNTS[0].address, 0)

    def call(nonce: int, to: bytes | None, data: bytes) -> PendingTx:
        req = TxRequest(901, ACCOUNTS[0].address, nonce, 300_000, to, 0, data,
                        max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
        return sign(req, ACCOUNTS[0].private_key)

    blocks = [
        [call(0, None, code + (1).to_bytes(32, "big"))],
        [call(1, counter, keccak(text="increment()")[:4]), _tx(1, 0, FRESH, 5)],
        [_tx(1, 1, ACCOUNTS[2].address, 1), call(2, counter, keccak(text="increment()")[:4])],
        [],
    ]

    def run(hand_over: bool) -> list[bytes]:
        chain, hashes = _chain(), []
        for number, txs in enumerate(blocks, 1):
            builder = chain.new_builder(BlockEnv(1_000 + 12 * number, 30_000_000))
            assert (builder._warm is not None) == (hand_over and number > 1)
            for pending in txs:
                builder.apply(pending)
            hashes.append(chain.append(builder.seal()).hash)
            if hand_over:
                chain.keep_warm(builder)
        return hashes

    assert run(True) == run(False)


@settings(max_examples=200, deadline=None)
@given(nonce=st.integers(0, 2**64 - 1), balance=st.integers(0, 2**256 - 1),
       storage_root=st.binary(min_size=32, max_size=32), code_hash=st.binary(min_size=32, max_size=32))
def test_account_decoding_matches_rlp(nonce: int, balance: int, storage_root: bytes, code_hash: bytes) -> None:
    from eth.rlp.accounts import Account

    from chains.engine.accounts import FastAccount, decode_account, encode_account

    account = FastAccount(nonce, balance, storage_root, code_hash)
    theirs = rlp.encode(Account(nonce, balance, storage_root, code_hash))
    assert encode_account(account) == theirs
    assert decode_account(theirs) == account


@pytest.mark.parametrize("legacy", [False, True], ids=["1559", "legacy"])
def test_transfer_receipt_is_py_evms(legacy: bool) -> None:
    from eth.vm.forks.byzantium.constants import EIP658_TRANSACTION_STATUS_CODE_SUCCESS

    from chains.engine.fastpath import transfer_receipt

    tx = _tx(0, 0, ACCOUNTS[1].address, 5, legacy=legacy).tx
    ours, theirs = transfer_receipt(tx, 63_000), tx.make_receipt(EIP658_TRANSACTION_STATUS_CODE_SUCCESS, 63_000, ())
    assert type(ours) is type(theirs) and ours == theirs and ours.encode() == theirs.encode()
    assert ours.bloom == 0 and ours.gas_used == 63_000 and ours.logs == ()
    assert encode_receipt(ours) == theirs.encode()


def test_calldataload_of_a_call_matches_py_evm() -> None:
    """CALLDATALOAD (inlined) at 0, 16, 32 and past the end of a call's data, returned."""
    runtime = bytes.fromhex("5f355f52" "601035602052" "602035604052" "61ffff35606052" "60805ff3")
    init = bytes.fromhex(f"60{len(runtime):02x}8060095f395ff3") + runtime  # CODECOPY the runtime, RETURN it
    env = BlockEnv(2_000, 30_000_000)
    outputs = []
    for engine in (FAST, PLAIN):
        builder = _chain(engine).new_builder(env)
        deploy = builder.apply(sign(TxRequest(901, ACCOUNTS[0].address, 0, 200_000, None, 0, init,
                                              max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9),
                                   ACCOUNTS[0].private_key))
        address = deploy.contract_address
        call = builder.apply(sign(TxRequest(901, ACCOUNTS[0].address, 1, 100_000, address, 0,
                                            bytes(range(1, 41)), max_fee_per_gas=10**10,
                                            max_priority_fee_per_gas=10**9), ACCOUNTS[0].private_key))
        outputs.append((call.success, call.gas_used, call.output))
    assert outputs[0] == outputs[1] and outputs[0][0]
    assert outputs[0][2][:32] == bytes(range(1, 33)) and outputs[0][2][96:] == bytes(32)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.integers(0, 2**256 - 1), st.integers(0, 300)),
       junk=st.binary(min_size=1, max_size=34))
def test_storage_value_decoding_matches_rlp(value: int, junk: bytes) -> None:
    from chains.engine.accounts import decode_storage_value

    assert decode_storage_value(rlp.encode(value, sedes=rlp.sedes.big_endian_int)) == value
    refusals = (rlp.DecodingError, rlp.DeserializationError, TypeError)  # TypeError: rlp on an rlp list
    try:  # any bytes: the same value or the same refusal as rlp
        expected: object = rlp.decode(junk, sedes=rlp.sedes.big_endian_int)
    except refusals as exc:
        expected = type(exc)
    try:
        got: object = decode_storage_value(junk)
    except refusals as exc:
        got = type(exc)
    assert got == expected
