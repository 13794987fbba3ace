"""Frame stores that live in RAM up to a budget the whole process shares, and in temporary files
beyond it.

A shot can last minutes; holding its frames and chroma candidates in memory would make memory grow
with the shot, and a budget per store would let several long stores add up. Every store draws on
one budget (:data:`PROCESS_BUDGET`); past it, rows go to an anonymous temporary file read and
written with ``pread``/``pwrite``, so what the operating system caches of it is page cache it can
drop, not the process's memory (a memory map would count every touched page as the process's).
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import weakref
from collections.abc import Sequence

import numpy as np

#: ``$VIDEOCOLOR_SPILL_MB`` sets the budget, in MB (default 256).
RAM_BUDGET_BYTES = int(float(os.environ.get("VIDEOCOLOR_SPILL_MB", "256")) * 2**20)


class RamBudget:
    """Bytes of RAM the spill stores of a process may hold together."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        """Reserve ``size`` bytes if they fit; False when the store must go to disk."""
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


PROCESS_BUDGET = RamBudget(RAM_BUDGET_BYTES)


class DiskUse:
    """Bytes the spill files of a process hold now and at most, for the run's report."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def add(self, size: int) -> None:
        with self._lock:
            self.now += size
            self.peak = max(self.peak, self.now)

    def reset_peak(self) -> None:
        """Start measuring a new run's peak from what is held now."""
        with self._lock:
            self.peak = self.now


PROCESS_DISK = DiskUse()


class RowFile:
    """An array's rows (items along its first axis) in an anonymous temporary file: ``rows[i]``
    reads row i (a new array), ``rows[i] = value`` writes it."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype | type) -> None:
        self.shape, self.dtype = shape, np.dtype(dtype)
        self._row_shape = shape[1:]
        self._row_bytes = math.prod(self._row_shape) * self.dtype.itemsize
        # The file lives as long as the store, closed (and so deleted) when it is freed.
        self._file = tempfile.TemporaryFile(prefix="videocolor-")  # noqa: SIM115
        self._file.truncate(self.nbytes)
        PROCESS_DISK.add(self.nbytes)
        weakref.finalize(self, _close, self._file, self.nbytes)

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self._row_bytes

    def __len__(self) -> int:
        return self.shape[0]

    def _offset(self, index: int) -> int:
        if not -self.shape[0] <= index < self.shape[0]:
            raise IndexError(f"row {index} of {self.shape[0]}")
        return (index % self.shape[0]) * self._row_bytes

    def __getitem__(self, index: int) -> np.ndarray:
        buffer = bytearray(self._row_bytes)
        os.preadv(self._file.fileno(), [buffer], self._offset(index))
        return np.frombuffer(buffer, self.dtype).reshape(self._row_shape)

    def __setitem__(self, index: int, value: np.ndarray) -> None:
        row = np.ascontiguousarray(np.broadcast_to(value, self._row_shape), self.dtype)
        os.pwrite(self._file.fileno(), memoryview(row).cast("B"), self._offset(index))


def _close(file: object, size: int) -> None:
    file.close()
    PROCESS_DISK.add(-size)


def spill_array(
    shape: tuple[int, ...], dtype: np.dtype | type, *, budget: RamBudget = PROCESS_BUDGET
) -> np.ndarray | RowFile:
    """A zero-filled store of ``shape``: an array while ``budget`` has room for it (the room is
    given back when the array is freed), else a :class:`RowFile`. Both are indexed by row."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    if not budget.take(size):
        return RowFile(shape, dtype)
    array = np.zeros(shape, dtype)
    weakref.finalize(array, budget.give, size)
    return array


class FrameQueue(Sequence[np.ndarray]):
    """Frames of one shape appended at the back and dropped from the front, for a stream whose
    shots are not known in advance: blocks of ``block`` frames from :func:`spill_array`, so a
    long shot costs disk rather than memory once the budget is spent.

    ``queue[i]`` is the i-th frame not dropped.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype | type,
        *,
        budget: RamBudget = PROCESS_BUDGET,
        block: int = 16,
    ) -> None:
        self.shape, self.dtype, self.block = shape, np.dtype(dtype), block
        self.budget = budget
        self._blocks: list[np.ndarray | RowFile] = []
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
        return sum(b.nbytes for b in self._blocks if isinstance(b, RowFile))

    def append(self, frame: np.ndarray) -> None:
        position = self._first + self._count
        if position == len(self._blocks) * self.block:
            shape = (self.block, *self.shape)
            self._blocks.append(spill_array(shape, self.dtype, budget=self.budget))
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
