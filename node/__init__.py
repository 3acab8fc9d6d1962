"""The Ethereum JSON-RPC API of one chain (eth_*, net_*, web3_*, evm_*, anvil_*, xr_*).

Handlers parse nothing themselves (``params`` does, once per parameter), compute nothing
EVM-specific (``chains`` and ``shared_sequencer`` do) and format results with ``views``.
"""
