"""Decode and encode threads: order, errors carried to the caller, clean stops."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from videocolor.io.background import background_writes, prefetch
from videocolor.io.frames import Frame


def _frame(index: int) -> Frame:
    return Frame(index, np.full((4, 4), index, np.uint8), index, 1 / 24)


def _workers() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("videocolor-")}


def test_prefetch_keeps_order_and_runs_ahead() -> None:
    produced: list[int] = []

    def numbers():
        for i in range(20):
            produced.append(i)
            yield i

    items = prefetch(numbers(), depth=3)
    assert next(items) == 0
    time.sleep(0.2)
    assert len(produced) >= 4  # the worker filled the queue while the caller waited
    assert [0, *items] == list(range(20))
    assert not _workers()


def test_prefetch_raises_the_source_error_in_the_caller() -> None:
    def failing():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(prefetch(failing()))
    assert not _workers()


def test_leaving_prefetch_early_stops_its_thread() -> None:
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    items = prefetch(endless(), depth=2)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert not _workers()


def test_background_writes_keep_order() -> None:
    written: list[int] = []
    with background_writes(lambda frame, cbcr: written.append(frame.index), depth=2) as write:
        for i in range(30):
            write(_frame(i), None)
    assert written == list(range(30))
    assert not _workers()


def test_background_write_error_reaches_the_caller() -> None:
    def write_one(frame: Frame, cbcr: object) -> None:
        if frame.index == 3:
            raise OSError("no space left")

    with (
        pytest.raises(OSError, match="no space left"),
        background_writes(write_one, depth=2) as write,
    ):
        for i in range(50):
            write(_frame(i), None)
    assert not _workers()


def test_error_in_the_block_drops_pending_frames_and_stops() -> None:
    written: list[int] = []

    def slow(frame: Frame, cbcr: object) -> None:
        time.sleep(0.01)
        written.append(frame.index)

    with (
        pytest.raises(RuntimeError, match="colouriser failed"),
        background_writes(slow, depth=4) as write,
    ):
        for i in range(10):
            write(_frame(i), None)
        raise RuntimeError("colouriser failed")
    assert len(written) < 10
    assert written == list(range(len(written)))
    assert not _workers()
