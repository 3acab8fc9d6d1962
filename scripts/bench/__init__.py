"""The pieces of ``scripts/bench_rpc.py``, apart from its driver.

* ``workload``: the transfers and calls every peer is timed on, and the checks of their answers;
* ``sessions``: each peer (xrollup, eth-tester, anvil) started, warmed up and driven, and a
  round that times the peers side by side;
* ``report``: medians, ratios, the printed tables and targets, the JSON.

Imported as ``bench`` (with ``scripts/`` on ``sys.path``, as when a script under ``scripts/``
runs), next to ``_bench_common``, which the other benchmark scripts share.
"""
