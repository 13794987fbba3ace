"""The bundled colourisation network served by onnxruntime: contract, hints, automatic colour."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from skimage import data as photos

from videocolor import color
from videocolor.colorizers.network import PACKAGED_MODEL, ColorNetwork, network_size
from videocolor.colorizers.runtime import choose_providers
from videocolor.engine.fill import pyramid_fill
from videocolor.errors import ModelError


@pytest.fixture(scope="module")
def network() -> ColorNetwork:
    return ColorNetwork(device="cpu")


@pytest.fixture(scope="module")
def photo() -> tuple[np.ndarray, np.ndarray]:
    """(luma, true ab) of a real photo none of the training sets holds."""
    rgb = photos.coffee().astype(np.float32) / 255.0
    return color.rgb_to_luma(rgb), color.rgb_to_lab(rgb)[..., 1:]


def test_bundled_model_is_small_and_described(network: ColorNetwork) -> None:
    assert PACKAGED_MODEL.stat().st_size < 20e6
    assert network.metadata["videocolor.model"] == "colornet"
    assert "CIELAB" in network.metadata["color_space"]
    assert network.provider == "CPUExecutionProvider"


def test_network_size_is_a_multiple_of_32_within_the_lines() -> None:
    assert network_size(854, 480, 256) == (448, 256)
    assert network_size(100, 40, 256) == (96, 32)
    for width, height in ((1920, 1080), (432, 320), (33, 31)):
        w, h = network_size(width, height, 224)
        assert w % 32 == 0 and h % 32 == 0 and h <= max(224, 32)


def test_devices() -> None:
    assert choose_providers("cpu") == ["CPUExecutionProvider"]
    assert choose_providers("auto")[-1] == "CPUExecutionProvider"
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(ModelError, match="onnxruntime-gpu"):
            choose_providers("cuda")
    with pytest.raises(ModelError, match="unknown device"):
        choose_providers("gpu0")


def test_missing_model_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ColorNetwork(tmp_path / "none.onnx")
    (tmp_path / "bad.onnx").write_text("not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        ColorNetwork(tmp_path / "bad.onnx")


def _error(ab: np.ndarray, truth: np.ndarray) -> float:
    return float(np.abs(ab - truth).mean())


def test_trusted_dense_hints_are_kept(network: ColorNetwork, photo) -> None:
    luma, truth = photo
    out = network(luma, truth, np.ones(luma.shape, np.float32))
    assert out.shape == truth.shape
    assert _error(out, truth) < 2.0


def test_filled_holes_in_dense_hints_stay_plausible(network: ColorNetwork, photo) -> None:
    """A hole as the engine delivers it: filled from around (push-pull), barely trusted."""
    luma, truth = photo
    conf = np.ones(luma.shape, np.float32)
    conf[100:300, 150:450] = 0.0
    hint = pyramid_fill(truth * conf[..., None], conf + 1e-6)
    out = network(luma, hint, np.maximum(conf, 0.02))
    hole = conf == 0
    assert _error(out[hole], truth[hole]) < 0.8 * _error(np.zeros_like(truth[hole]), truth[hole])
    assert np.abs(out).max() < 128


def test_automatic_colour_beats_grey(network: ColorNetwork, photo) -> None:
    luma, truth = photo
    automatic = network(luma)
    assert _error(automatic, truth) < _error(np.zeros_like(truth), truth)
    assert np.hypot(automatic[..., 0], automatic[..., 1]).mean() > 3.0  # not grey
