"""A video streamed into a few numbers per frame: the only pass over the pixels.

Only the last ``2 * max(spans)`` signatures are held (thumbnails of about 50 KB each), so memory
does not depend on the picture size or the reel's length beyond a dozen floats per frame.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass

import numpy as np

from videocolor.shots.detect.measures import mix_ratio, structure_distance, tone_distance
from videocolor.shots.detect.settings import DetectorSettings
from videocolor.shots.detect.signature import TONE_QUANTILES, Signature

#: Share of the dissolve thresholds above which the (costlier) mix ratio is computed: a little
#: below them, so a dissolve's run can be followed out to its faint ends.
PREFILTER = 0.7


@dataclass(frozen=True)
class SeriesArrays:
    """Per-frame measurements; index t describes frame t.

    ``step[t]`` compares frames t-1 and t, ``across[t]`` frames t-1 and t+1. For each half-span
    k of ``spans`` (row i of the 2-D arrays), ``span_structure`` and ``span_tone`` compare frames
    t-k and t+k, and ``mix`` is :func:`~videocolor.shots.detect.measures.mix_ratio` of frame t
    between them, computed only where both span distances reach ``PREFILTER`` of the dissolve
    thresholds (NaN elsewhere). Comparisons that reach outside the video are 0.
    """

    spans: tuple[int, ...]
    contrast: np.ndarray
    bright: np.ndarray
    step: np.ndarray
    across: np.ndarray
    span_structure: np.ndarray  # (len(spans), T)
    span_tone: np.ndarray  # (len(spans), T)
    mix: np.ndarray  # (len(spans), T)

    def __len__(self) -> int:
        return len(self.contrast)


class SeriesBuilder:
    """Feed signatures in frame order with :meth:`add`, then take :meth:`arrays`.

    Values are kept in ``array('f')`` columns, 4 bytes each: a two-hour film at 24 fps costs
    about 9 MB.
    """

    def __init__(self, settings: DetectorSettings) -> None:
        self.settings = settings
        self._recent: deque[Signature] = deque(maxlen=2 * max(settings.spans))
        # per frame: contrast, bright, step; then across (from frame 1)
        self._frame = [array("f") for _ in range(3)]
        self._across = array("f")
        # per span and centre frame: structure, tone, mix
        self._span = [[array("f") for _ in range(3)] for _ in settings.spans]

    def __len__(self) -> int:
        return len(self._frame[0])

    def add(self, sig: Signature) -> None:
        recent = self._recent
        step = structure_distance(recent[-1].thumbnail, sig.thumbnail) if recent else 0.0
        for column, value in zip(self._frame, (sig.contrast, sig.bright, step), strict=True):
            column.append(value)
        if len(recent) >= 2:
            self._across.append(structure_distance(recent[-2].thumbnail, sig.thumbnail))
        for columns, half in zip(self._span, self.settings.spans, strict=True):
            if len(recent) >= 2 * half:
                values = self._compare(recent[-2 * half], recent[-half], sig)
                for column, value in zip(columns, values, strict=True):
                    column.append(value)
        recent.append(sig)

    def _compare(
        self, before: Signature, middle: Signature, after: Signature
    ) -> tuple[float, float, float]:
        structure = structure_distance(before.thumbnail, after.thumbnail)
        tone = tone_distance(before.tones, after.tones)
        mix = float("nan")
        settings = self.settings
        if (
            structure >= PREFILTER * settings.dissolve_structure
            and tone >= PREFILTER * settings.dissolve_tone
        ):
            mix = mix_ratio(before.thumbnail, middle.thumbnail, after.thumbnail, TONE_QUANTILES)
        return structure, tone, mix

    def arrays(self, start: int = 0) -> SeriesArrays:
        """The series from frame ``start`` on as numpy arrays (index 0 is frame ``start``),
        padded where a comparison reaches outside the frames seen so far."""
        count = len(self) - start
        contrast, bright, step = (_window(c, 0, start, count, 0.0) for c in self._frame)
        across = _window(self._across, 1, start, count, 0.0)
        rows = [
            [
                _window(column, half, start, count, fill)
                for column, fill in zip(columns, _FILLS, strict=True)
            ]
            for half, columns in zip(self.settings.spans, self._span, strict=True)
        ]
        return SeriesArrays(
            spans=self.settings.spans,
            contrast=contrast,
            bright=bright,
            step=step,
            across=across,
            span_structure=np.stack([row[0] for row in rows]),
            span_tone=np.stack([row[1] for row in rows]),
            mix=np.stack([row[2] for row in rows]),
        )


_FILLS = (0.0, 0.0, float("nan"))  # structure, tone, mix where a span reaches outside


def _window(column: array, first: int, start: int, count: int, fill: float) -> np.ndarray:
    """Frames ``start`` to ``start + count - 1`` of a column whose element 0 describes frame
    ``first``; frames it does not describe get ``fill``."""
    values = np.frombuffer(column, np.float32)
    window = np.full(count, fill, np.float32)
    lo, hi = max(start, first), min(start + count, first + len(values))
    if hi > lo:
        window[lo - start : hi - start] = values[lo - first : hi - first]
    return window
