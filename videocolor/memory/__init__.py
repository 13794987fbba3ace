"""How videocolor keeps memory bounded: arrays that ``spill`` to disk, and an ``allocator``
that reuses freed frame-sized blocks."""
