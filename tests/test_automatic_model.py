"""The bundled single-input automatic model is what ``export.automatic`` derives from the
bundled colourisation network, byte for byte, and colours as that network does with no hint;
the bundled models stay within the package's 40 MB."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skimage import data

from export.automatic import AUTOMATIC_MODEL, build
from tests.conftest import ROOT
from videocolor.color import rgb_to_luma
from videocolor.colorizers.network import ColorNetwork

MODELS_BUDGET_BYTES = 40 * 1000 * 1000


def test_the_bundled_automatic_model_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    assert build(tmp_path / AUTOMATIC_MODEL.name).read_bytes() == AUTOMATIC_MODEL.read_bytes()


def test_it_colours_a_photo_as_the_network_does_without_hints() -> None:
    luma = rgb_to_luma(data.coffee()[:384, :512] / 255.0)
    automatic = ort.InferenceSession(str(AUTOMATIC_MODEL), providers=["CPUExecutionProvider"])
    ab = automatic.run(None, {"luma": luma[None, None]})[0][0].transpose(1, 2, 0)
    zero = np.zeros_like(luma)
    expected = ColorNetwork(device="cpu").raw(luma, np.dstack([zero, zero]), zero)
    assert np.abs(ab).mean() > 1.0  # it colours
    assert np.array_equal(ab, expected)


def test_the_bundled_models_fit_the_budget() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "videocolor/models/*.onnx"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert AUTOMATIC_MODEL.relative_to(ROOT).as_posix() in tracked
    assert sum((ROOT / path).stat().st_size for path in tracked) <= MODELS_BUDGET_BYTES
