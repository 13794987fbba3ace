"""``bench images``: colour photos automatically (or from sparse hints) and score them.

Each photo is turned into the product's grey input (:mod:`.render`), coloured by each image
method (:data:`videocolor.bench.methods.IMAGE_METHODS`) with no hint (``auto``) or with
``hints`` true-colour patches (:mod:`.hints`), recombined with its own luma and scored against
the original: PSNR, SSIM, QSSIM (means over photos), raw-accuracy AuC in ``ab`` and RGB (pixels
pooled), colourfulness, and where the photos are labelled ImageNet images the classifier's
top-1/top-5 on original, grey and colourised versions (:mod:`.semantic`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videocolor import __version__, color
from videocolor.bench import figures
from videocolor.bench.data import find_classes_table, find_photos, read_photo
from videocolor.bench.hints import HINT_PATCH, HINT_SEED, Hints, sample_hints
from videocolor.bench.methods import IMAGE_METHODS
from videocolor.bench.metrics import accuracy, fidelity
from videocolor.bench.render import compose, compose_ab, luma_codes, unit_luma
from videocolor.bench.scores import SPACES
from videocolor.bench.semantic import SemanticScorer, semantic_scorer
from videocolor.bench.timing import peak_rss_mb
from videocolor.color import default_matrix, rgb_to_lab
from videocolor.progress import Reporter

#: Photos shown in the report's contact sheet, and the box their thumbnails fit in.
SHEET_PHOTOS = 6
PHOTO_THUMB = (240, 180)


class ImageScores:
    """One method's per-photo scores, pooled accuracy histograms and running time."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.mses: list[float] = []
        self.curves = {space: accuracy.AccuracyCurve(space) for space in SPACES}
        self.seconds = 0.0

    def add(self, name: str, output: np.ndarray, original: np.ndarray) -> None:
        """Score one 8-bit RGB output against the original photo."""
        mse = fidelity.mse(output, original)
        aucs = {}
        for space in SPACES:
            curve = accuracy.AccuracyCurve(space)
            curve.add(output, original)
            self.curves[space].counts += curve.counts
            aucs[f"auc_{space}"] = curve.auc()
        self.mses.append(mse)
        self.rows.append(
            {
                "name": name,
                "psnr": fidelity.psnr_from_mse(mse),
                "ssim": fidelity.ssim(output, original),
                "qssim": fidelity.qssim(output, original),
                **aucs,
                "colorfulness": color.colorfulness(output),
            }
        )

    def pooled(self) -> dict[str, object]:
        def mean(key: str) -> float:
            return float(np.mean([row[key] for row in self.rows]))

        return {
            "images": len(self.rows),
            "psnr": mean("psnr"),
            "ssim": mean("ssim"),
            "qssim": mean("qssim"),
            "auc_ab": self.curves["ab"].auc(),
            "auc_rgb": self.curves["rgb"].auc(),
            "colorfulness": mean("colorfulness"),
            "psnr_pooled_mse": fidelity.psnr_from_mse(float(np.mean(self.mses))),
        }


@dataclass
class ImageBench:
    """The results of one ``bench images`` run."""

    data: Path
    hints: int
    scores: dict[str, ImageScores]
    semantic: SemanticScorer | None
    semantic_note: str | None
    samples: dict[str, list[np.ndarray]] = field(default_factory=dict)
    sample_names: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0


def _input_thumbnail(grey: np.ndarray, original: np.ndarray, hints: Hints | None) -> np.ndarray:
    """The grey photo as a method sees it, with each hint drawn as a dot of its true colour."""
    thumb = figures.thumbnail(grey, *PHOTO_THUMB)
    if hints is not None:
        colours = original[hints.centres[:, 0], hints.centres[:, 1]]
        figures.mark_points(thumb, hints.centres * thumb.shape[0] / grey.shape[0], colours)
    return thumb


def _bench_photo(path: Path, bench: ImageBench, show: bool) -> None:
    rgb = read_photo(path)
    matrix = default_matrix(rgb.shape[0])
    codes = luma_codes(rgb, matrix)
    luma = unit_luma(codes)
    hints = None
    if bench.hints:
        true_ab = rgb_to_lab(rgb.astype(np.float32) / 255.0)[..., 1:]
        hints = sample_hints(true_ab, bench.hints, path.name)
    grey = compose(codes, None, matrix)
    if bench.semantic is not None:
        bench.semantic.add("original", rgb)
        bench.semantic.add("grey", grey)
    if show:
        bench.sample_names.append(path.stem)
        bench.samples.setdefault("original", []).append(figures.thumbnail(rgb, *PHOTO_THUMB))
        bench.samples.setdefault("input", []).append(_input_thumbnail(grey, rgb, hints))
    hint_ab, hint_mask = (hints.ab, hints.mask) if hints else (None, None)
    for name, scores in bench.scores.items():
        start = time.perf_counter()
        ab = IMAGE_METHODS[name](luma, hint_ab, hint_mask)
        scores.seconds += time.perf_counter() - start
        output = compose_ab(codes, ab, matrix)
        scores.add(path.stem, output, rgb)
        if bench.semantic is not None:
            bench.semantic.add(name, output)
        if show:
            bench.samples.setdefault(name, []).append(figures.thumbnail(output, *PHOTO_THUMB))


def run_image_bench(
    data: Path,
    methods: Sequence[str],
    *,
    hints: int = 0,
    classes: Path | None = None,
    keep_samples: bool = False,
    progress: bool = True,
) -> ImageBench:
    """Score image ``methods`` on the photos of ``data``, with ``hints`` hints per photo.

    ``classes`` is ``imagenet_classes.tsv`` (default: found beside or above ``data``);
    ``keep_samples`` keeps thumbnails of a few photos for the report.
    """
    photos = find_photos(data)
    semantic, note = semantic_scorer(photos, classes or find_classes_table(data))
    bench = ImageBench(data, hints, {name: ImageScores() for name in methods}, semantic, note)
    shown = set(figures.spread(len(photos), SHEET_PHOTOS)) if keep_samples else set()
    with Reporter("bench images", len(photos), enabled=progress) as reporter:
        for index, path in enumerate(photos):
            _bench_photo(path, bench, index in shown)
            reporter.advance()
    bench.peak_rss_mb = peak_rss_mb()
    return bench


def method_result(bench: ImageBench, method: str) -> dict[str, object]:
    """One method's JSON object (see the command's documentation for the schema)."""
    scores = bench.scores[method]
    images = len(scores.rows)
    return {
        "dataset": bench.data.name,
        "method": method,
        "mode": "hints" if bench.hints else "auto",
        "hints": bench.hints,
        "hint_patch": HINT_PATCH,
        "hint_seed": HINT_SEED,
        "images": scores.rows,
        "pooled": scores.pooled(),
        "semantic": bench.semantic.result(method) if bench.semantic else None,
        "semantic_note": bench.semantic_note,
        "speed": {
            "images_per_s": images / scores.seconds if scores.seconds > 0 else None,
            "images": images,
            "seconds": scores.seconds,
            "peak_rss_mb": bench.peak_rss_mb,
        },
        "psnr_convention": "mean of per-image PSNR",
        "data": str(bench.data),
        "videocolor_version": __version__,
    }
