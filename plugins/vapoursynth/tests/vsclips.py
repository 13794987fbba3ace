"""Material for the VapourSynth host's tests: grey reels with painted frames, and clips made
from numpy frames without a source plugin."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

from tests.clips import painted_photo_reel


def textured_photos(count: int, width: int = 800, height: int = 240) -> list[np.ndarray]:
    """Smooth random colour fields with grain, one per shot: each differs from the others in
    every region, so every cut between them is a hard one (uint8 RGB)."""
    rng = np.random.default_rng(11)
    photos = []
    for _ in range(count):
        coarse = rng.uniform(0, 255, (6, 20, 3)).astype(np.float32)
        field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        grain = rng.normal(0, 12, (height, width, 1)).astype(np.float32)
        photos.append(np.clip(field + grain, 0, 255).astype(np.uint8))
    return photos


def make_reel(root: Path, lengths: tuple[int, ...], painted: tuple[int, ...]) -> Path:
    """``root/reel.mkv`` (grey FFV1, one shot per length) and ``root/refs/`` painting
    ``painted``."""
    root.mkdir(parents=True, exist_ok=True)
    grey, _ = painted_photo_reel(root, lengths, painted, photos=textured_photos(len(lengths)))
    return grey.rename(root / "reel.mkv")


def clip_from(frames: list[np.ndarray], fmt: int) -> vs.VideoNode:
    """A clip of format ``fmt`` whose luma planes are ``frames`` (chroma neutral)."""
    height, width = frames[0].shape
    clip = vs.core.std.BlankClip(
        format=fmt, width=width, height=height, length=len(frames), keep=True
    )
    float_samples = clip.format.sample_type == vs.FLOAT
    neutral = 0.0 if float_samples else 1 << (clip.format.bits_per_sample - 1)

    def fill(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        np.copyto(np.asarray(out[0]), frames[n])
        for plane in range(1, clip.format.num_planes):
            np.asarray(out[plane])[:] = neutral
        return out

    return clip.std.ModifyFrame(clip, fill)
