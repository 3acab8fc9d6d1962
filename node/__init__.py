"""The Ethereum JSON-RPC method layer of one chain (eth_*, net_*, web3_*, evm_*, anvil_*, xr_*, debug_*).

``table`` declares every method (name, parameters, aliases); ``params`` parses each parameter
once; handlers (``eth``, ``dev``, ``xr``, ``debug``) hold the ``backend.Backend`` for the life
of the server, ask it for every service, and format results with ``views``; ``errors`` maps
the exception tree to JSON-RPC errors; ``filters`` keeps polling filters and subscriptions.
Imports ``backend``, ``chains``, ``shared_sequencer`` (types) and ``rpc.jsonrpc``; never
``xrollup``.
"""
