"""Sparse user hints simulated from the ground truth, as in interactive colourisation benchmarks.

Zhang et al. (2017, "Real-time user-guided image colorization") score hint-guided methods by
revealing the true colour at a few random points; here each point is a small square patch of the
true CIELAB ``ab``. The points depend only on the photo's name and the seed, so every method and
every run sees the same hints.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

HINT_SEED = 0
HINT_PATCH = 3


@dataclass(frozen=True)
class Hints:
    """Hint chroma (true ``ab`` inside the mask, 0 elsewhere), the mask, and the patch centres."""

    ab: np.ndarray  # (H, W, 2) float32
    mask: np.ndarray  # (H, W) float32 in {0, 1}
    centres: np.ndarray  # (N, 2) int: rows, columns


def sample_hints(
    true_ab: np.ndarray, count: int, name: str, patch: int = HINT_PATCH, seed: int = HINT_SEED
) -> Hints:
    """``count`` random ``patch`` x ``patch`` squares of ``true_ab``, placed by name and seed."""
    height, width = true_ab.shape[:2]
    radius = patch // 2
    if min(height, width) < patch:
        raise ValueError(f"a {width}x{height} image is smaller than one {patch}x{patch} hint")
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    rows = rng.integers(radius, height - radius, count)
    cols = rng.integers(radius, width - radius, count)
    mask = np.zeros((height, width), np.float32)
    for row, col in zip(rows, cols, strict=True):
        mask[row - radius : row + radius + 1, col - radius : col + radius + 1] = 1.0
    ab = (np.asarray(true_ab, np.float32) * mask[..., None]).astype(np.float32)
    return Hints(ab, mask, np.stack([rows, cols], axis=1))
