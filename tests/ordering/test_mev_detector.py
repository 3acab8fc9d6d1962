"""The detector's plain functions on Uniswap-v2-shaped Swap logs (encoded as a pair logs them)."""

from __future__ import annotations

from eth_abi import encode

from shared_sequencer.mev import UNISWAP_V2_SWAP, TxLogs, decode_swaps, find_mev

PAIR = b"\x22" * 20
T0, T1 = b"\x10" * 20, b"\x11" * 20
ROUTER = b"\x33" * 20
E, V, U = b"\xee" * 20, b"\x01" * 20, b"\x02" * 20


def swap_log(in0: int, in1: int, out0: int, out1: int) -> tuple[bytes, tuple[bytes, ...], bytes]:
    topics = (UNISWAP_V2_SWAP, b"\x00" * 12 + ROUTER, b"\x00" * 12 + ROUTER)
    return PAIR, topics, encode(["uint256"] * 4, [in0, in1, out0, out1])


def tx(index: int, sender: bytes, *logs: tuple[bytes, tuple[bytes, ...], bytes], chain: int = 901) -> TxLogs:
    return TxLogs(chain, bytes([index]) * 32, index, sender, tuple(logs))


def tokens(chain_id: int, pool: bytes) -> tuple[bytes, bytes] | None:
    return (T0, T1) if pool == PAIR else None


def test_sandwich_on_a_uniswap_v2_pair() -> None:
    txs = [tx(0, E, swap_log(100, 0, 0, 90)), tx(1, V, swap_log(50, 0, 0, 40)), tx(2, E, swap_log(0, 90, 105, 0))]
    (finding,) = find_mev(7, decode_swaps(txs, tokens))
    assert finding.kind == "sandwich" and finding.extractor == E and finding.superblock == 7
    assert finding.victims == ((901, bytes([1]) * 32),)
    assert finding.value == {T0: 5}


def test_two_victims_in_one_sandwich_and_none_without_the_back_leg() -> None:
    txs = [tx(0, E, swap_log(100, 0, 0, 90)), tx(1, V, swap_log(50, 0, 0, 40)), tx(2, U, swap_log(10, 0, 0, 8)),
           tx(3, E, swap_log(0, 90, 104, 0))]
    (finding,) = find_mev(1, decode_swaps(txs, tokens))
    assert [h for _, h in finding.victims] == [bytes([1]) * 32, bytes([2]) * 32]
    assert find_mev(1, decode_swaps(txs[:3], tokens)) == []


def test_unknown_pools_flash_swaps_and_losing_round_trips_are_not_findings() -> None:
    other = (b"\x99" * 20, *swap_log(100, 0, 0, 90)[1:])
    txs = [tx(0, E, other), tx(1, V, swap_log(5, 5, 4, 4)),  # unknown pool; a mixed flash swap
           tx(2, U, swap_log(100, 0, 0, 90)), tx(3, U, swap_log(0, 90, 99, 0))]  # a losing round trip
    swaps = decode_swaps(txs, tokens)
    assert [s.tx_index for s in swaps] == [2, 3]
    assert find_mev(1, swaps) == []
