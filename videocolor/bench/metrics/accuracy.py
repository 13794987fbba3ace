"""The raw accuracy curve of Zhang et al. 2016: the share of pixels whose colour error is under
each threshold, in ab or RGB, and its area."""

from __future__ import annotations

from typing import Literal

import numpy as np

from videocolor.bench.metrics.pairs import DATA_RANGE, rgb_pair
from videocolor.color import rgb_to_lab

Space = Literal["ab", "rgb"]

#: Thresholds of Zhang et al.'s raw accuracy curve: 0..150 in steps of 1.
DEFAULT_THRESHOLDS = np.arange(0, 151)
MAX_THRESHOLD = 150


def color_error(pred: np.ndarray, target: np.ndarray, space: Space = "ab") -> np.ndarray:
    """Per-pixel colour error (H x W, float64) of Zhang et al.'s raw accuracy.

    ``'ab'``: Euclidean distance in the CIELAB a*b* plane (lightness ignored, since colourisation
    keeps the input's); ``'rgb'``: Euclidean distance of RGB on the 0..255 scale.
    """
    pred, target = rgb_pair(pred, target)
    if space == "ab":
        pred = rgb_to_lab((pred / DATA_RANGE).astype(np.float32))[..., 1:].astype(np.float64)
        target = rgb_to_lab((target / DATA_RANGE).astype(np.float32))[..., 1:].astype(np.float64)
    elif space != "rgb":
        raise ValueError(f"space must be 'ab' or 'rgb', got {space!r}")
    return np.sqrt(((pred - target) ** 2).sum(-1))


def accuracy_curve(
    pred: np.ndarray,
    target: np.ndarray,
    space: Space = "ab",
    thresholds: np.ndarray = DEFAULT_THRESHOLDS,
) -> np.ndarray:
    """Share of pixels whose :func:`color_error` is <= each threshold (Zhang et al. 2016)."""
    errors = np.sort(color_error(pred, target, space).ravel())
    counts = np.searchsorted(errors, np.asarray(thresholds, dtype=np.float64), side="right")
    return counts / errors.size


def auc(pred: np.ndarray, target: np.ndarray, space: Space = "ab") -> float:
    """Area under the raw accuracy curve over thresholds 0..150, normalised to [0, 1].

    Computed as the mean of the curve at the 151 integer thresholds (a Riemann sum with step 1
    divided by the range), the usual reading of Zhang et al.'s "AuC"; 1.0 means every pixel exact.
    """
    return float(accuracy_curve(pred, target, space).mean())


def accuracy_at(
    pred: np.ndarray, target: np.ndarray, threshold: float = 10, space: Space = "ab"
) -> float:
    """Share of pixels within ``threshold`` colour error (e.g. 10 ab units, a common cut-off)."""
    return float(accuracy_curve(pred, target, space, np.array([threshold]))[0])


class AccuracyCurve:
    """Raw accuracy pooled over many frames: every pixel of every frame weighs the same.

    Holds a histogram of integer-ceiled errors, so memory is constant whatever the video length.
    For an integer threshold t, ``error <= t`` exactly when ``ceil(error) <= t``, so the pooled
    curve at integer thresholds equals :func:`accuracy_curve` on all the pixels at once. Errors
    beyond ``max_threshold`` share one overflow bin.
    """

    def __init__(self, space: Space = "ab", max_threshold: int = MAX_THRESHOLD) -> None:
        if space not in ("ab", "rgb"):
            raise ValueError(f"space must be 'ab' or 'rgb', got {space!r}")
        self.space: Space = space
        self.max_threshold = int(max_threshold)
        self.counts = np.zeros(self.max_threshold + 2, dtype=np.int64)

    @property
    def pixels(self) -> int:
        return int(self.counts.sum())

    def add(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Count one frame's pixels."""
        errors = color_error(pred, target, self.space).ravel()
        bins = np.minimum(np.ceil(errors), self.max_threshold + 1).astype(np.int64)
        self.counts += np.bincount(bins, minlength=self.counts.size)

    def curve(self) -> np.ndarray:
        """Accuracy at thresholds 0..max_threshold."""
        if self.pixels == 0:
            raise ValueError("no frames added")
        return np.cumsum(self.counts)[: self.max_threshold + 1] / self.pixels

    def at(self, threshold: int = 10) -> float:
        """Accuracy at an integer threshold in 0..max_threshold."""
        if not 0 <= threshold <= self.max_threshold or int(threshold) != threshold:
            raise ValueError(f"threshold must be an integer in 0..{self.max_threshold}")
        return float(self.curve()[int(threshold)])

    def auc(self) -> float:
        """Mean of the curve over thresholds 0..max_threshold, as :func:`auc`."""
        return float(self.curve().mean())
