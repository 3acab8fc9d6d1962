"""The settlement layer: the L1 chain beside the rollups, the contracts on it, batches of the
superblock log posted to it, the rollups' safe and finalized heads, output proposals, and the
derivation of every rollup from the L1 alone.

Imports ``chains`` and ``shared_sequencer``; never ``node``, ``rpc``, ``backend`` or ``xrollup``
(``xrollup/l1.py`` wires the L1's endpoint).
"""
