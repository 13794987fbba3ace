"""Decoding and encoding on their own threads, so that they overlap the colouriser's work.

FFmpeg's decoders and encoders, OpenCV and numpy's large-array arithmetic release the GIL while
they work, so a decode thread ahead of the colouriser and an encode thread behind it keep both
cores of a small machine busy instead of taking turns. Queues are short (a few frames), so memory
stays bounded; an error on either thread is raised in the caller's thread at the next hand-over,
and leaving early (an error in the colouriser, Ctrl-C) stops and joins the thread before the
source or sink is closed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

from videocolor.io.frames import Frame

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.05


class _Failure:
    """An exception raised on the worker thread, carried to the caller's."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(items: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Queue ``item`` unless ``stop`` is set first; True when it was queued."""
    while not stop.is_set():
        try:
            items.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _drain(items: queue.Queue) -> None:
    while True:
        try:
            items.get_nowait()
        except queue.Empty:
            return


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``items`` on a worker thread, up to ``depth`` ahead of the caller."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(ready, item, stop):
                    return
            _put(ready, _END, stop)
        except BaseException as error:  # re-raised in the caller's thread
            _put(ready, _Failure(error), stop)

    worker = threading.Thread(target=produce, name="videocolor-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        _drain(ready)
        worker.join()


#: Writes one frame: its luma and Cb/Cr (None: grey), as :meth:`VideoSink.write` does.
Write = Callable[[Frame, np.ndarray | None], None]


@contextmanager
def background_writes(write: Write, depth: int = 4) -> Iterator[Write]:
    """A ``write`` that queues frames for ``write`` on a worker thread, in order.

    On leaving the block normally every queued frame has been written (or the worker's error is
    raised); on leaving it with an error the queued frames are dropped and the worker stopped.
    """
    pending: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def consume() -> None:
        while True:
            item = pending.get()
            if item is _END:
                return
            try:
                write(*item)
            except BaseException as error:  # re-raised in the caller's thread
                failure.append(error)
                stop.set()
                return

    def enqueue(frame: Frame, cbcr: np.ndarray | None) -> None:
        if not _put(pending, (frame, cbcr), stop):  # only a failed write stops the queue here
            raise failure[0]

    worker = threading.Thread(target=consume, name="videocolor-encode", daemon=True)
    worker.start()
    try:
        yield enqueue
    except BaseException:
        stop.set()
        _drain(pending)
        pending.put(_END)
        worker.join()
        raise
    _put(pending, _END, stop)
    worker.join()
    if failure:
        raise failure[0]
