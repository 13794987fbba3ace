"""Optical flow on luma and what the engine derives from it: warps and per-pixel trust.

DIS (OpenCV) is the flow: fast enough on a CPU at the working resolution and good on film grain
when fed slightly smoothed 8-bit luma. A flow ``F`` from frame ``a`` to frame ``b`` is sampled
*at a's pixels* and points into ``b``, so ``warp(b_data, F)`` pulls b's data onto a's grid.
"""

from __future__ import annotations

import functools
from typing import Literal

import cv2
import numpy as np

Preset = Literal["ultrafast", "fast", "medium"]

_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def to_flow_input(luma_unit: np.ndarray) -> np.ndarray:
    """8-bit contiguous luma, what DIS takes, from luma in [0, 1] (one OpenCV pass)."""
    return cv2.convertScaleAbs(np.ascontiguousarray(luma_unit, dtype=np.float32), alpha=255.0)


class FlowEstimator:
    """A reusable DIS instance (creating one per call costs more than the flow at low res)."""

    def __init__(
        self,
        preset: Preset = "medium",
        patch_stride: int | None = None,
        refinement_iterations: int | None = None,
    ) -> None:
        """``patch_stride`` overrides the preset's (medium: 3; patches are 8 pixels wide) and
        ``refinement_iterations`` its variational refinement's (medium and fast: 5)."""
        self._dis = cv2.DISOpticalFlow_create(_PRESETS[preset])
        if patch_stride:
            self._dis.setPatchStride(patch_stride)
        if refinement_iterations is not None:
            self._dis.setVariationalRefinementIterations(refinement_iterations)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow (H, W, 2) float32 from 8-bit frame ``a`` to ``b``."""
        return self._dis.calc(a, b, None)


@functools.lru_cache(maxsize=8)
def identity_map(height: int, width: int) -> np.ndarray:
    """Every pixel's own (x, y), the map a zero flow samples with (cached: made once per size)."""
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.dstack([gx, gy])
    grid.flags.writeable = False
    return grid


def sampling_map(flow: np.ndarray) -> np.ndarray:
    """(H, W, 2) absolute coordinates each pixel of the flow's source samples in its target."""
    return identity_map(*flow.shape[:2]) + flow


def warp(
    data: np.ndarray,
    flow: np.ndarray,
    border_value: float = 0.0,
    border: int = cv2.BORDER_CONSTANT,
) -> np.ndarray:
    """Pull ``data`` (defined on the flow's target frame) back onto the flow's source grid;
    beyond that frame ``border_value``, or with ``border`` ``cv2.BORDER_REPLICATE`` its edge."""
    return sample(data, sampling_map(flow), border_value, border)


def sample(
    data: np.ndarray,
    coords: np.ndarray,
    border_value: float = 0.0,
    border: int = cv2.BORDER_CONSTANT,
) -> np.ndarray:
    """:func:`warp` along a flow's :func:`sampling_map`, for callers that warp several things
    along one flow and make the map once.

    Two-channel data is remapped one plane at a time: OpenCV's bilinear remap has fast paths
    for one and four channels but not two (at 854x480: 0.8 ms a plane against 3.1 ms for both).
    """
    if data.ndim == 3 and data.shape[2] == 2:
        planes = cv2.split(data)
        return cv2.merge([_remap(plane, coords, border_value, border) for plane in planes])
    return _remap(np.ascontiguousarray(data), coords, border_value, border)


def compose(first: np.ndarray, then: np.ndarray, along: np.ndarray | None = None) -> np.ndarray:
    """The flow that moves along ``first`` and then along ``then`` (a flow defined on ``first``'s
    target frame): ``first`` plus ``then`` sampled where ``first`` lands.

    Beyond ``then``'s frame its border is replicated, so a pixel that has just entered the
    picture carries on its neighbours' motion and lands beyond the far frame's edge, where it
    was. A constant marker there instead would be mixed by the bilinear sampling into the pixels
    beside it, one more column of them at every step of a pan. ``along``: ``first``'s
    :func:`sampling_map`, where the caller has it already.
    """
    coords = sampling_map(first) if along is None else along
    return first + sample(then, coords, border=cv2.BORDER_REPLICATE)


def _remap(data: np.ndarray, coords: np.ndarray, border_value: float, border: int) -> np.ndarray:
    return cv2.remap(
        data, coords, None, cv2.INTER_LINEAR, borderMode=border, borderValue=border_value
    )


def lands_inside(flow: np.ndarray) -> np.ndarray:
    """255 where the flow lands inside the target frame, else 0 (uint8, for OpenCV's masks)."""
    return samples_inside(sampling_map(flow))


def samples_inside(coords: np.ndarray) -> np.ndarray:
    """255 where sampling coordinates (H, W, 2) fall inside their frame, else 0 (uint8): one
    OpenCV pass, about half the time of the same test in numpy."""
    height, width = coords.shape[:2]
    return cv2.inRange(coords, (0.0, 0.0), (width - 1.0, height - 1.0))


def consistency(forward: np.ndarray, backward: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Trust in ``forward`` per pixel, from forward-backward agreement and motion boundaries.

    A pixel whose forward flow, followed by the backward flow at its landing point, does not
    return home is occluded or mismatched. The tolerance grows with motion (as in Sundaram et al.
    2010), and flow discontinuities (motion boundaries) are distrusted, because the chroma there
    belongs to whichever side the warp happens to sample. Returns values in [0, 1].
    """
    coords = sampling_map(forward)
    # One plane at a time: OpenCV's remap has no fast path for two channels, and the arithmetic
    # on planes makes no strided temporaries (1.1 against 1.6 ms at 384x216).
    fx, fy = cv2.split(forward)
    bx, by = (cv2.remap(plane, coords, None, cv2.INTER_LINEAR) for plane in cv2.split(backward))
    ex, ey = fx + bx, fy + by
    forward_norm = fx * fx + fy * fy
    tolerance = 0.01 * (forward_norm + bx * bx + by * by) + sigma**2
    boundary = np.zeros_like(fx)  # |grad F|² over both components, Sobel's 3x3 sums 8x
    for plane in (fx, fy):
        for dx, dy in ((1, 0), (0, 1)):
            gradient = cv2.Sobel(plane, cv2.CV_32F, dx, dy, ksize=3)
            boundary += gradient * gradient
    exponent = (ex * ex + ey * ey) / tolerance
    exponent += boundary * (1.0 / 64.0) / (0.01 * forward_norm + 0.5)
    trust = cv2.exp(-exponent)
    trust[samples_inside(coords) == 0] = 0.0
    return trust


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flow field at another resolution (width, height): resampled and its vectors rescaled."""
    scale_x, scale_y = size[0] / flow.shape[1], size[1] / flow.shape[0]
    resized = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    resized[..., 0] *= scale_x
    resized[..., 1] *= scale_y
    return resized
