"""Edge-aware chroma from confident pixels: the classical fill and refinement.

Chroma varies little inside an object and changes where luma changes, so in a small window it is
well described by a linear function of luma (the guided-filter model of He et al. 2010). Fitting
that model with each pixel weighted by its confidence does two jobs with box filters only: it snaps
propagated colour to the *current* frame's edges (correcting small flow misalignments), and, with a
coarser pyramid, it fills holes (disocclusions, new objects) from confident neighbours without
bleeding across luma edges. The network of step 5 replaces this fill behind the same call.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(data: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(data, -1, (size, size), normalize=True, borderType=cv2.BORDER_REFLECT)


def weighted_guided_filter(
    guide: np.ndarray,
    data: np.ndarray,
    weight: np.ndarray,
    radius: int,
    eps: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``data ≈ a·guide + b`` in every window, each pixel weighted, and evaluate it.

    ``guide`` (H, W) is luma in [0, 1], ``data`` (H, W, C), ``weight`` (H, W) in [0, 1]. Returns the
    fitted data and the mean weight of each window (how much evidence the fit had).
    """
    w = weight.astype(np.float32)
    mean_w = _box(w, radius)
    safe = np.maximum(mean_w, 1e-6)
    mean_i = _box(w * guide, radius) / safe
    var_i = _box(w * guide * guide, radius) / safe - mean_i**2
    out = np.empty_like(data, dtype=np.float32)
    for channel in range(data.shape[-1]):
        p = data[..., channel]
        mean_p = _box(w * p, radius) / safe
        cov = _box(w * guide * p, radius) / safe - mean_i * mean_p
        a = cov / (var_i + eps)
        b = mean_p - a * mean_i
        out[..., channel] = _box(a, radius) * guide + _box(b, radius)
    return out, mean_w


def pyramid_fill(data: np.ndarray, weight: np.ndarray, levels: int = 6) -> np.ndarray:
    """Confidence-weighted push-pull: every pixel gets the weighted mean of its neighbourhood at
    the finest scale that has evidence. A fallback for holes larger than any guided window."""
    stack_d, stack_w = [data * weight[..., None]], [weight]
    for _ in range(levels):
        if min(stack_w[-1].shape) < 4:
            break
        stack_d.append(cv2.pyrDown(stack_d[-1]))
        stack_w.append(cv2.pyrDown(stack_w[-1]))
    filled_d, filled_w = stack_d[-1], stack_w[-1]
    for level_d, level_w in zip(reversed(stack_d[:-1]), reversed(stack_w[:-1]), strict=True):
        size = (level_w.shape[1], level_w.shape[0])
        up_d, up_w = cv2.pyrUp(filled_d, dstsize=size), cv2.pyrUp(filled_w, dstsize=size)
        keep = np.clip(level_w * 4.0, 0.0, 1.0)
        filled_d = level_d + (1 - keep)[..., None] * up_d
        filled_w = level_w + (1 - keep) * up_w
    return filled_d / np.maximum(filled_w, 1e-6)[..., None]
