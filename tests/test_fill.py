"""The classical fills: holes take colour from near pixels of the same brightness."""

from __future__ import annotations

import numpy as np

from videocolor.fill import BilateralGrid, pyramid_fill


def _two_tone_scene() -> tuple[np.ndarray, np.ndarray]:
    """Dark red ground below a bright blue sky, as luma and Lab ``ab``."""
    luma = np.full((96, 128), 0.8, np.float32)
    luma[48:] = 0.25
    ab = np.zeros((96, 128, 2), np.float32)
    ab[:48] = (-10.0, -40.0)  # blue
    ab[48:] = (45.0, 30.0)  # red
    return luma, ab


def test_bilateral_grid_fills_a_hole_from_the_same_brightness() -> None:
    luma, ab = _two_tone_scene()
    trust = np.ones_like(luma)
    trust[20:80, 40:90] = 0.0  # a hole across the horizon
    num, den = (
        BilateralGrid(luma.shape, 2, cell=16, bins=8).splat(luma, ab, trust).filled().slice(luma)
    )
    filled = num / den[..., None]
    hole = trust == 0
    error = np.abs(filled - ab)[hole].max()
    assert error < 1.0  # sky from sky, ground from ground, right up to the horizon
    spatial = pyramid_fill(ab, trust)
    assert np.abs(spatial - ab)[hole].max() > 20  # a purely spatial fill mixes them


def test_bilateral_grid_reads_back_what_it_was_given() -> None:
    rng = np.random.default_rng(1)
    luma = rng.uniform(0, 1, (40, 60)).astype(np.float32)
    data = np.full((40, 60, 1), 7.0, np.float32)
    grid = BilateralGrid(luma.shape, 1, cell=8, bins=8).splat(luma, data, np.ones_like(luma))
    num, den = grid.filled().slice(luma)
    assert np.allclose(num[..., 0] / den, 7.0, atol=1e-4)
    assert den.min() > 0
