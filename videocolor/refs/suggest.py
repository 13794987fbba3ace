"""Which frames a colourist should paint: at least one per shot, more where the shot drifts.

The first keyframe of a shot is the frame that shows the shot best: among the frames outside any
fade or dissolve (:attr:`videocolor.shots.shot.Shot.core`), those exposed no worse than is usual
for the shot (clipped share and distance of the mean from mid-grey), then the closer half to the
shot's median picture (so not a frame of a flash, a flare or a passing obstruction), then the
sharpest (variance of the Laplacian). Painting that frame gives the colours most of the shot shows.

Further keyframes follow the shot's content: from each keyframe, coverage
(:mod:`videocolor.refs.coverage`) is carried frame by frame towards both ends of the shot; where it
falls below ``min_coverage`` the sharpest of the last few frames (an eighth of a second) becomes a
keyframe and the walk starts again from it. A walk goes at least a quarter of a second before it
may add one, so a whip pan, where flow loses everything within a frame or two, does not spend the
whole budget on consecutive frames. Both directions advance in turn, so when ``max_per_shot``
runs out the keyframes are spread on both sides of the first one.

Frames are analysed at the flow resolution (``flow_width`` pixels wide); a shot's frames are
buffered there (disk-backed when long), never at full resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from videocolor.engine.flow import to_flow_input
from videocolor.io import StreamInfo, open_source
from videocolor.memory.spill import spill_array
from videocolor.progress import Reporter
from videocolor.refs.coverage import CoverageStep
from videocolor.shots.detection import detect_shots
from videocolor.shots.shot import Shot

_THUMB = (32, 24)
#: Clipped share a frame may exceed the shot's median by and still count as well exposed.
CLIP_MARGIN = 0.02
#: ...and how much further its mean may sit from mid-grey than the shot's median frame.
MEAN_MARGIN = 0.1


@dataclass(frozen=True)
class SuggestSettings:
    max_per_shot: int = 4
    min_coverage: float = 0.6
    flow_width: int = 256


@dataclass(frozen=True)
class Keyframe:
    """A frame to paint; ``coverage`` is what had fallen below the threshold (None for the
    first keyframe of a shot)."""

    frame: int
    shot: int
    reason: str
    coverage: float | None = None


@dataclass(frozen=True)
class ShotPlan:
    """A shot's keyframes and the lowest coverage any of its core frames keeps with them."""

    shot: Shot
    keyframes: tuple[Keyframe, ...]
    lowest_coverage: float


@dataclass(frozen=True)
class Suggestion:
    source: Path
    info: StreamInfo
    frame_rate: Fraction
    frame_count: int
    plans: tuple[ShotPlan, ...]
    settings: SuggestSettings

    @property
    def keyframes(self) -> list[Keyframe]:
        return [k for plan in self.plans for k in plan.keyframes]


class _ShotFrames:
    """A shot's frames at the flow resolution and the per-frame measures keyframes are chosen by."""

    def __init__(self, shot: Shot, size: tuple[int, int]) -> None:
        self.shot = shot
        self.size = size
        self.small = spill_array((shot.length, size[1], size[0]), np.uint8)
        self.sharpness = np.zeros(shot.length, np.float32)
        self.mean = np.zeros(shot.length, np.float32)
        self.clipped = np.zeros(shot.length, np.float32)
        self.thumbs = np.zeros((shot.length, _THUMB[0] * _THUMB[1]), np.float32)
        self.count = 0

    def add(self, luma_unit: np.ndarray) -> None:
        small = cv2.resize(luma_unit, self.size, interpolation=cv2.INTER_AREA)
        i = self.count
        self.small[i] = to_flow_input(small)
        self.sharpness[i] = cv2.Laplacian(small, cv2.CV_32F).var()
        self.mean[i] = small.mean()
        self.clipped[i] = np.mean((small <= 0.02) | (small >= 0.98))
        self.thumbs[i] = cv2.resize(small, _THUMB, interpolation=cv2.INTER_AREA).ravel()
        self.count += 1


def _first_keyframe(frames: _ShotFrames, core: range) -> tuple[int, str]:
    """Position in the shot of its best-exposed, representative, sharpest frame, and why."""
    positions = np.arange(core.start, core.stop) - frames.shot.start
    clipped, off_grey = frames.clipped[positions], np.abs(frames.mean[positions] - 0.5)
    exposed = (clipped <= np.median(clipped) + CLIP_MARGIN) & (
        off_grey <= np.median(off_grey) + MEAN_MARGIN
    )
    candidates = positions[exposed] if exposed.any() else positions
    median_picture = np.median(frames.thumbs[positions], axis=0)
    distance = np.linalg.norm(frames.thumbs[candidates] - median_picture, axis=1)
    typical = candidates[distance <= np.median(distance)]
    best = int(typical[np.argmax(frames.sharpness[typical])])
    relative = frames.sharpness[best] / max(float(np.median(frames.sharpness[positions])), 1e-9)
    reason = (
        f"first keyframe: sharpest representative frame (sharpness {relative:.2f}x the shot's "
        f"median, {frames.clipped[best]:.1%} clipped)"
    )
    return best, reason


class _Walk:
    """Coverage carried from the latest keyframe towards one end of the core (``direction``)."""

    def __init__(self, frames: _ShotFrames, key: int, end: int, direction: int) -> None:
        self.frames, self.end, self.direction = frames, end, direction
        self.restart(key)

    def restart(self, key: int) -> None:
        self.key = self.position = key
        self.mask = np.ones(self.frames.small.shape[1:], np.float32)

    @property
    def done(self) -> bool:
        return self.position == self.end

    def advance(self, step: CoverageStep) -> float:
        here = self.frames.small[self.position]
        self.position += self.direction
        self.mask = step(self.mask, here, self.frames.small[self.position])
        return float(self.mask.mean())

    def recent(self, window: int) -> list[int]:
        """The last ``window`` positions walked, never the keyframe the walk started from."""
        return list(range(self.position, self.key, -self.direction))[:window]


def _plan_shot(
    frames: _ShotFrames, settings: SuggestSettings, window: int, step: CoverageStep
) -> ShotPlan:
    shot = frames.shot
    core = shot.core
    first, reason = _first_keyframe(frames, core)
    keys = [Keyframe(shot.start + first, shot.index, reason)]
    coverage = np.zeros(shot.length, np.float32)
    coverage[first] = 1.0
    lo, hi = core.start - shot.start, core.stop - shot.start - 1
    walks = [_Walk(frames, first, hi, +1), _Walk(frames, first, lo, -1)]
    while not all(walk.done for walk in walks):
        for walk in (w for w in walks if not w.done):
            covered = walk.advance(step)
            coverage[walk.position] = max(coverage[walk.position], covered)
            if (
                covered >= settings.min_coverage
                or len(keys) >= settings.max_per_shot
                or abs(walk.position - walk.key) < 2 * window
            ):
                continue
            recent = walk.recent(window)
            new = recent[int(np.argmax(frames.sharpness[recent]))]
            shown = math.floor(covered * 100) / 100  # 0.598 must not read as the 0.60 threshold
            reason = f"coverage fell to {shown:.2f} at frame {shot.start + walk.position}"
            keys.append(Keyframe(shot.start + new, shot.index, reason, shown))
            coverage[new] = 1.0
            walk.restart(new)
    lowest = float(coverage[lo : hi + 1].min())
    return ShotPlan(shot, tuple(sorted(keys, key=lambda k: k.frame)), lowest)


def _flow_size(width: int, height: int, flow_width: int) -> tuple[int, int]:
    scaled = min(width, flow_width)
    return scaled, max(8, round(height * scaled / width))


def suggest_keyframes(
    source: str | Path,
    *,
    shots: Sequence[Shot] | None = None,
    settings: SuggestSettings = SuggestSettings(),
    fps: Fraction | None = None,
    progress: bool = False,
) -> Suggestion:
    """The keyframes to paint in every shot of ``source`` (shots detected when not given)."""
    if shots is None:
        shots = list(detect_shots(source, fps=fps, progress=progress))
    step = CoverageStep()
    plans: list[ShotPlan] = []
    with open_source(source, fps) as opened:
        info = opened.info
        rate = info.frame_rate or fps or Fraction(24)
        window = max(1, round(rate / 8))
        size = _flow_size(info.width, info.height, settings.flow_width)
        pending = iter(shots)
        current = _ShotFrames(next(pending), size)
        with Reporter("choosing keyframes", shots[-1].end, enabled=progress) as reporter:
            for frame in opened:
                if frame.index < current.shot.start:  # shots given for part of the video
                    continue
                current.add(frame.luma_unit(info.code_range))
                reporter.advance()
                if current.count == current.shot.length:
                    plans.append(_plan_shot(current, settings, window, step))
                    upcoming = next(pending, None)
                    if upcoming is None:
                        break
                    current = _ShotFrames(upcoming, size)
        if 0 < current.count < current.shot.length:  # decoding stopped early: plan what came
            current.shot = replace(current.shot, end=current.shot.start + current.count)
            plans.append(_plan_shot(current, settings, window, step))
    frame_count = plans[-1].shot.end if plans else 0
    return Suggestion(Path(source), info, rate, frame_count, tuple(plans), settings)
