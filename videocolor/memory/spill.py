"""Arrays and frame queues that live in RAM when small and in anonymous temporary files when large.

A shot can last minutes; holding its frames and chroma candidates in memory would make memory grow
with the shot. Large buffers go to a memory-mapped temporary file (deleted when closed), so the
operating system pages them and memory stays bounded.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence

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


class FrameQueue(Sequence[np.ndarray]):
    """Frames of one shape appended at the back and dropped from the front, for a stream whose
    shots are not known in advance: the first ``ram_limit`` bytes live in RAM, the rest in
    temporary files, so a long shot costs disk rather than memory.

    Frames are stored in blocks of ``block`` frames; ``queue[i]`` is the i-th frame not dropped.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype | type,
        ram_limit: int = RAM_LIMIT_BYTES,
        block: int = 16,
    ) -> None:
        self.shape, self.dtype, self.block = shape, np.dtype(dtype), block
        self._block_bytes = block * math.prod(shape) * self.dtype.itemsize
        self.ram_limit = ram_limit
        self._blocks: list[np.ndarray] = []
        self._first = 0  # index of the queue's first frame in the first block
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError(f"frame {index} of a queue of {self._count}")
        position = self._first + index % self._count
        return self._blocks[position // self.block][position % self.block]

    @property
    def bytes_on_disk(self) -> int:
        return sum(self._block_bytes for b in self._blocks if isinstance(b, np.memmap))

    def append(self, frame: np.ndarray) -> None:
        position = self._first + self._count
        if position == len(self._blocks) * self.block:
            in_ram = sum(not isinstance(b, np.memmap) for b in self._blocks)
            fits = (in_ram + 1) * self._block_bytes <= self.ram_limit
            shape = (self.block, *self.shape)
            self._blocks.append(
                np.zeros(shape, self.dtype) if fits else spill_array(shape, self.dtype, 0)
            )
        self._blocks[position // self.block][position % self.block] = frame
        self._count += 1

    def drop(self, count: int) -> None:
        """Forget the first ``count`` frames, freeing the blocks they emptied."""
        count = min(count, self._count)
        self._first += count
        self._count -= count
        emptied = self._first // self.block
        del self._blocks[:emptied]
        self._first -= emptied * self.block
