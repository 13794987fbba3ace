"""Arrays that live in RAM when small and in an anonymous temporary file when large.

A shot can last minutes; holding its frames and chroma candidates in memory would make memory grow
with the shot. Large buffers go to a memory-mapped temporary file (deleted when closed), so the
operating system pages them and memory stays bounded.
"""

from __future__ import annotations

import math
import tempfile

import numpy as np

RAM_LIMIT_BYTES = 256 * 1024 * 1024


def spill_array(shape: tuple[int, ...], dtype: np.dtype | type, ram_limit: int = RAM_LIMIT_BYTES):
    """A zero-filled array of ``shape``, memory-mapped to a temporary file beyond ``ram_limit``."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    if size <= ram_limit:
        return np.zeros(shape, dtype)
    with tempfile.TemporaryFile(prefix="videocolor-") as handle:
        handle.truncate(size)
        # The mapping stays valid after the file is closed; the space is freed with the mapping.
        return np.memmap(handle, dtype, "r+", shape=shape)
