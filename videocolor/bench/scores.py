"""One method's scores on one clip, and their pooling over clips, in the published conventions.

PSNR, SSIM and QSSIM are means of per-frame values (what the DAVIS/Videvo tables report);
pooled, every frame of every clip weighs the same. The raw-accuracy AuC pools pixels (every
pixel weighs the same, :class:`videocolor.bench.metrics.accuracy.AccuracyCurve`). CDC and warping
error describe a whole sequence, so a pooled value is the mean over clips. Colourfulness is a mean
over frames. Each summary is given twice: over all frames, and with the reference frames left out (a
method that copies its references scores them almost perfectly, which says nothing about
propagation); without references, CDC is taken on the remaining frames in order and the warping
error on the pairs of frames that are both not references.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from videocolor import color
from videocolor.bench.metrics import accuracy, fidelity, temporal
from videocolor.bench.motion import InputMotion

#: The metric keys of every clip row and pooled summary, in report order.
METRICS = (
    "psnr",
    "ssim",
    "qssim",
    "auc_ab",
    "auc_rgb",
    "cdc",
    "warp_error",
    "colorfulness",
    "fps",
)
PSNR_CONVENTION = "mean of per-frame PSNR"
SPACES: tuple[accuracy.Space, ...] = ("ab", "rgb")


@dataclass(frozen=True)
class FrameScore:
    """The per-frame metrics of one output frame."""

    index: int
    reference: bool
    mse: float
    psnr: float
    ssim: float
    qssim: float
    colorfulness: float


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return float(np.mean(values)) if values else None


def _merged(
    curves: Iterable[accuracy.AccuracyCurve], space: accuracy.Space
) -> accuracy.AccuracyCurve:
    total = accuracy.AccuracyCurve(space)
    for curve in curves:
        total.counts += curve.counts
    return total


def _summary(
    frames: Sequence[FrameScore],
    curves: dict[accuracy.Space, accuracy.AccuracyCurve],
    cdc: float | None,
    warp_error: float | None,
    fps: float | None,
) -> dict[str, float | int | None]:
    return {
        "frames": len(frames),
        "psnr": _mean(f.psnr for f in frames),
        "ssim": _mean(f.ssim for f in frames),
        "qssim": _mean(f.qssim for f in frames),
        "auc_ab": curves["ab"].auc() if curves["ab"].pixels else None,
        "auc_rgb": curves["rgb"].auc() if curves["rgb"].pixels else None,
        "cdc": cdc,
        "warp_error": warp_error,
        "colorfulness": _mean(f.colorfulness for f in frames),
        "fps": fps,
        # PSNR of the mean MSE: finite even when one frame is reproduced exactly.
        "psnr_pooled_mse": fidelity.psnr_from_mse(_mean(f.mse for f in frames)) if frames else None,
    }


class ClipScores:
    """Everything one clip contributes: per-frame scores, accuracy histograms (reference and
    other frames apart, so that both summaries come from one pass), sequence metrics, time."""

    def __init__(
        self, name: str, references: Iterable[int], given: Iterable[int] | None = None
    ) -> None:
        """``references``: the frames left out of the summaries without references; ``given``:
        the frames the method was given (the same unless a paired arm leaves out its partner's
        too)."""
        self.name = name
        self.references = frozenset(references)
        self.given = self.references if given is None else frozenset(given)
        self.frames: list[FrameScore] = []
        self.curves = {
            (space, is_ref): accuracy.AccuracyCurve(space)
            for space in SPACES
            for is_ref in (False, True)
        }
        self.cdc: dict[bool, float] = {}
        self.warp_error: dict[bool, float] = {}
        self.seconds = 0.0

    def add(self, index: int, output: np.ndarray, original: np.ndarray) -> None:
        """Score one 8-bit RGB output frame against the original."""
        is_ref = index in self.references
        mse = fidelity.mse(output, original)
        self.frames.append(
            FrameScore(
                index,
                is_ref,
                mse,
                fidelity.psnr_from_mse(mse),
                fidelity.ssim(output, original),
                fidelity.qssim(output, original),
                color.colorfulness(output),
            )
        )
        for space in SPACES:
            self.curves[space, is_ref].add(output, original)

    def add_sequence(self, outputs: Sequence[np.ndarray], motion: InputMotion) -> None:
        """The temporal metrics of all output frames (0.0 for fewer than two, as in metrics)."""
        kept = [frame for index, frame in enumerate(outputs) if index not in self.references]
        pairs = motion.pair_errors(outputs)
        clean = [
            error
            for t, error in enumerate(pairs)
            if t not in self.references and t + 1 not in self.references
        ]
        self.cdc = {False: temporal.cdc(outputs), True: temporal.cdc(kept)}
        self.warp_error = {False: _mean(pairs) or 0.0, True: _mean(clean) or 0.0}

    def selected(self, exclude_refs: bool) -> list[FrameScore]:
        return [f for f in self.frames if not (exclude_refs and f.reference)]

    def curve(self, space: accuracy.Space, exclude_refs: bool) -> accuracy.AccuracyCurve:
        parts = [False] if exclude_refs else [False, True]
        return _merged((self.curves[space, is_ref] for is_ref in parts), space)

    @property
    def fps(self) -> float | None:
        return len(self.frames) / self.seconds if self.seconds > 0 else None

    def summary(self, exclude_refs: bool = False) -> dict[str, float | int | None]:
        """The clip's metrics (and ``frames``, the number of frames they cover)."""
        curves = {space: self.curve(space, exclude_refs) for space in SPACES}
        return _summary(
            self.selected(exclude_refs),
            curves,
            self.cdc[exclude_refs],
            self.warp_error[exclude_refs],
            self.fps,
        )


def pool(clips: Sequence[ClipScores], exclude_refs: bool = False) -> dict[str, float | int | None]:
    """Metrics over all clips: frame-weighted PSNR/SSIM/QSSIM/colourfulness, pixel-weighted AuC,
    clip-averaged CDC and warping error, fps of the method's total time; plus ``clips``."""
    frames = [f for clip in clips for f in clip.selected(exclude_refs)]
    curves = {
        space: _merged((clip.curve(space, exclude_refs) for clip in clips), space)
        for space in SPACES
    }
    seconds = sum(clip.seconds for clip in clips)
    total = sum(len(clip.frames) for clip in clips)
    summary = _summary(
        frames,
        curves,
        _mean(clip.cdc[exclude_refs] for clip in clips),
        _mean(clip.warp_error[exclude_refs] for clip in clips),
        total / seconds if seconds > 0 else None,
    )
    return {**summary, "clips": len(clips)}
