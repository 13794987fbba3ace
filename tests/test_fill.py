"""The classical fills: holes take colour from near pixels of the same brightness."""

from __future__ import annotations

import numpy as np

from videocolor.engine.fill import BilateralGrid, mix, pyramid_fill


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


def test_mix_weighs_and_keeps_either_side() -> None:
    """Each pixel's weight mixes the two colours; weights 0 and 1 give either side (to float
    rounding), so colour that a chain mixes at every step does not shrink over hundreds of steps
    (a blend normalised by the weights' sum plus 1e-5 lost half a percent in 500)."""
    rng = np.random.default_rng(5)
    first = ((rng.random((16, 20, 2)) - 0.5) * 200).astype(np.float32)
    second = ((rng.random((16, 20, 2)) - 0.5) * 200).astype(np.float32)
    weight = rng.random((16, 20)).astype(np.float32)
    expected = second + weight[..., None] * (first - second)
    assert np.allclose(mix(first, second, weight), expected, atol=1e-3)
    chained = second
    for _ in range(500):
        chained = mix(first, chained, np.zeros_like(weight))
    assert np.abs(chained - second).max() < 1e-3
    assert np.abs(mix(first, second, np.ones_like(weight)) - first).max() < 1e-4
