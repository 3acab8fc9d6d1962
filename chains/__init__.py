"""One rollup chain: py-evm on its own database, block building, indexes, reads.

Importing this package changes nothing outside it: the speed-ups over py-evm live in
``chains.engine`` and are chosen per chain, when the chain is built (``chains.engine.select``).
"""
