"""A frame's chroma from one chain with its per-pixel trust; fusing chains; keeping them per
frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from videocolor.engine.fill import mix, per_channel
from videocolor.memory.spill import spill_array


@dataclasses.dataclass
class Candidate:
    """Chroma for one frame from one chain, with how much each pixel is trusted."""

    ab: np.ndarray  # (H, W, 2) float32
    confidence: np.ndarray  # (H, W) float32 in [0, 1]
    distance: int = 0  # frames from the keyframe the chain started at
    matched: np.ndarray | None = None  # (H, W, 2) keyframe-matched ab, carried along the chain


def with_matched_colour(candidate: Candidate, share: float) -> Candidate:
    """The candidate with its keyframe-matched colour blended in where it is unsure: a pixel
    gives ``share`` of its doubt (1 - confidence) to the matched colour."""
    weight = 1.0 - share * (1.0 - candidate.confidence)
    return dataclasses.replace(candidate, ab=mix(candidate.ab, candidate.matched, weight))


def fuse(candidates: Sequence[Candidate], decay: float) -> Candidate:
    """Confidence-weighted mean of the chains reaching a frame; nearer keyframes weigh more."""
    if len(candidates) == 1:
        return candidates[0]
    weights = [
        per_channel(np.maximum(c.confidence, 1e-4) * decay**c.distance, 2) for c in candidates
    ]
    total = sum(weights)
    ab = sum(w * c.ab for w, c in zip(weights, candidates, strict=True)) / total
    confidence = np.maximum.reduce([c.confidence for c in candidates])
    return Candidate(ab, confidence, min(c.distance for c in candidates))


class CandidateStore:
    """One candidate per frame of a shot (ab + confidence as float16, distance), spilled to disk
    when large (:func:`videocolor.memory.spill.spill_array`)."""

    def __init__(self, count: int, shape: tuple[int, int]) -> None:
        self._data = spill_array((count, *shape, 3), np.float16)
        self._present = np.zeros(count, bool)
        self._distance = np.zeros(count, np.int64)

    def put(self, index: int, candidate: Candidate | None) -> None:
        if candidate is None:
            return
        self._data[index] = np.dstack([candidate.ab, candidate.confidence])
        self._present[index] = True
        self._distance[index] = candidate.distance

    def get(self, index: int) -> Candidate | None:
        if not self._present[index]:
            return None
        data = np.asarray(self._data[index], np.float32)
        return Candidate(data[..., :2], data[..., 2], int(self._distance[index]))
