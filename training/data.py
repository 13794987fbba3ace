"""Training samples: (luma, hint ab, hint confidence) → true ab, with hints simulated from truth.

Every sample is one crop with one of four kinds of hint, so a single network learns all three
jobs of the product:

- ``auto``: no hint at all (automatic colour);
- ``points``: a few small patches of true colour (user clicks, Zhang et al. 2017);
- ``dense``: the true chroma misregistered by a smooth random flow, with holes filled the way the
  classical engine fills them, slow colour drift and wrong patches, each with a lowered
  confidence (what a long propagation chain delivers);
- ``video``: the real thing, precomputed from real motion clips: the engine's own chain step
  (:class:`videocolor.propagate.ChainStep`) carries frame t's chroma to frame t+k, and its output
  chroma and confidence are the hint for frame t+k.

Photos and clips are split into training and validation sets by a fixed rule (every
``VAL_EVERY``-th file), so validation never sees a training image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocolor import color
from videocolor.fill import pyramid_fill
from videocolor.prior import ColourPrior
from videocolor.propagate import Candidate, ChainStep, PropagationSettings

KINDS = ("auto", "points", "dense", "video")
VAL_EVERY = 20
PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


@dataclass
class Sample:
    luma: np.ndarray  # (H, W) float32 Y' in [0, 1]
    ab: np.ndarray  # (H, W, 2) float32 true CIELAB chroma
    hint_ab: np.ndarray  # (H, W, 2) float32
    hint_conf: np.ndarray  # (H, W) float32 in [0, 1]
    kind: str


# ------------------------------------------------------------------------------ sources


def photo_paths(folders: Sequence[Path]) -> list[Path]:
    paths = []
    for folder in folders:
        paths += sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_EXTENSIONS)
    if not paths:
        raise FileNotFoundError(f"no photos under {', '.join(map(str, folders))}")
    return paths


def split(items: Sequence, part: str) -> list:
    """Deterministic train/val split: every ``VAL_EVERY``-th item is validation."""
    keep = (lambda i: i % VAL_EVERY == 0) if part == "val" else (lambda i: i % VAL_EVERY != 0)
    return [item for i, item in enumerate(items) if keep(i)]


def load_rgb(path: Path, short_side: int | None = None) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path}: unreadable image")
    return _shorten(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), short_side)


def _shorten(rgb: np.ndarray, short_side: int | None) -> np.ndarray:
    if short_side is None or min(rgb.shape[:2]) <= short_side:
        return rgb
    scale = short_side / min(rgb.shape[:2])
    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def sample_photos() -> list[np.ndarray]:
    """scikit-image's bundled photos: the data of the smoke config on a machine without
    ``../shared/data``."""
    from skimage import data  # dev dependency, only needed by the smoke config

    names = ("astronaut", "chelsea", "coffee", "rocket", "retina", "immunohistochemistry")
    return [_shorten(getattr(data, name)(), 256) for name in names]


def luma_and_ab(rgb8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = rgb8.astype(np.float32) / 255.0
    return color.rgb_to_luma(rgb), color.rgb_to_lab(rgb)[..., 1:]


# ------------------------------------------------------------------------------ hint simulation


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Random field in about [-1, 1] varying over ``cells`` cells across the crop."""
    coarse = rng.uniform(-1, 1, (cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def blobs(rng: np.random.Generator, shape: tuple[int, int], coverage: float) -> np.ndarray:
    """A boolean mask of irregular blobs covering roughly ``coverage`` of the crop."""
    field = smooth_noise(rng, shape, int(rng.integers(2, 7)))
    return field > np.quantile(field, 1.0 - coverage)


def point_hints(
    rng: np.random.Generator, ab: np.ndarray, count: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Small patches holding the true mean colour of the patch, as a user click would."""
    h, w = ab.shape[:2]
    count = min(int(rng.geometric(1 / 8)), 40) if count is None else count
    hint, conf = np.zeros_like(ab), np.zeros((h, w), np.float32)
    for _ in range(count):
        size = int(rng.integers(1, 6))
        y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        hint[y : y + size, x : x + size] = ab[y : y + size, x : x + size].mean(axis=(0, 1))
        conf[y : y + size, x : x + size] = 1.0
    return hint, conf


def dense_hints(
    rng: np.random.Generator, luma: np.ndarray, ab: np.ndarray, other_ab: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """True chroma degraded the ways propagation degrades it, with confidence lowered where it
    was degraded (not always enough: confidence in the engine is an estimate too)."""
    h, w = luma.shape
    amplitude = rng.uniform(0, 4)
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = grid_x + amplitude * smooth_noise(rng, (h, w), 4)
    map_y = grid_y + amplitude * smooth_noise(rng, (h, w), 4)
    hint = cv2.remap(ab, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    conf = np.full((h, w), rng.uniform(0.7, 1.0), np.float32)

    if rng.random() < 0.6:  # slow drift of hue over part of the frame
        region = blobs(rng, (h, w), rng.uniform(0.1, 0.6))
        offset = rng.uniform(-15, 15, 2).astype(np.float32)
        hint[region] += offset
        conf[region] *= rng.uniform(0.4, 1.0)
    if rng.random() < 0.4:  # wrong colour (a patch from elsewhere)
        region = blobs(rng, (h, w), rng.uniform(0.03, 0.2))
        hint[region] = other_ab[region]
        conf[region] *= rng.uniform(0.1, 0.7)
    if rng.random() < 0.8:  # disocclusions: filled from around, barely trusted
        holes = blobs(rng, (h, w), rng.uniform(0.05, 0.5))
        weight = (~holes).astype(np.float32)
        filled = pyramid_fill(hint * weight[..., None], weight + 1e-6)
        hint[holes] = filled[holes]
        conf[holes] = rng.uniform(0.0, 0.2)
    return hint.astype(np.float32), np.clip(conf, 0.0, 1.0)


# ------------------------------------------------------------------------------ video pairs


def video_pairs(
    clips: Sequence[Path],
    pairs_per_clip: int,
    rng: np.random.Generator,
    short_side: int = 180,
    max_gap: int = 16,
) -> dict[str, np.ndarray]:
    """(luma, ab, hint ab, hint confidence) of frame t+k from the engine's chain step from t.

    Computed at the clips' own resolution, stored as a random ``short_side`` square at that scale
    (clips differ in shape) as uint8 (luma x255, ab and
    hint +128, confidence x255) so thousands fit in memory. Pairs across a cut are skipped (a
    pair whose thumbnails differ too much).
    """
    from videocolor.bench.data import read_clip

    step = ChainStep(PropagationSettings())
    records: dict[str, list[np.ndarray]] = {"luma": [], "ab": [], "hint_ab": [], "hint_conf": []}
    for clip in clips:
        frames = read_clip(clip)
        lumas, abs_ = zip(*(luma_and_ab(f) for f in frames), strict=True)
        for _ in range(pairs_per_clip):
            gap = int(rng.integers(1, min(max_gap, len(frames) - 1) + 1))
            t = int(rng.integers(0, len(frames) - gap))
            a, b = (t, t + gap) if rng.random() < 0.5 else (t + gap, t)
            if _looks_like_cut(lumas[a], lumas[b]):
                continue
            prior = ColourPrior([lumas[a]], [abs_[a]])
            start = Candidate(abs_[a], np.ones(lumas[a].shape, np.float32))
            moved = step(start, lumas[a], lumas[b], prior)
            planes = [
                _shorten(p, short_side) for p in (lumas[b], abs_[b], moved.ab, moved.confidence)
            ]
            h, w = planes[0].shape[:2]
            y, x = (
                int(rng.integers(0, h - short_side + 1)),
                int(rng.integers(0, w - short_side + 1)),
            )
            for key, plane in zip(records, planes, strict=True):
                records[key].append(plane[y : y + short_side, x : x + short_side])
    return {
        "luma": _unit_bytes(records["luma"]),
        "ab": _ab_bytes(records["ab"]),
        "hint_ab": _ab_bytes(records["hint_ab"]),
        "hint_conf": _unit_bytes(records["hint_conf"]),
    }


def _unit_bytes(planes: list[np.ndarray]) -> np.ndarray:
    return (np.stack(planes) * 255).round().astype(np.uint8)


def _ab_bytes(planes: list[np.ndarray]) -> np.ndarray:
    return (np.clip(np.stack(planes), -127, 127) + 128).round().astype(np.uint8)


def _looks_like_cut(a: np.ndarray, b: np.ndarray) -> bool:
    small_a, small_b = (cv2.resize(x, (16, 9), interpolation=cv2.INTER_AREA) for x in (a, b))
    return float(np.abs(small_a - small_b).mean()) > 0.15


# ------------------------------------------------------------------------------ the sampler


class SampleSource:
    """Random crops with simulated hints, drawn from photos and precomputed video pairs."""

    def __init__(
        self,
        photos: Sequence[np.ndarray],
        video: dict[str, np.ndarray] | None,
        crop: int,
        kind_weights: dict[str, float],
    ) -> None:
        self.photos = [p for p in photos if min(p.shape[:2]) >= crop]
        if not self.photos:
            raise ValueError(f"no photo is at least {crop} pixels on its short side")
        self.video = video if video is not None and len(video["luma"]) else None
        self.crop = crop
        weights = {k: w for k, w in kind_weights.items() if k != "video" or self.video is not None}
        self.kinds = list(weights)
        self.weights = np.array([weights[k] for k in self.kinds]) / sum(weights.values())

    def _photo_crop(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        image = self.photos[int(rng.integers(len(self.photos)))]
        y = int(rng.integers(0, image.shape[0] - self.crop + 1))
        x = int(rng.integers(0, image.shape[1] - self.crop + 1))
        patch = image[y : y + self.crop, x : x + self.crop]
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        return luma_and_ab(np.ascontiguousarray(patch))

    def _video_crop(self, rng: np.random.Generator) -> Sample:
        video = self.video
        index = int(rng.integers(len(video["luma"])))
        h, w = video["luma"].shape[1:3]
        size = min(self.crop, h, w)
        y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        window = (index, slice(y, y + size), slice(x, x + size))
        luma = video["luma"][window].astype(np.float32) / 255.0
        ab = video["ab"][window].astype(np.float32) - 128.0
        hint = video["hint_ab"][window].astype(np.float32) - 128.0
        conf = video["hint_conf"][window].astype(np.float32) / 255.0
        if size != self.crop:
            planes = [cv2.resize(p, (self.crop, self.crop)) for p in (luma, ab, hint, conf)]
            luma, ab, hint, conf = planes
        return Sample(luma, ab, hint, conf, "video")

    def sample(self, rng: np.random.Generator, kind: str | None = None) -> Sample:
        kind = kind or self.kinds[int(rng.choice(len(self.kinds), p=self.weights))]
        if kind == "video":
            return self._video_crop(rng)
        luma, ab = self._photo_crop(rng)
        if kind == "auto":
            hint, conf = np.zeros_like(ab), np.zeros(luma.shape, np.float32)
        elif kind == "points":
            hint, conf = point_hints(rng, ab)
        else:
            _, other = self._photo_crop(rng)
            hint, conf = dense_hints(rng, luma, ab, other)
        return Sample(luma, ab, hint, conf, kind)

    def batch(self, rng: np.random.Generator, size: int, kind: str | None = None) -> list[Sample]:
        return [self.sample(rng, kind) for _ in range(size)]
