"""Baselines measured beside the product: what a colouriser must beat to be worth its cost.

Video baselines follow :data:`videocolor.bench.methods.VideoMethod` (Y' frames and reference RGB
in, normalised Cb/Cr out); image baselines :data:`videocolor.bench.methods.ImageMethod` (Y', hint
``ab`` and hint mask in, CIELAB ``ab`` out). Each is the simplest honest form of one idea, so the
gap to the product says what that idea is worth:

- ``gray``: no colour; the floor every score is read against.
- ``global-transfer``: one colour for the whole clip, from the reference's statistics.
- ``warp-only``: the reference's colours carried along optical flow, with nothing repaired.
- ``hints-fill`` (images): sparse user hints spread edge-aware, with no learned prior.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from videocolor.color import Matrix, lab_chroma_to_cbcr, rgb_to_lab
from videocolor.engine.fill import pyramid_fill, weighted_guided_filter
from videocolor.engine.flow import FlowEstimator, to_flow_input, warp

#: Weight of spread (not hinted) chroma in the guided fit of ``hints-fill``; hints weigh 1.
SPREAD_WEIGHT = 0.1


def _neutral(shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros((*shape, 2), np.float32)


def _reference_ab(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """CIELAB ``ab`` of a reference RGB image in [0, 1], resized to the frame when it differs."""
    rgb = np.ascontiguousarray(rgb, dtype=np.float32)
    if rgb.shape[:2] != shape:
        rgb = cv2.resize(rgb, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return rgb_to_lab(rgb)[..., 1:]


def _nearest(positions: Sequence[int], position: int) -> int:
    """The reference nearest in time; on a tie the earlier one."""
    return min(positions, key=lambda index: (abs(index - position), index > position))


def gray(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterator[np.ndarray]:
    """Zero chroma: the output is the film's own luma, the floor every score is read against."""
    for luma in lumas:
        yield _neutral(luma.shape)


def global_transfer(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterator[np.ndarray]:
    """Reinhard et al. (2001) colour transfer in CIELAB from the nearest reference, L kept.

    Reinhard matches each frame's ``ab`` mean and standard deviation to the reference's:
    ``ab' = (ab - mean_f) * std_r / std_f + mean_r``. A grey frame's ``ab`` is zero everywhere,
    so its deviations are zero and the transfer gives every pixel the reference's mean ``ab``
    (there is no variance to scale). The lightness stays the frame's, so the colour follows the
    tones only through the gamut. No reference (``auto``): grey.
    """
    means = {
        index: _reference_ab(rgb, lumas[0].shape).reshape(-1, 2).mean(axis=0)
        for index, rgb in references.items()
    }
    for position, luma in enumerate(lumas):
        if not means:
            yield _neutral(luma.shape)
            continue
        ab = np.broadcast_to(means[_nearest(list(means), position)], (*luma.shape, 2))
        yield lab_chroma_to_cbcr(luma, ab, matrix)


def warp_only(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterator[np.ndarray]:
    """The nearest previous reference's ``ab`` chained frame to frame along DIS flow, nothing else.

    Flow (DIS medium, on 8-bit luma, full resolution) from each frame to the one before pulls
    the previous frame's chroma onto it with bilinear ``cv2.remap``; no occlusion handling, no
    refinement, no fill. What enters the picture takes the colour at the edge it comes from (the
    border replicated), as the plain warp chain that calibrates the benchmark does: left without
    colour it scored 1.8 dB lower on the first 40 frames of DAVIS-2016 val (29.10 against 30.87
    dB), a gap that says nothing about flow. It isolates what flow alone carries. Frames before
    the first reference are grey.
    """
    estimator = FlowEstimator("medium")
    ab, previous = None, None
    for position, luma in enumerate(lumas):
        current = to_flow_input(luma)
        if position in references:
            ab = _reference_ab(references[position], luma.shape)
        elif ab is not None:
            ab = warp(ab, estimator(current, previous), border=cv2.BORDER_REPLICATE)
        previous = current
        yield _neutral(luma.shape) if ab is None else lab_chroma_to_cbcr(luma, ab, matrix)


def gray_image(
    luma: np.ndarray, hint_ab: np.ndarray | None, hint_mask: np.ndarray | None
) -> np.ndarray:
    """Zero ``ab``: the grey photo, hints ignored."""
    return _neutral(luma.shape)


def hints_fill(
    luma: np.ndarray, hint_ab: np.ndarray | None, hint_mask: np.ndarray | None
) -> np.ndarray:
    """User hints spread over the photo by the classical fill of :mod:`videocolor.engine.fill`.

    A push-pull (:func:`~videocolor.engine.fill.pyramid_fill`) gives every pixel the hint colour of
    its neighbourhood, then a weighted guided filter
    (:func:`~videocolor.engine.fill.weighted_guided_filter`, hints weighing 1 and spread chroma
    :data:`SPREAD_WEIGHT`) refits it to the luma so that colour changes where the photo has edges;
    hinted pixels keep their colour exactly. With no hint there is nothing to spread: grey.
    """
    if hint_ab is None or hint_mask is None or not hint_mask.any():
        return _neutral(luma.shape)
    mask = hint_mask.astype(np.float32)
    hint_ab = hint_ab.astype(np.float32)
    spread = pyramid_fill(hint_ab, mask, levels=32).astype(np.float32)
    radius = max(2, round(min(luma.shape) / 64))
    fitted, _ = weighted_guided_filter(luma, spread, np.maximum(mask, SPREAD_WEIGHT), radius)
    keep = mask[..., None]
    return (keep * hint_ab + (1.0 - keep) * fitted).astype(np.float32)
