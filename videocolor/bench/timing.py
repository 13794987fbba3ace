"""Method time apart from scoring time, and the process's peak memory.

A method is a lazy iterable, and the bench scores each frame as it arrives, so a plain timer
around the loop would charge the metrics to the method. :class:`TimedIterable` counts only the
time spent inside the method (creating it and each ``next``).
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class TimedIterable(Iterator[T]):
    """Iterates ``make()``'s result, adding the seconds spent producing items to ``seconds``."""

    def __init__(self, make: Callable[[], Iterable[T]]) -> None:
        start = time.perf_counter()
        self._items = iter(make())
        self.seconds = time.perf_counter() - start

    def __next__(self) -> T:
        start = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (``ru_maxrss``: KiB on Linux, bytes
    on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
