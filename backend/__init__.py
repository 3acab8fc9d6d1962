"""The services the Ethereum method layer calls (anvil's ``Backend``), over the sequencer.

Imports ``chains`` and ``shared_sequencer``; never ``node``, ``rpc`` or ``xrollup``.
"""

from backend.core import Backend, SequencerFactory

__all__ = ["Backend", "SequencerFactory"]
