"""The shared sequencer: mempools, ordering, superblocks, bundles, the superblock log."""
