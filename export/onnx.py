"""Export a trained colourisation checkpoint to the ONNX file the runtime serves.

``python -m export.onnx CHECKPOINT -o MODEL.onnx [--images DIR]``

One file (no external data), opset 17, dynamic batch/height/width, and ``metadata_props`` that
state the tensor contract so a host other than videocolor can feed it correctly. The file is only
written once onnxruntime reproduces torch on real photos, with no hints, with sparse points and
with dense degraded hints, at two sizes, within :data:`PARITY_TOLERANCE` (in ab units); a silent
mismatch would otherwise surface much later as a mysteriously worse colouriser.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import torch

import videocolor
from training import data as td
from training.models.colornet import MULTIPLE, ColorNet, ColorNetConfig
from videocolor.colorizers.network import INPUT_NAMES

OPSET = 17
PARITY_TOLERANCE = 1e-3
PARITY_SIZES = ((128, 160), (256, 448))  # (height, width), multiples of 32
#: Below ``$VIDEOCOLOR_DATA``: held-out photos for the parity check when ``--images`` is not given.
DATA_IMAGES = Path("photos") / "test" / "kodak24"


class ParityError(RuntimeError):
    """onnxruntime's output differs from torch's by more than :data:`PARITY_TOLERANCE`."""


def load_model(checkpoint: Path) -> tuple[ColorNet, dict]:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = ColorNet(ColorNetConfig(pretrained=False))
    model.load_state_dict(state["model"])
    return model.eval(), state


def metadata(state: dict) -> dict[str, str]:
    config = state.get("config", {})
    return {
        "videocolor.version": videocolor.__version__,
        "videocolor.model": "colornet",
        "color_space": "input luma: Y' (BT.709 weights, sRGB primaries); ab: CIELAB D65 a*, b*",
        "input_ranges": json.dumps(
            {
                "luma": "[0, 1]",
                "hint_ab": "[-128, 127] (0 where no hint)",
                "hint_conf": "[0, 1]: 0 = no hint; >= 1/255 = a hint, copied where the model "
                "agrees with it however low its trust",
            }
        ),
        "output": "ab (N,2,H,W) CIELAB a*, b*",
        "shape": f"H and W multiples of {MULTIPLE}",
        "working_resolution": "trained on 128x128 crops of 256-line photos; run at <= 256 lines",
        "trained_on": "photos/train (ImageNet sample, BSDS500, Urban100, Sun-Hays 80, McMaster) "
        "and video/train real-motion clips; never DAVIS-2016 val or test photos",
        "training": json.dumps({"step": state.get("step"), "config": config.get("name")}),
    }


def export(model: ColorNet, path: Path, props: dict[str, str]) -> None:
    example = tuple(torch.zeros(1, c, 64, 64) for c in (1, 2, 1))
    axes = {name: {0: "batch", 2: "height", 3: "width"} for name in (*INPUT_NAMES, "ab")}
    torch.onnx.export(
        model,
        example,
        str(path),
        opset_version=OPSET,
        dynamo=False,
        input_names=list(INPUT_NAMES),
        output_names=["ab"],
        dynamic_axes=axes,
    )
    proto = onnx.load(str(path))
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path), save_as_external_data=False)


def parity_inputs(images: list[np.ndarray]) -> list[tuple[np.ndarray, ...]]:
    """(luma, hint_ab, hint_conf) batches from real photos: no hints, points, dense hints."""
    rng = np.random.default_rng(0)
    batches = []
    for height, width in PARITY_SIZES:
        for kind in ("auto", "points", "dense"):
            planes = []
            for image in images:
                crop = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
                luma, ab = td.luma_and_ab(crop)
                if kind == "auto":
                    hint, conf = np.zeros_like(ab), np.zeros_like(luma)
                elif kind == "points":
                    hint, conf = td.point_hints(rng, ab, 10)
                else:
                    hint, conf = td.dense_hints(rng, luma, ab, ab[::-1].copy())
                planes.append((luma[None], hint.transpose(2, 0, 1), conf[None]))
            batches.append(tuple(np.stack(p).astype(np.float32) for p in zip(*planes, strict=True)))
    return batches


def check_parity(model: ColorNet, path: Path, images: list[np.ndarray]) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for inputs in parity_inputs(images):
        ours = session.run(None, dict(zip(INPUT_NAMES, inputs, strict=True)))[0]
        with torch.no_grad():
            theirs = model(*(torch.from_numpy(x) for x in inputs)).numpy()
        worst = max(worst, float(np.abs(ours - theirs).max()))
    if worst > PARITY_TOLERANCE:
        raise ParityError(f"onnxruntime differs from torch by {worst:.2e} > {PARITY_TOLERANCE}")
    return worst


def parity_images(folder: Path | None) -> list[np.ndarray]:
    if folder is not None and folder.is_dir():
        return [td.load_rgb(p, 256) for p in td.photo_paths([folder])[:4]]
    return td.sample_photos()[:4]


def checked_export(
    output: Path,
    images: Path | None,
    write: Callable[[Path], None],
    check: Callable[[Path, list[np.ndarray]], float],
) -> float:
    """``write`` a model to a temporary file beside ``output``, ``check`` its parity on photos
    from ``images`` (default ``$VIDEOCOLOR_DATA``/:data:`DATA_IMAGES`) and only then replace
    ``output``; returns the worst difference ``check`` found."""
    if images is None:
        from training.train import default_data_root

        images = default_data_root() / DATA_IMAGES
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as scratch:
        staged = Path(scratch) / output.name
        write(staged)
        worst = check(staged, parity_images(images))
        staged.replace(output)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m export.onnx", description=__doc__.split("\n")[0]
    )
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--images", type=Path, default=None, help="photos for the parity check")
    args = parser.parse_args(argv)
    model, state = load_model(args.checkpoint)
    worst = checked_export(
        args.output,
        args.images,
        lambda path: export(model, path, metadata(state)),
        lambda path, images: check_parity(model, path, images),
    )
    size = args.output.stat().st_size / 1e6
    print(f"{args.output}: {size:.1f} MB, opset {OPSET}, parity max |Δab| {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
