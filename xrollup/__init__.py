"""xrollup: a local devnet of EVM rollups that share one sequencer."""

__version__ = "0.1.0"
