"""How well a reference's luma matches a frame's: the measure behind every reference check.

A painted frame keeps the picture of its frame, so its luma (Y' of its RGB, the video's matrix)
correlates with the frame's luma; a reference painted on another frame, or whose tones were
repainted, correlates less. The score ``r`` is Pearson's correlation of the two lumas on
:data:`THUMB_WIDTH`-pixel-wide thumbnails (the reference stretched to the frame's shape, as the
colouriser will use it): small enough that grain, compression and a few pixels of misregistration
do not count, large enough that a different picture does.

Thresholds, measured on the 20 DAVIS-2016 clips (frame 10 of each as the reference, resized
to 60 % and saved as JPEG q85) and on the A-bomb film excerpt:

- a reference made from its own frame scores r = 1.00; the next frame of fast motion 0.80-1.00
  (median 0.96), three frames away 0.51-0.99; a gamma of 0.8 or 1.25 still 0.996;
- the best frame of an unrelated clip scores at most 0.69 (median 0.15);
- cropping 5 % off two sides drops r to 0.74 (median 0.89); the affine alignment (ECC) brings it to
  0.98 and measures the 35-pixel shift;
- the four hand-painted A-bomb references score 0.81-0.90 on their own frames: they are framed
  differently (scaled 0.98 x 0.93 and shifted about 12 lines); aligned they score 0.98-0.99.

Hence :data:`MATCH_R` (0.90: shows its frame) and :data:`LOOSE_R` (0.60: below this the image
does not show the frame; between the two it is reported as a loose match). Tones are compared
separately, since correlation ignores brightness and contrast: the mean |ΔY'| of a faithful
reference is 0.002, of a gamma 0.8/1.25 or +0.05 brightness change 0.047-0.077, of the aligned
A-bomb references 0.02-0.03 (:data:`TONE_TOLERANCE` 0.04).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

THUMB_WIDTH = 32
ALIGN_WIDTH = 128
MATCH_R = 0.90
LOOSE_R = 0.60
#: A frame must beat the named frame by this much to be suggested instead (static shots have
#: many near-equal frames; grain alone moves r by about 0.01).
BETTER_BY = 0.05
#: Mean |ΔY'| between reference and frame (after alignment) from which the tones were changed.
TONE_TOLERANCE = 0.04
#: An alignment that moves content by at least this share of the frame width (and 2 pixels)
#: means the reference is framed differently: its colours would land off their objects.
SHIFT_TOLERANCE = 0.01


def align_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) of the working thumbnail for a frame of this size, aspect kept."""
    scaled = min(ALIGN_WIDTH, width)
    return scaled, max(2, round(height * scaled / width))


def shrink(luma: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``luma`` (float32) at ``size`` by area averaging (any input size; stretched if needed)."""
    interpolation = cv2.INTER_AREA if size[0] <= luma.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(luma, np.float32), size, interpolation=interpolation)


def _thumb(size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the correlation thumbnail of an image of ``size``."""
    return THUMB_WIDTH, max(2, round(size[1] * THUMB_WIDTH / size[0]))


def signature(luma: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-length vector of a luma thumbnail: dot products are correlations."""
    small = shrink(luma, _thumb((luma.shape[1], luma.shape[0]))).ravel().astype(np.float64)
    small -= small.mean()
    norm = np.linalg.norm(small)
    return (small / norm if norm > 1e-9 else small).astype(np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(signature(a) @ signature(b))


@dataclass(frozen=True)
class FrameMatch:
    """How a reference compares with one frame.

    ``alignment`` (2x3, frame pixels → reference pixels, the reference resized to the frame) is
    set when the reference is framed differently and aligning it raises the correlation;
    ``shift_px`` is the largest displacement it implies. ``cv2.warpAffine(resized, alignment,
    (width, height), flags=cv2.WARP_INVERSE_MAP)`` puts the reference's colours on the frame's
    objects.
    """

    frame: int
    r: float
    r_aligned: float | None = None
    alignment: np.ndarray | None = None
    shift_px: float = 0.0
    tone_difference: float = 0.0

    @property
    def score(self) -> float:
        """The better of the plain and the aligned correlation."""
        return max(self.r, self.r_aligned if self.r_aligned is not None else -1.0)

    def as_dict(self) -> dict[str, object]:
        return {
            "frame": self.frame,
            "r": round(self.r, 4),
            "r_aligned": None if self.r_aligned is None else round(self.r_aligned, 4),
            "alignment": None if self.alignment is None else self.alignment.round(4).tolist(),
            "shift_px": round(self.shift_px, 2),
            "tone_difference": round(self.tone_difference, 4),
        }


def _ecc(frame: np.ndarray, reference: np.ndarray) -> np.ndarray | None:
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    try:
        _, warp = cv2.findTransformECC(frame, reference, warp, cv2.MOTION_AFFINE, criteria, None, 5)
    except cv2.error:
        return None
    singular = np.linalg.svd(warp[:, :2], compute_uv=False)
    size = np.array(frame.shape[::-1], np.float32)
    if singular.min() < 0.8 or singular.max() > 1.25 or np.any(np.abs(warp[:, 2]) > 0.15 * size):
        return None
    return warp


def _to_frame_pixels(warp: np.ndarray, small: tuple[int, int], full: tuple[int, int]) -> np.ndarray:
    scale = np.diag([full[0] / small[0], full[1] / small[1]]).astype(np.float64)
    linear = scale @ warp[:, :2].astype(np.float64) @ np.linalg.inv(scale)
    return np.hstack([linear, scale @ warp[:, 2:].astype(np.float64)])


def _largest_shift(warp: np.ndarray, full: tuple[int, int]) -> float:
    width, height = full
    points = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], np.float64)
    moved = points @ warp.T
    return float(np.linalg.norm(moved - points[:, :2], axis=1).max())


def compare(
    reference: np.ndarray, frame: np.ndarray, index: int, frame_size: tuple[int, int]
) -> FrameMatch:
    """Compare a reference's luma with a frame's luma thumbnail (:func:`align_size`).

    ``reference`` is the reference's Y' at any size and ``frame_size`` the video's (width,
    height). The reference is stretched to the frame's shape, correlated, then aligned by ECC
    (affine); the alignment is kept when it moves content noticeably and raises r.
    """
    size = (frame.shape[1], frame.shape[0])
    ref = shrink(reference, size)
    r = correlation(ref, frame)
    aligned_ref, r_aligned, alignment, shift = ref, None, None, 0.0
    warp = _ecc(frame, ref)
    if warp is not None:
        moved = cv2.warpAffine(
            ref,
            warp,
            size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        full = _to_frame_pixels(warp, size, frame_size)
        shift_full = _largest_shift(full, frame_size)
        r_moved = correlation(moved, frame)
        if shift_full >= max(2.0, SHIFT_TOLERANCE * frame_size[0]) and r_moved > r + 0.01:
            aligned_ref, r_aligned, alignment, shift = moved, r_moved, full, shift_full
    tone = float(np.abs(shrink(aligned_ref, _thumb(size)) - shrink(frame, _thumb(size))).mean())
    return FrameMatch(index, r, r_aligned, alignment, shift, tone)
