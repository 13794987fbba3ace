"""Colour priors: the chroma the fill falls back on where propagation has nothing to go on.

Where no trusted pixel is nearby (a new object, a large disocclusion) the fill leans on a prior,
so the colour is a plausible one instead of grey. Two kinds:

- :class:`ColourPrior`: the mean chroma the references give each luma level (skin tones in the
  mid-tones, sky in the highlights). Built from an exemplar image, the same table is also the
  low-confidence colour source for a shot that has no painted frame.
- :class:`NetworkPrior`: the colourisation network's automatic colour of the frame, which knows
  what things look like rather than what the reference has at that brightness: a sky that enters
  the picture is coloured like a sky, not like the reference's bright grass.

Both are callables ``luma (H, W) → ab (H, W, 2)`` with the ``weight`` the fill gives them against
the colour it spreads from trusted neighbours (:func:`videocolor.engine.repair.refine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

if TYPE_CHECKING:
    from videocolor.colorizers.network import ColorNetwork


class Prior(Protocol):
    """Chroma for a frame's luma, and how much the fill trusts it."""

    weight: float

    def __call__(self, luma: np.ndarray) -> np.ndarray: ...


class ColourPrior:
    """Mean ``ab`` per luma bin, pooled over one or more reference images."""

    #: The fill's weight for this prior: a weak fallback, never a rival to trusted colour.
    weight = 0.02

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


class NetworkPrior:
    """The colourisation network's automatic colour (no hints) of a recent frame.

    The engine asks for the prior once per frame of a chain, in order (the walks through a shot
    are consecutive frames, so successive calls see neighbouring frames). The network runs at
    ``lines`` lines on every ``every``-th call and in between the last answer is reused: the
    prior only decides pixels with no trusted colour near them, at a coarse scale, where a few
    frames of motion matter little. It beats the references' luma table where something new
    enters the picture (an entering sky no longer takes a reference's green).
    """

    weight = 0.3

    def __init__(self, network: ColorNetwork, lines: int = 64, every: int = 6) -> None:
        self.network, self.lines, self.every = network, lines, every
        self._age = 0  # calls answered since the network last ran
        self._ab: np.ndarray | None = None

    def __call__(self, luma: np.ndarray) -> np.ndarray:
        """Automatic ``ab`` (H, W, 2) for luma (H, W) in [0, 1], possibly of a recent frame."""
        luma = np.asarray(luma, np.float32)
        if self._ab is None or self._ab.shape[:2] != luma.shape or self._age >= self.every:
            self._ab, self._age = self.network(luma, lines=self.lines), 0
        self._age += 1
        return self._ab
