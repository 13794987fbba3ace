"""What shot detection keeps of a frame: a thumbnail of about 12,000 pixels and its tones.

Downscaling with area averaging divides grain by the scale factor, and a 3x3 median on the
thumbnail removes what survives of dust specks and thin scratches, so neither can look like
a change of picture. Everything the detector later compares is either invariant to a global
gain (brightness flicker) or measured relative to the frame's own mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from videocolor.color import CodeRange

THUMBNAIL_AREA = 128 * 96
TONE_LEVELS = 32  # quantiles kept per frame: the frame's luma distribution, flicker removed
TONE_QUANTILES = (np.arange(TONE_LEVELS) + 0.5) / TONE_LEVELS
# the tone quantiles, then the 95th percentile that tells black frames (scratches and dust
# cover much less than 5 % of a frame)
_QUANTILES = np.append(TONE_QUANTILES, 0.95)


@dataclass(frozen=True)
class Signature:
    """A frame as the detector sees it."""

    thumbnail: np.ndarray  # (h, w) float32 unit luma, grain and specks removed
    contrast: float  # standard deviation of the thumbnail, unit luma
    bright: float  # 95th percentile of the thumbnail: below a small value the frame is black
    tones: np.ndarray  # (TONE_LEVELS,) quantiles of thumbnail / mean: flicker-free tone curve


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the thumbnail for a frame of ``width`` x ``height``, aspect kept."""
    scale = min(1.0, (THUMBNAIL_AREA / (width * height)) ** 0.5)
    return max(32, round(width * scale)), max(32, round(height * scale))


def signature(luma: np.ndarray, code_range: CodeRange | None = None) -> Signature:
    """The signature of one frame of luma codes (or float unit luma when ``code_range`` is None).

    Integer frames without a code range are read as full range of their dtype.
    """
    height, width = luma.shape
    small = cv2.resize(
        luma.astype(np.float32, copy=False),
        thumbnail_size(width, height),
        interpolation=cv2.INTER_AREA,
    )
    if code_range is not None:
        offset, gain = code_range.luma_offset_gain()
    elif np.issubdtype(luma.dtype, np.integer):
        offset, gain = 0.0, float(np.iinfo(luma.dtype).max)
    else:
        offset, gain = 0.0, 1.0
    small = np.clip((small - offset) / gain, 0.0, 1.0)
    small = cv2.medianBlur(small, 3)
    levels = np.quantile(small, _QUANTILES).astype(np.float32)
    return Signature(
        thumbnail=small,
        contrast=float(small.std()),
        bright=float(levels[-1]),
        tones=levels[:-1] / max(float(small.mean()), 1e-3),
    )
