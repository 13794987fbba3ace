"""Colour priors: the reference's luma table and the network's automatic colour."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data as photos

from videocolor import color
from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.prior import ColourPrior, NetworkPrior


@pytest.fixture(scope="module")
def network() -> ColorNetwork:
    return ColorNetwork(device="cpu")


def _luma(image: np.ndarray) -> np.ndarray:
    return color.rgb_to_luma(image.astype(np.float32) / 255.0)


def test_luma_table_gives_each_brightness_the_reference_colour() -> None:
    luma = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (16, 1))
    ab = np.zeros((16, 64, 2), np.float32)
    ab[:, :32] = (0.0, -40.0)  # dark half blue
    ab[:, 32:] = (30.0, 40.0)  # bright half orange
    prior = ColourPrior([luma], [ab])
    out = prior(np.array([[0.1, 0.9]], np.float32))
    np.testing.assert_allclose(out[0, 0], (0.0, -40.0), atol=1e-4)
    np.testing.assert_allclose(out[0, 1], (30.0, 40.0), atol=1e-4)


def test_network_prior_colours_what_the_reference_lacks(network: ColorNetwork) -> None:
    """A grey-only reference gives the table nothing but grey; the network still colours."""
    luma = _luma(photos.coffee())
    table = ColourPrior([luma], [np.zeros((*luma.shape, 2), np.float32)])
    automatic = NetworkPrior(network)(luma)
    assert automatic.shape == (*luma.shape, 2)
    assert np.abs(table(luma)).max() == 0
    assert np.hypot(automatic[..., 0], automatic[..., 1]).mean() > 3.0


def test_network_prior_reuses_its_answer_for_a_few_similar_frames(network: ColorNetwork) -> None:
    luma = _luma(photos.coffee())
    prior = NetworkPrior(network, every=3)
    shifted = [np.roll(luma, shift, axis=1) for shift in range(5)]  # a slow pan
    answers = [prior(frame) for frame in shifted]
    assert answers[1] is answers[0] and answers[2] is answers[0]
    assert answers[3] is not answers[0]  # every third frame runs the network again
    assert answers[4] is answers[3]
