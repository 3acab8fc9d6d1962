"""One rollup chain: py-evm on its own database, block building, indexes, reads."""
