"""The settlement layer: the L1 chain beside the rollups, the contracts on it, batches of the
superblock log posted to it, the rollups' safe and finalized heads, output proposals, deposits
from the portals' logs, and the derivation of every rollup from the L1 alone.

Imports ``chains``, ``shared_sequencer`` and ``bridge_contracts``; never ``node``, ``rpc``,
``backend`` or ``xrollup`` (``xrollup/l1.py`` wires the L1's endpoint).
"""
