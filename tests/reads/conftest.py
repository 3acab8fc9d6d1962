"""Bounded reads and resources, against real devnets served on free ports.

Two devnets for the package, with limits small enough to reach in a test:

* ``bounded``: a read time limit of 4 s (an endless call runs long enough for a transfer to
  be mined beside it), a gas cap of 2^40 (far above what a loop burns in that time, so the
  loop is endless, and still a cap), polling filters that expire after 1 s unpolled, and
  at most 20 of them per chain;
* ``hasty``: a read time limit of 0.3 s, to see every kind of read stop at it (a
  cross-rollup simulation, a trace, an estimate, a bundle simulation).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import ChainRpc, served

CHAIN_IDS = (901, 902)
BOUNDED_TIMEOUT = 4.0
GAS_CAP = 2**40
FILTER_TIMEOUT = 1.0
MAX_FILTERS = 20
HASTY_TIMEOUT = 0.3


@pytest.fixture(scope="package")
def bounded() -> Iterator[ChainRpc]:
    with served(CHAIN_IDS, evm_timeout=BOUNDED_TIMEOUT, gas_cap=GAS_CAP, filter_timeout=FILTER_TIMEOUT,
                max_filters=MAX_FILTERS) as server:
        rpc = ChainRpc(server.devnet.urls)
        yield rpc
        rpc.close()


@pytest.fixture(scope="package")
def hasty() -> Iterator[ChainRpc]:
    with served(CHAIN_IDS, evm_timeout=HASTY_TIMEOUT) as server:
        rpc = ChainRpc(server.devnet.urls)
        yield rpc
        rpc.close()
