"""Training samples: (luma, hint ab, hint confidence) → true ab, with hints simulated from truth.

Every sample is one crop with one of four kinds of hint, so a single network learns all three
jobs of the product:

- ``auto``: no hint at all (automatic colour);
- ``points``: a few small patches of true colour (user clicks, Zhang et al. 2017);
- ``dense``: the true chroma misregistered by a smooth random flow, with holes filled the way the
  classical engine fills them, slow colour drift and wrong patches, each with a lowered
  confidence (what a long propagation chain delivers);
- ``video``: the real thing, precomputed from real motion clips: the engine propagates the true
  colour of keyframes through each shot (:func:`video_chains`), and every frame's fused chroma and
  confidence, as the network receives them at run time, is its hint.

Photos and clips are split into training and validation sets by a fixed rule (every
``VAL_EVERY``-th file), so validation never sees a training image.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocolor import color
from videocolor.colorizers.network import PRESENT_CONFIDENCE, ColorNetwork
from videocolor.engine.candidate import Candidate
from videocolor.engine.clip import EngineSettings, propagate_working
from videocolor.engine.fill import pyramid_fill
from videocolor.engine.prior import Prior
from videocolor.engine.shot import classical_finish
from videocolor.shots.detection import detect_shots

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


# ------------------------------------------------------------------------------ video chains


def video_chains(
    clips: Sequence[Path],
    rng: np.random.Generator,
    keyframe_every: Sequence[int] = (0, 20),
    lines: int = 256,
    crop: int = 160,
) -> dict[str, np.ndarray]:
    """(luma, true ab, hint ab, hint confidence) of every frame the engine propagates to.

    Each shot of each clip is propagated by the engine itself (:func:`_propagated`, the same
    settings as at run time) from its true colour at keyframes, once per ``keyframe_every``
    scheme (0: the first frame only, as in the benchmark's ref0 protocol; N: every N-th frame
    from a random start, so chains meet and fuse). The hint of a frame is the fused candidate the
    network receives at run time, drift, fills and decayed confidence included, so training sees
    exactly what the network will be asked to finish. Frames are scaled to ``lines`` lines (the
    network's run-time scale) and one random ``crop`` square is kept per frame, as uint8
    (luma x255, ab and hint +128, confidence x255) so thousands fit in memory.
    """
    from videocolor.bench.data import read_clip

    records: dict[str, list[np.ndarray]] = {"luma": [], "ab": [], "hint_ab": [], "hint_conf": []}
    for clip in clips:
        frames = read_clip(clip)
        lumas, abs_ = (list(x) for x in zip(*(luma_and_ab(f) for f in frames), strict=True))
        for shot in detect_shots(lumas):  # the product's own cut detection
            if shot.length < 2:
                continue
            frames_of_shot = slice(shot.start, shot.end)
            for every in keyframe_every:
                if every == 0:
                    keys = [shot.start]
                else:
                    first = shot.start + int(rng.integers(0, min(every, shot.length)))
                    keys = list(range(first, shot.end, every))
                shot_lumas, shot_abs = lumas[frames_of_shot], abs_[frames_of_shot]
                for luma, ab, fused in _propagated(shot_lumas, shot_abs, keys, shot.start):
                    found = (luma, ab, fused.ab, fused.confidence)
                    planes = [_to_scale(plane, lines, crop) for plane in found]
                    h, w = planes[0].shape[:2]
                    y = int(rng.integers(0, h - crop + 1))
                    x = int(rng.integers(0, w - crop + 1))
                    for key, plane in zip(records, planes, strict=True):
                        window = plane[y : y + crop, x : x + crop]
                        records[key].append(_BYTES[key](window))  # a copy: frees the frame
    return {key: np.stack(planes) for key, planes in records.items()}


def _propagated(
    lumas: Sequence[np.ndarray], abs_: Sequence[np.ndarray], keys: list[int], offset: int
) -> Iterator[tuple[np.ndarray, np.ndarray, Candidate]]:
    """(luma, true ab, fused candidate) of each non-keyframe of one shot, from the true colour
    of its keyframes (``keys`` in clip positions, ``offset`` the shot's first frame), made by
    the engine as ``videocolor colorize`` runs it (:func:`videocolor.engine.clip.propagate_working`:
    keyframe matching on, the bundled network's fallback colour in the fill)."""
    keyframes = {k - offset: abs_[k - offset] for k in keys}
    latest: list[Candidate | None] = []  # the fused candidate of the frame just finished

    def keep(luma: np.ndarray, fused: Candidate | None, prior: Prior) -> np.ndarray:
        latest.append(fused)
        return classical_finish(luma, fused, prior)

    ref_lumas = [lumas[k] for k in keyframes]
    chroma = propagate_working(lumas, keyframes, ref_lumas, _engine_settings(), finish=keep)
    for index, _ in enumerate(chroma):
        fused = latest.pop()
        if index not in keyframes and fused is not None:
            yield lumas[index], abs_[index], fused


@functools.cache
def _engine_settings() -> EngineSettings:
    """The product's default engine (loaded once per worker process)."""
    return EngineSettings(network=ColorNetwork())


def _to_scale(plane: np.ndarray, lines: int, crop: int) -> np.ndarray:
    """``plane`` at ``lines`` lines (never enlarged), or enlarged just enough for a ``crop``
    square when it is smaller than that."""
    height, width = plane.shape[:2]
    scale = max(min(1.0, lines / height), crop / min(height, width))
    if scale == 1.0:
        return plane
    size = (max(crop, round(width * scale)), max(crop, round(height * scale)))
    return cv2.resize(plane, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _unit_bytes(plane: np.ndarray) -> np.ndarray:
    return (plane * 255).round().astype(np.uint8)


def _ab_bytes(plane: np.ndarray) -> np.ndarray:
    return (np.clip(plane, -127, 127) + 128).round().astype(np.uint8)


_BYTES = {"luma": _unit_bytes, "ab": _ab_bytes, "hint_ab": _ab_bytes, "hint_conf": _unit_bytes}


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
        conf = np.maximum(video["hint_conf"][window].astype(np.float32) / 255.0, PRESENT_CONFIDENCE)
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
            conf = np.maximum(conf, PRESENT_CONFIDENCE)  # a colour everywhere, as from the engine
        return Sample(luma, ab, hint, conf, kind)

    def batch(self, rng: np.random.Generator, size: int, kind: str | None = None) -> list[Sample]:
        return [self.sample(rng, kind) for _ in range(size)]
