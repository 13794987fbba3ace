"""The allocator tuning: frame-sized arrays come from the heap instead of fresh mmaps."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

from videocolor.memory.allocator import reuse_freed_memory


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mmapped_blocks() -> int:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc >= 2.33 (mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2().hblks


def test_frame_sized_arrays_are_not_mapped_one_by_one() -> None:
    before = _mmapped_blocks()
    assert reuse_freed_memory()
    frame = np.ones((1080, 1920, 6), np.float32)  # 50 MB: glibc maps anything over 32 MB
    assert _mmapped_blocks() == before
    assert frame.sum() == 1080 * 1920 * 6
