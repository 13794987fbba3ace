"""The grey input's motion, computed once per clip and shared by every method's warping error.

:func:`videocolor.bench.metrics.temporal.warp_error` takes its flow and visibility mask from the
*input* grey frames, so they are the same for every method scored on a clip; computing them once
instead of once per method saves two full-resolution DIS flows and an occlusion test per frame per
method. :meth:`InputMotion.pair_errors` gives exactly what
:func:`videocolor.bench.metrics.temporal.warp_error_pairs` gives, with the same helpers in the same
order.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from videocolor.bench.metrics import temporal
from videocolor.bench.metrics.pairs import DATA_RANGE
from videocolor.engine.flow import warp


class InputMotion:
    """Forward flow and visible pixels of consecutive grey frames, made on first use."""

    def __init__(self, grey_frames: Sequence[np.ndarray]) -> None:
        self._grey = grey_frames
        self._pairs: list[tuple[np.ndarray, np.ndarray]] | None = None

    def _compute(self) -> list[tuple[np.ndarray, np.ndarray]]:
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        grey = [temporal.to_gray_u8(frame) for frame in self._grey]
        pairs = []
        for t in range(len(grey) - 1):
            forward = temporal.dis_flow(grey[t], grey[t + 1], dis)
            backward = temporal.dis_flow(grey[t + 1], grey[t], dis)
            pairs.append((forward, temporal.occlusion_mask(forward, backward)))
        return pairs

    def pair_errors(self, output_frames: Sequence[np.ndarray]) -> np.ndarray:
        """Warping error of each pair (t, t+1) of 8-bit RGB outputs, as ``warp_error_pairs``."""
        if len(output_frames) != len(self._grey):
            raise ValueError(f"{len(output_frames)} output frames for {len(self._grey)} inputs")
        if self._pairs is None:
            self._pairs = self._compute()
        scale = np.float32(DATA_RANGE)
        errors = []
        for t, (forward, mask) in enumerate(self._pairs):
            current = np.asarray(output_frames[t], dtype=np.float32) / scale
            following = np.asarray(output_frames[t + 1], dtype=np.float32) / scale
            diff2 = ((current - warp(following, forward)).astype(np.float64) ** 2).sum(-1)
            visible = int(mask.sum())
            errors.append(float(diff2[mask].sum() / visible) if visible else 0.0)
        return np.array(errors, dtype=np.float64)
