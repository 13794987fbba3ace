"""Colour for a frame by semantic correspondence with its shot's keyframes.

Optical flow follows what moves continuously; it loses what it cannot follow (an object that
turns, leaves and comes back, a region hidden for a while) and then the chain can only guess its
colour from the neighbourhood. Matching every frame *directly* to the keyframes in a pretrained
classifier's feature space finds, for each place of the frame, the places of the keyframes that
look like the same kind of thing, and takes their colour: a soft attention over the keyframe
positions that match it nearly as well as its best match (each weighted by
``exp(similarity / temperature)``, :data:`MARGIN`), as exemplar-based colourisers do with learned
features. Here the features are ImageNet's (a frozen classifier
trunk) with a small head trained on real motion to find *the same thing* again
(:mod:`training.matching`: one frame of a clip coloured from another by this very attention).

The engine blends the matched colour into a chain where the chain is unsure (weight
1 - confidence, :func:`videocolor.engine.candidate.with_matched_colour`). The features come
from ``matching_features.onnx`` (``python -m export.features``; its card is
``models/matching_features.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from threadpoolctl import ThreadpoolController

from videocolor.colorizers.network import network_size
from videocolor.colorizers.runtime import open_session
from videocolor.engine.fill import guided_upsample
from videocolor.errors import ModelError

INPUT_NAME = "luma"
OUTPUT_NAME = "features"
#: Frame sides are resized to multiples of this (the features' stride 16 needs even sizes at
#: every halving for the exported fixed padding to be the right one).
MULTIPLE = 16
DEFAULT_LINES = 288
#: Used when the model does not state the temperature it was trained with.
DEFAULT_TEMPERATURE = 0.05
#: Only keyframe positions whose similarity is within this of a place's best match take part in
#: its colour: over every position, a keyframe's thousands of middling matches outweigh the few
#: good ones and grey the colour where the match is unsure.
MARGIN = 0.03
#: Queries per block of the attention: the block's similarity rows stay in cache.
_QUERY_BLOCK = 256
#: Places whose chain colour is at least this trusted (mean over the place's feature cell) are
#: not matched: the engine would give the matched colour almost nothing there.
SURE = 0.9
PACKAGED_MODEL = Path(__file__).resolve().parents[1] / "models" / "matching_features.onnx"


@dataclass(frozen=True)
class KeyframeMemory:
    """What frames are matched against: every keyframe position's features and colour."""

    keys: np.ndarray  # (M, C) float32, unit-length feature groups
    values: np.ndarray  # (M, 3) float32: ab at the feature stride, then 1 (the weight's sum)

    @classmethod
    def of(cls, keys: np.ndarray, ab: np.ndarray) -> KeyframeMemory:
        """The memory of positions with features ``keys`` (M, C) and colours ``ab`` (M, 2)."""
        ones = np.ones((len(ab), 1), np.float32)
        return cls(np.asarray(keys, np.float32), np.hstack([np.asarray(ab, np.float32), ones]))


class ReferenceMatcher:
    """Matches frames to keyframes in feature space (onnxruntime session + softmax attention).

    The temperature is the one the model's head was trained with (its metadata), else
    :data:`DEFAULT_TEMPERATURE`; ``margin``: see :data:`MARGIN` (``inf``: every keyframe
    position takes part). The defaults and what else was measured: ``docs/benchmarks.md``.
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        lines: int = DEFAULT_LINES,
        temperature: float | None = None,
        device: str = "auto",
        threads: int = 0,
        margin: float = MARGIN,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else PACKAGED_MODEL
        if not self.model_path.is_file():
            raise ModelError(
                f"matching model {self.model_path} does not exist; export it with "
                "`python -m export.features` or reinstall videocolor"
            )
        self.session = open_session(self.model_path, device, threads)
        if temperature is None:  # the one the model's head was trained with, when it says
            meta = self.session.get_modelmeta().custom_metadata_map
            temperature = float(meta.get("videocolor.temperature", DEFAULT_TEMPERATURE))
        self.lines, self.temperature, self.margin = lines, temperature, margin

    def features(self, luma: np.ndarray) -> np.ndarray:
        """(h, w, C) features of luma (H, W) in [0, 1] at stride 8 of the matching size."""
        size = network_size(luma.shape[1], luma.shape[0], self.lines, MULTIPLE)
        out = self.session.run(None, {INPUT_NAME: _shrink(luma, size)[None, None]})[0][0]
        return np.ascontiguousarray(out.transpose(1, 2, 0))

    def memory(self, lumas: Sequence[np.ndarray], abs_: Sequence[np.ndarray]) -> KeyframeMemory:
        """The keyframes (luma in [0, 1], CIELAB ab, same size) as one memory to match against."""
        keys, colours = [], []
        for luma, ab in zip(lumas, abs_, strict=True):
            features = self.features(luma)
            height, width = features.shape[:2]
            keys.append(features.reshape(-1, features.shape[2]))
            colours.append(_shrink(ab, (width, height)).reshape(-1, 2))
        return KeyframeMemory.of(np.concatenate(keys), np.concatenate(colours))

    def __call__(
        self,
        luma: np.ndarray,
        memory: KeyframeMemory,
        known: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """ab (H, W, 2) for luma (H, W): the attention-weighted keyframe colour of each place,
        brought to luma's size following its edges. With ``known`` (ab (H, W, 2) and its
        confidence (H, W) from the frame's chain) places the chain is sure of (:data:`SURE`)
        keep the chain's colour instead of being matched."""
        features = self.features(luma)
        height, width = features.shape[:2]
        queries = features.reshape(-1, features.shape[2])
        if known is None:
            matched = attend(queries, memory, self.temperature, self.margin)
        else:
            ab, confidence = known
            matched = _shrink(ab, (width, height)).reshape(-1, 2)
            unsure = _shrink(confidence, (width, height)).ravel() < SURE
            matched[unsure] = attend(queries[unsure], memory, self.temperature, self.margin)
        low = matched.reshape(height, width, 2)  # float32 already: no copy
        return guided_upsample(low, _shrink(luma, (width, height)), luma)


def attend(
    queries: np.ndarray, memory: KeyframeMemory, temperature: float, margin: float = MARGIN
) -> np.ndarray:
    """ab (N, 2) for queries (N, C): each query's keyframe colour, the softmax over similarities
    restricted to the positions within ``margin`` of its best match (:data:`MARGIN`)."""
    scale = 1.0 / temperature
    floor = float(np.exp(-margin * scale))
    matched = np.empty((len(queries), 2), np.float32)
    with _blas().limit(limits=1, user_api="blas"):  # one thread: see _blas
        for start in range(0, len(queries), _QUERY_BLOCK):
            block = slice(start, start + _QUERY_BLOCK)
            # in place, one block of rows at a time: similarity -> weight relative to the best match
            weights = queries[block] @ memory.keys.T
            np.subtract(weights, weights.max(axis=1, keepdims=True), out=weights)
            np.multiply(weights, scale, out=weights)
            cv2.exp(weights, weights)
            cv2.threshold(weights, floor, 0.0, cv2.THRESH_TOZERO, dst=weights)  # far matches: 0
            sums = weights @ memory.values  # weighted a, b and the weight itself at once
            matched[block] = sums[:, :2] / sums[:, 2:]  # the best match weighs 1: never 0
    return matched


@functools.cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded (numpy's, and OpenCV's own), to run the attention's products on
    one thread: after a product on several threads OpenBLAS keeps its threads spinning, and on
    2 cores they took the CPU the flow worker needs. Side by side on a 480p clip the engine ran
    12-25 % faster with them held to one thread, and a tenth of the CPU time had gone to the
    kernel's scheduler."""
    return ThreadpoolController()


def _shrink(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(plane, np.float32), size, interpolation=cv2.INTER_AREA)


@functools.cache
def shared_matcher(device: str = "auto") -> ReferenceMatcher:
    """The bundled feature model with default settings, loaded once per process and device."""
    return ReferenceMatcher(device=device)
