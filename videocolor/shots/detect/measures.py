"""Distances between two frame signatures that old-film damage cannot move.

``structure_distance`` compares the layout of the pictures: normalised cross-correlation cancels
any global gain and offset (flicker, exposure drift), and taking the best of the nine one-pixel
shifts of the thumbnail (about ±5 pixels of a 640-pixel frame) absorbs gate weave; trying the
global shift that phase correlation finds as well absorbs pans and jolts of the camera.
``tone_distance`` compares the flicker-free tone curves: it ignores where things are, so camera
and subject motion barely move it, while a change of shot usually does.
``mix_ratio`` tells a dissolve from something large moving into the picture, the one change
that moves both layout and tones gradually.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

_NEAR = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
_MARGIN = 8  # pixels of the thumbnail border left out, so shifts of up to 8 stay inside
_FLAT = 1e-4  # thumbnail standard deviation below which a picture has no structure to compare


def structure_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - max NCC`` of two thumbnails over small shifts: 0 same picture, ~1 unrelated.

    The shifts tried are the nine within one pixel of no motion (gate weave) and the nine
    around the global translation that phase correlation finds (a pan, or the camera jerked).
    A flat thumbnail (black, a blank card) has no structure: its distance to anything is 0,
    and black frames are left to the fade logic.
    """
    height, width = a.shape
    centre = a[_MARGIN:-_MARGIN, _MARGIN:-_MARGIN]
    spread = _spread(centre)
    if spread < _FLAT or _spread(b) < _FLAT:
        return 0.0
    zero_mean = (centre - centre.mean()) / (spread * centre.size)
    # copies: OpenCV 5 multiplies its inputs by the window in place
    (gx, gy), _ = cv2.phaseCorrelate(a.copy(), b.copy(), _window(a.shape))
    gx = int(np.clip(round(gx), 1 - _MARGIN, _MARGIN - 1))
    gy = int(np.clip(round(gy), 1 - _MARGIN, _MARGIN - 1))
    best = -1.0
    for dx, dy in {(x + ox, y + oy) for x, y in _NEAR for ox, oy in ((0, 0), (gx, gy))}:
        window = b[_MARGIN + dy : height - _MARGIN + dy, _MARGIN + dx : width - _MARGIN + dx]
        window_spread = _spread(window)
        if window_spread >= _FLAT:
            best = max(best, float(np.vdot(zero_mean, window)) / window_spread)
    return 1.0 - best


def _spread(x: np.ndarray) -> float:
    """Standard deviation without the temporaries of ``ndarray.std`` (called 20 times a pair)."""
    mean = float(x.mean())
    return max(0.0, float(np.vdot(x, x)) / x.size - mean * mean) ** 0.5


@cache
def _window(shape: tuple[int, int]) -> np.ndarray:
    return cv2.createHanningWindow((shape[1], shape[0]), cv2.CV_32F)


def tone_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between two flicker-free tone curves (quantiles / mean)."""
    return float(np.abs(a - b).mean())


_MIX_WEIGHTS = np.linspace(0.1, 0.9, 9)[:, None]
_MIX_STRIDE = 3  # every third thumbnail pixel is plenty for 32 quantiles, and 3x cheaper


def mix_ratio(
    before: np.ndarray, middle: np.ndarray, after: np.ndarray, levels: np.ndarray
) -> float:
    """How well ``middle`` is a cross-fade of ``before`` and ``after``, against an area mix.

    In a dissolve every pixel is a weighted sum of the two pictures, which pulls the tones
    towards the middle grey; when a person walks in or the camera pans to something new, part
    of the frame shows one picture and part the other, and the tone distribution is a weighted
    mixture of the two distributions. Both hypotheses are fitted to the middle frame's tone
    quantiles at ``levels`` (best weight of nine); the result is the cross-fade's error over the
    area mix's: well below 1 for a dissolve, about 1 or more otherwise. Every frame is divided
    by its own mean first, which removes flicker.
    """
    a, m, b = (
        x.ravel()[::_MIX_STRIDE] / max(float(x.mean()), 1e-3) for x in (before, middle, after)
    )
    ranks = (levels * (a.size - 1)).round().astype(int)
    target = np.sort(m)[ranks]
    crossfades = np.sort(_MIX_WEIGHTS * a + (1 - _MIX_WEIGHTS) * b, axis=1)[:, ranks]
    crossfade = float(np.abs(crossfades - target).mean(axis=1).min())
    values = np.concatenate([a, b])
    order = np.argsort(values)
    from_a = (order < a.size).astype(np.float64)
    share_a = (np.cumsum(from_a) - from_a / 2) / a.size
    share_b = (np.cumsum(1 - from_a) - (1 - from_a) / 2) / b.size
    sorted_values = values[order]
    area = min(
        float(
            np.abs(
                np.interp(levels, w * share_a + (1 - w) * share_b, sorted_values) - target
            ).mean()
        )
        for w in _MIX_WEIGHTS[:, 0]
    )
    return crossfade / max(area, 1e-6)
