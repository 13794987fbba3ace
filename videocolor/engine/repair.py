"""The repair of untrusted chroma: snapped to the frame's luma edges, or filled from trusted
pixels of similar luma, at a fraction of the working resolution."""

from __future__ import annotations

import cv2
import numpy as np

from videocolor.engine.candidate import Candidate
from videocolor.engine.fill import BilateralGrid, mix, per_channel, weighted_guided_filter
from videocolor.engine.prior import Prior
from videocolor.engine.settings import PropagationSettings

#: The repair's resolution never goes below this many lines (PropagationSettings.repair_scale).
REPAIR_MIN_LINES = 120


def refine(
    ab: np.ndarray,
    trust: np.ndarray,
    luma: np.ndarray,
    prior: Prior,
    settings: PropagationSettings,
) -> Candidate:
    """Keep trusted chroma; elsewhere snap it to this frame's luma edges or fill it.

    The repair (a confidence-weighted guided fit, and where the fit has too little evidence a
    bilateral-grid fill that takes colour from trusted pixels nearby *of similar luma*, so that a
    disocclusion gets the background's colour rather than the moving object's) runs at
    ``repair_scale`` of the working resolution: it only decides the colour of untrusted pixels,
    which have no fine detail worth paying full resolution for.
    ``prior`` gives the chroma used, with its ``weight``, where nothing nearby is trusted at all
    (:mod:`videocolor.engine.prior`), so a new object gets a plausible colour rather than grey.
    """
    size = (luma.shape[1], luma.shape[0])
    # A whole factor (the frame padded by its edge to a multiple of it) takes OpenCV's fast area
    # shrink: about half the time of a fractional one, three times a frame.
    factor = max(1, min(round(1.0 / settings.repair_scale), size[1] // REPAIR_MIN_LINES))
    pad_x, pad_y = -size[0] % factor, -size[1] % factor
    small = ((size[0] + pad_x) // factor, (size[1] + pad_y) // factor)
    lines = small[1]

    def shrink(data: np.ndarray) -> np.ndarray:
        if factor == 1:
            return data
        if pad_x or pad_y:
            data = cv2.copyMakeBorder(data, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
        return cv2.resize(data, small, interpolation=cv2.INTER_AREA)

    s_luma, s_ab, s_trust = shrink(luma), shrink(ab), shrink(trust)
    s_prior = prior(s_luma)
    radius = max(1, round(settings.refine_radius * lines / size[1]))
    fitted, evidence = weighted_guided_filter(s_luma, s_ab, s_trust, radius, settings.refine_eps)
    weak = prior.weight
    grid = BilateralGrid(s_luma.shape, 2, settings.fill_cell, settings.fill_levels)
    spread, spread_weight = grid.splat(s_luma, s_ab, s_trust).filled().slice(s_luma)
    holes = (spread + weak * s_prior) / per_channel(spread_weight + weak, 2)
    share = np.clip(evidence / settings.evidence_threshold, 0.0, 1.0).astype(np.float32)
    repaired_ab = mix(fitted, holes, share)
    if factor > 1:
        padded = (size[0] + pad_x, size[1] + pad_y)
        repaired_ab = _crop(cv2.resize(repaired_ab, padded, interpolation=cv2.INTER_LINEAR), size)
        share = _crop(cv2.resize(share, padded, interpolation=cv2.INTER_LINEAR), size)
    chroma = mix(ab, repaired_ab, trust)
    confidence = np.maximum(trust, settings.fill_confidence * share)
    return Candidate(chroma, confidence.astype(np.float32))


def _crop(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The top-left ``size`` (width, height) of ``image``, contiguous (OpenCV's kernels want it)."""
    if (image.shape[1], image.shape[0]) == size:
        return image
    return np.ascontiguousarray(image[: size[1], : size[0]])
