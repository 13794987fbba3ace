"""A colour prior from references: the mean chroma a reference gives each luma level.

Where propagation has no trusted pixel nearby (a new object, a large disocclusion) the fill
falls back on this prior, so the colour is one the reference plausibly has at that brightness
(skin tones in the mid-tones, sky in the highlights) instead of grey. The same table, built from
an exemplar image, is the low-confidence colour source for a shot that has no painted frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


class ColourPrior:
    """Mean ``ab`` per luma bin, pooled over one or more reference images."""

    def __init__(self, lumas: Sequence[np.ndarray], abs_: Sequence[np.ndarray], bins: int = 32):
        self.bins = bins
        total = np.zeros((bins, 2), np.float64)
        count = np.zeros(bins, np.float64)
        for luma, ab in zip(lumas, abs_, strict=True):
            index = self._bin(luma).ravel()
            count += np.bincount(index, minlength=bins)
            for channel in range(2):
                total[:, channel] += np.bincount(index, ab[..., channel].ravel(), minlength=bins)
        filled = count > 0
        table = np.zeros((bins, 2), np.float32)
        if filled.any():
            centres = np.arange(bins)
            for channel in range(2):
                means = total[filled, channel] / count[filled]
                table[:, channel] = np.interp(centres, centres[filled], means)
        self.table = table

        # The same table per 8-bit luma code, for cv2.LUT (a gather numpy does 10x slower).
        codes = np.arange(256, dtype=np.float32) / 255.0
        self._lut = np.ascontiguousarray(table[self._bin(codes)].reshape(1, 256, 2))

    def _bin(self, luma: np.ndarray) -> np.ndarray:
        return np.clip((luma * self.bins).astype(np.int32), 0, self.bins - 1)

    def __call__(self, luma: np.ndarray) -> np.ndarray:
        """Prior chroma (H, W, 2) for a frame's luma in [0, 1]."""
        luma = np.asarray(luma, np.float32)
        if luma.ndim != 2:
            return self.table[self._bin(luma)]
        code = cv2.convertScaleAbs(luma, alpha=255.0)
        return cv2.LUT(cv2.merge([code, code]), self._lut)
