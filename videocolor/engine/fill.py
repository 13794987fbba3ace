"""Edge-aware chroma from confident pixels: the classical fill and refinement.

Chroma varies little inside an object and changes where luma changes, so in a small window it is
well described by a linear function of luma (the guided-filter model of He et al. 2010). Fitting
that model with each pixel weighted by its confidence does two jobs with box filters only: it snaps
propagated colour to the *current* frame's edges (correcting small flow misalignments), and, with a
coarser pyramid, it fills holes (disocclusions, new objects) from confident neighbours without
bleeding across luma edges. The network of step 5 replaces this fill behind the same call.
"""

from __future__ import annotations

import copy
import functools

import cv2
import numpy as np


def _box(data: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(data, -1, (size, size), normalize=True, borderType=cv2.BORDER_REFLECT)


def per_channel(weight: np.ndarray, channels: int) -> np.ndarray:
    """An (H, W) weight repeated to (H, W, channels).

    Numpy broadcasting over a short trailing axis (``weight[..., None] * ab``) is several times
    slower than the same arithmetic on matching shapes, and these run for every pixel of every
    frame.
    """
    weight = np.asarray(weight, np.float32)
    return cv2.merge([weight] * channels).reshape(*weight.shape, channels)


#: OpenCV's linear blend divides by the weights' sum plus 1e-5: weights summing to this instead of
#: 1 make that a relative error of 1e-10, not a 1e-5 shrink of the colour at every mix of a chain.
_BLEND_SCALE = 1e5


def mix(first: np.ndarray, second: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight·first + (1 - weight)·second`` for (H, W, C) arrays and an (H, W) weight in [0, 1].

    OpenCV's linear blend does it in one pass over the colours (at 854x480 with two channels
    0.5 ms against 0.65 for numpy's three temporaries), and the engine mixes several times a
    frame.
    """
    scaled = np.asarray(weight, np.float32) * np.float32(_BLEND_SCALE)
    rest = np.float32(_BLEND_SCALE) - scaled
    first, second = np.asarray(first, np.float32), np.asarray(second, np.float32)
    return cv2.blendLinear(first, second, scaled, rest)


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
    w_guide = w * guide
    mean_i = _box(w_guide, radius) / safe
    var_i = _box(w_guide * guide, radius) / safe - mean_i**2
    fitted = []
    for p in cv2.split(np.ascontiguousarray(data, dtype=np.float32)):
        mean_p = _box(w * p, radius) / safe
        cov = _box(w_guide * p, radius) / safe - mean_i * mean_p
        a = cov / (var_i + eps)
        b = mean_p - a * mean_i
        fitted.append(_box(a, radius) * guide + _box(b, radius))
    return cv2.merge(fitted).reshape(data.shape), mean_w


def pyramid_fill(data: np.ndarray, weight: np.ndarray, levels: int = 6) -> np.ndarray:
    """Confidence-weighted push-pull: every pixel gets the weighted mean of its neighbourhood at
    the finest scale that has evidence. A fallback for holes larger than any guided window."""
    channels = data.shape[-1]
    sums = np.concatenate([data * per_channel(weight, channels), weight[..., None]], axis=-1)
    filled = push_pull(sums[:, :, None, :], levels)[:, :, 0, :]
    return filled[..., :-1] / per_channel(np.maximum(filled[..., -1], 1e-6), channels)


def push_pull(sums: np.ndarray, levels: int | None = None) -> np.ndarray:
    """Push-pull over at most ``levels`` halvings (None: down to a few pixels).

    ``sums`` is (H, W, groups, C + 1): per group, weight·data in the first C channels and the
    weight last. Where a group has little weight at a level, the coarser level's sums fill in.
    The result is still sums (not divided), so callers can weigh it against other evidence. All
    groups go through OpenCV's pyramids at once, as one many-channel image.
    """
    height, width, groups, per_group = sums.shape
    stack = [np.ascontiguousarray(sums, dtype=np.float32).reshape(height, width, -1)]
    while min(stack[-1].shape[:2]) >= 4 and (levels is None or len(stack) <= levels):
        stack.append(cv2.pyrDown(stack[-1]))
    filled = stack[-1]
    for level in reversed(stack[:-1]):
        shape = (*level.shape[:2], groups, per_group)
        up = cv2.pyrUp(filled, dstsize=(shape[1], shape[0])).reshape(shape)
        missing = 1.0 - np.clip(level.reshape(shape)[..., -1:] * 4.0, 0.0, 1.0)
        filled = level + (missing * up).reshape(level.shape)
    return filled.reshape(sums.shape)


@functools.lru_cache(maxsize=8)
def _cell_index(height: int, width: int, cell: int, bins: int) -> np.ndarray:
    """Flat index of each pixel's grid cell at luma level 0 (cached: the same for every frame)."""
    ys, xs = np.divmod(np.arange(height * width), width)
    index = ((ys // cell) * -(-width // cell) + xs // cell) * bins
    index.flags.writeable = False
    return index


class BilateralGrid:
    """Weighted data binned by position *and* luma: ``cell``-pixel cells by ``bins`` levels.

    Splatting confident pixels, push-pull filling each luma level in space (:meth:`filled`) and
    reading the grid back at every pixel's own position and luma (:meth:`slice`) spreads data
    from pixels that are near *and* as bright: a hole takes the colour of the background
    around it rather than the average of whatever surrounds it, and a grid splatted from a
    reference frame gives a colour per place and brightness.
    """

    def __init__(self, shape: tuple[int, int], channels: int, cell: int = 16, bins: int = 8):
        self.shape, self.channels, self.cell, self.bins = shape, channels, cell, bins
        height, width = shape
        self.grid_shape = (-(-height // cell), -(-width // cell), bins)
        self._cells = _cell_index(height, width, cell, bins)
        self.sums = np.zeros((*self.grid_shape, channels + 1), np.float32)

    def splat(self, guide: np.ndarray, data: np.ndarray, weight: np.ndarray) -> BilateralGrid:
        """Add weight·data and weight of every pixel to its cell and luma level."""
        level = np.clip(guide.ravel() * (self.bins - 1) + 0.5, 0, self.bins - 1).astype(np.int64)
        index = self._cells + level
        w = weight.ravel().astype(np.float64)
        size = self.sums[..., 0].size
        planes = [np.bincount(index, w * data[..., c].ravel(), size) for c in range(self.channels)]
        planes.append(np.bincount(index, w, size))
        self.sums += np.stack(planes, axis=-1).reshape(self.sums.shape).astype(np.float32)
        return self

    def filled(self) -> BilateralGrid:
        """A copy whose empty cells hold the push-pull of their level's neighbours."""
        out = copy.copy(self)
        out.sums = push_pull(self.sums)
        return out

    def slice(self, guide: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sum of weight·data, sum of weight) read at every pixel's position and luma.

        Trilinear: the luma levels are stacked as one image with a replicated border row
        around each level, so two ``cv2.remap`` calls (the levels just below and above each
        pixel's luma) interpolate in space without bleeding between levels.
        """
        height, width = guide.shape
        grid_h, grid_w, bins = self.grid_shape
        padded = np.pad(self.sums, ((1, 1), (0, 0), (0, 0), (0, 0)), mode="edge")
        atlas = np.ascontiguousarray(padded.transpose(2, 0, 1, 3)).reshape(
            bins * (grid_h + 2), grid_w, self.channels + 1
        )
        x = np.clip((np.arange(width, dtype=np.float32) + 0.5) / self.cell - 0.5, 0, grid_w - 1)
        y = np.clip((np.arange(height, dtype=np.float32) + 0.5) / self.cell - 0.5, 0, grid_h - 1)
        y += 1  # the border row above each level
        position = np.clip(guide * (bins - 1), 0, bins - 1).astype(np.float32)
        lower = np.minimum(position.astype(np.int32), bins - 2)
        upper_share = position - lower
        map_x = np.broadcast_to(x[None, :], (height, width)).astype(np.float32)
        result = np.zeros((height, width, self.channels + 1), np.float32)
        for step, share in ((0, 1.0 - upper_share), (1, upper_share)):
            map_y = (y[:, None] + (lower + step) * (grid_h + 2)).astype(np.float32)
            read = cv2.remap(atlas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            result += per_channel(share, self.channels + 1) * read.reshape(result.shape)
        return result[..., :-1], result[..., -1]


def guided_upsample(low: np.ndarray, luma_low: np.ndarray, luma_full: np.ndarray) -> np.ndarray:
    """Chroma at full resolution from working-resolution chroma, following full-res luma edges.

    The fast guided filter (He & Sun 2015): fit chroma ≈ a·luma + b at low resolution, upsample
    the coefficients smoothly, evaluate them with the full-resolution luma.
    """
    if luma_low.shape == luma_full.shape:
        return low
    size = (luma_full.shape[1], luma_full.shape[0])
    radius, eps = 2, 1e-4
    box = 2 * radius + 1
    mean_i = cv2.blur(luma_low, (box, box))
    var_i = cv2.blur(luma_low * luma_low, (box, box)) - mean_i**2
    out = np.empty((*luma_full.shape, low.shape[-1]), np.float32)
    for channel in range(low.shape[-1]):
        p = np.ascontiguousarray(low[..., channel])
        mean_p = cv2.blur(p, (box, box))
        a = (cv2.blur(luma_low * p, (box, box)) - mean_i * mean_p) / (var_i + eps)
        b = mean_p - a * mean_i
        a_full = cv2.resize(cv2.blur(a, (box, box)), size, interpolation=cv2.INTER_LINEAR)
        b_full = cv2.resize(cv2.blur(b, (box, box)), size, interpolation=cv2.INTER_LINEAR)
        out[..., channel] = a_full * luma_full + b_full
    return out
