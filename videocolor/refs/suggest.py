"""Which frames a colourist should paint: keyframes spent where the propagation needs them.

Every frame of a shot outside its transitions (:attr:`videocolor.shots.shot.Shot.core`) that is
fit to paint is a candidate: not a frame unlike both its neighbours while they are alike (a
flash, a damaged or missing frame), not exposed much worse than is usual for the shot, not much
blurrier than its median frame. From each candidate, coverage is walked through the shot
(:mod:`videocolor.refs.reach`), and keyframes are chosen by what they are worth to the frames
they will colour (:mod:`videocolor.refs.worth`): how much of each frame their colours reach and
from how far.

How many: with ``every`` (``--every N``) each shot gets ``max(1, round(length / N))``;
otherwise keyframes are added until every frame of the shot keeps ``min_coverage`` of its picture
reachable, at most ``max_per_shot``. Each keyframe says why it is there: the frame it helps most
and how much of that frame was out of reach without it.

Frames are analysed at the flow resolution (``flow_width`` pixels wide); a shot's frames are
buffered there (disk-backed when long), never at full resolution.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
from videocolor.refs.likeness import LikenessMeter
from videocolor.refs.reach import ShotReach, candidate_positions
from videocolor.refs.worth import Gain, ShotWorth
from videocolor.shots.detection import detect_shots
from videocolor.shots.shot import Shot

_THUMB = (32, 24)
#: Clipped share a frame may exceed the shot's median by and still count as well exposed.
CLIP_MARGIN = 0.02
#: ...and how much further its mean may sit from mid-grey than the shot's median frame.
MEAN_MARGIN = 0.1
#: A frame sharper than this share of the shot's median sharpness is sharp enough to paint.
SHARP_SHARE = 0.5
#: A frame is unlike a neighbour when their thumbnails differ this many times more than the
#: shot's neighbouring frames usually do...
OUTLIER_RATIO = 3.0
#: ...while its two neighbours differ from each other less than this share of that.
OUTLIER_AGREEMENT = 0.5
#: A walk's reach is measured this many seconds from its keyframe at most.
HORIZON_SECONDS = 10
#: Keyframes leave even spacing only where the loss model expects that to colour the shot's
#: frames this much better on average (dB): smaller expected gains are within its error.
EVEN_MARGIN_DB = 0.36


@dataclass(frozen=True)
class SuggestSettings:
    """``every``: one keyframe per this many frames of each shot (at least one); when None,
    keyframes are added until ``min_coverage`` holds, ``max_per_shot`` at most."""

    max_per_shot: int = 4
    min_coverage: float = 0.6
    flow_width: int = 256
    every: int | None = None


@dataclass(frozen=True)
class Keyframe:
    """A frame to paint; ``coverage`` is the share of the frame it helps most that the shot's
    other keyframes reached (None for a shot's only keyframe)."""

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


class ShotFrames:
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

    def frames(self) -> list[np.ndarray]:
        return [self.small[i] for i in range(self.count)]


def _outliers(thumbs: np.ndarray) -> np.ndarray:
    """Frames unlike both neighbours while the neighbours are alike: flashes, damaged frames."""
    count = len(thumbs)
    flagged = np.zeros(count, bool)
    if count < 3:
        return flagged
    step = np.abs(np.diff(thumbs, axis=0)).mean(axis=1)
    usual = max(float(np.median(step)), 1e-4)
    across = np.abs(thumbs[2:] - thumbs[:-2]).mean(axis=1)
    unlike = np.minimum(step[:-1], step[1:]) > OUTLIER_RATIO * usual
    flagged[1:-1] = unlike & (across < OUTLIER_AGREEMENT * np.minimum(step[:-1], step[1:]))
    return flagged


def _local_median(values: np.ndarray, radius: int) -> np.ndarray:
    """Each value's running median over ``radius`` frames either side (edges repeated)."""
    padded = np.pad(values, radius, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1), axis=1)


def fit_to_paint(frames: ShotFrames, core: range, radius: int = 12) -> np.ndarray:
    """Per position of the shot: may it be proposed as a keyframe. Exposure and sharpness are
    judged against the frames around (``radius`` either side), not the whole shot, so that a pan
    into a darker or flatter part of the scene keeps its frames."""
    count = frames.count
    in_core = np.zeros(count, bool)
    in_core[max(core.start - frames.shot.start, 0) : core.stop - frames.shot.start] = True
    if not in_core.any():
        return in_core
    clipped, off_grey = frames.clipped[:count], np.abs(frames.mean[:count] - 0.5)
    sharpness = frames.sharpness[:count]
    exposed = (clipped <= _local_median(clipped, radius) + CLIP_MARGIN) & (
        off_grey <= _local_median(off_grey, radius) + MEAN_MARGIN
    )
    sharp = sharpness >= SHARP_SHARE * _local_median(sharpness, radius)
    fit = in_core & exposed & sharp & ~_outliers(frames.thumbs[:count])
    return fit if fit.any() else in_core


def scored_positions(frames: ShotFrames) -> np.ndarray:
    """The positions of the shot whose colour counts: its core (all of it when it has none)."""
    shot = frames.shot
    scored = np.zeros(frames.count, bool)
    scored[max(shot.core.start - shot.start, 0) : shot.core.stop - shot.start] = True
    if not scored.any():
        scored[:] = True
    return scored


def _count_for(shot: Shot, settings: SuggestSettings) -> int | None:
    if settings.every is None:
        return None
    return max(1, round(shot.length / settings.every))


def _even(worth: ShotWorth, count: int) -> list[int]:
    """``count`` candidates nearest to the frames holding the centres of equal stretches of the
    scored frames."""
    scored = np.flatnonzero(worth.scored)
    centres = scored[0] + np.floor((np.arange(count) + 0.5) * len(scored) / count)
    candidates = np.asarray(worth.candidates)
    picks = {int(candidates[np.argmin(np.abs(candidates - c))]) for c in centres}
    return sorted(picks)


def _choose(worth: ShotWorth, count: int | None, settings: SuggestSettings) -> list[int]:
    """``count`` keyframes, or as many as ``min_coverage`` asks (``max_per_shot`` at most).

    Greedy choice and refinement can settle in a poorer arrangement than even spacing on a shot
    of even reach, so refinement also starts from even spacing and the better end is kept; it
    replaces even spacing only when expected to gain :data:`EVEN_MARGIN_DB` a frame."""
    keys: list[int] = []
    limit = count if count is not None else settings.max_per_shot
    while len(keys) < limit:
        if count is None and keys:
            lowest = float(worth.coverage(keys)[worth.scored].min())
            if lowest >= settings.min_coverage:
                break
        best = worth.best_addition(keys)
        if best is None:
            break
        keys.append(best[0])
    if not keys:
        return keys
    even = _even(worth, len(keys))
    moved = min((worth.refine(start) for start in (keys, even)), key=worth.total)
    expected_gain = worth.mean_loss(even) - worth.mean_loss(moved)
    return moved if expected_gain >= EVEN_MARGIN_DB else even


def reason_for(gain: Gain | None, shot: Shot, worth: ShotWorth, key: int) -> str:
    if gain is None or gain.nearest is None:
        reached = float(worth.coverage([key])[worth.scored].mean())
        return (
            f"reaches the most of its shot: {reached:.0%} of each frame's picture on average, "
            f"frames {shot.start}-{shot.end - 1}"
        )
    frame = shot.start + gain.frame
    nearest = shot.start + gain.nearest
    if gain.reached < 0.8:
        new = f"new since frame {nearest}" if nearest < frame else f"not yet in frame {nearest}"
        return f"frame {frame}: {1 - gain.reached:.0%} of the picture is {new}"
    if gain.likeness_db > gain.along_flow_db:
        return (
            f"frame {frame}: parts of the picture look unlike anything in the other keyframes "
            f"(nearest: frame {nearest})"
        )
    distance = abs(frame - nearest)
    return f"frame {frame}: {distance} frames from the nearest other keyframe ({nearest})"


@dataclass(frozen=True)
class Measures:
    """What a shot's frames are measured with: flow coverage and the matcher's likeness."""

    step: CoverageStep
    meter: LikenessMeter

    @classmethod
    def default(cls) -> Measures:
        return cls(CoverageStep(), LikenessMeter())

    def worth(
        self, frames: ShotFrames, horizon: int, painted: Sequence[int] = ()
    ) -> tuple[ShotWorth, ShotReach]:
        """The worth model of the shot in ``frames`` (its candidates: the frames fit to paint)
        and the reach it is built on, still able to walk masks."""
        candidates = candidate_positions(fit_to_paint(frames, frames.shot.core))
        small = frames.frames()
        reach = ShotReach(small, candidates, self.step, horizon, painted)
        likeness = self.meter.measure(small, sorted({*(int(c) for c in candidates), *painted}))
        return ShotWorth(reach, likeness, scored_positions(frames), painted), reach


def plan_shot(
    frames: ShotFrames, settings: SuggestSettings, measures: Measures, horizon: int
) -> ShotPlan:
    """The keyframes of one shot whose frames are all in ``frames``."""
    shot = frames.shot
    worth, reach = measures.worth(frames, horizon)
    reach.release()
    scored = worth.scored
    chosen = _choose(worth, _count_for(shot, settings), settings)
    lowest = float(worth.coverage(chosen)[scored].min()) if chosen else 0.0
    return ShotPlan(shot, tuple(keyframes_of(shot, worth, chosen)), lowest)


def keyframes_of(shot: Shot, worth: ShotWorth, chosen: Sequence[int]) -> list[Keyframe]:
    """The ``chosen`` positions of ``shot`` as keyframes, each with why it is there beside the
    others and the painted ones."""
    keys = []
    for key in chosen:
        others = [k for k in chosen if k != key]
        gain = worth.gain(others, key) if others or worth.painted else None
        reached = None if gain is None else gain.reached
        keys.append(
            Keyframe(shot.start + key, shot.index, reason_for(gain, shot, worth, key), reached)
        )
    return keys


def flow_size(width: int, height: int, flow_width: int) -> tuple[int, int]:
    scaled = min(width, flow_width)
    return scaled, max(8, round(height * scaled / width))


@dataclass(frozen=True)
class Reel:
    """What choosing keyframes needs to know of the source as a whole."""

    info: StreamInfo
    frame_rate: Fraction
    horizon: int  # frames a coverage walk may go from its keyframe


def read_shots(
    source: str | Path,
    shots: Sequence[Shot],
    *,
    flow_width: int,
    fps: Fraction | None,
    label: str,
    progress: bool,
) -> Iterator[tuple[Reel, ShotFrames]]:
    """Decode ``source`` once and yield each shot's frames at the flow resolution as soon as the
    shot is complete (the last one cut short where decoding stops early)."""
    with open_source(source, fps) as opened:
        info = opened.info
        rate = info.frame_rate or fps or Fraction(24)
        reel = Reel(info, rate, max(1, round(rate * HORIZON_SECONDS)))
        size = flow_size(info.width, info.height, flow_width)
        pending = iter(shots)
        current = ShotFrames(next(pending), size)
        with Reporter(label, shots[-1].end, enabled=progress) as reporter:
            for frame in opened:
                if frame.index < current.shot.start:  # shots given for part of the video
                    continue
                current.add(frame.luma_unit(info.code_range))
                reporter.advance()
                if current.count == current.shot.length:
                    yield reel, current
                    upcoming = next(pending, None)
                    if upcoming is None:
                        return
                    current = ShotFrames(upcoming, size)
        if current.count:
            current.shot = replace(current.shot, end=current.shot.start + current.count)
            yield reel, current


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
    measures = Measures.default()
    plans: list[ShotPlan] = []
    reel = None
    for reel, frames in read_shots(
        source,
        shots,
        flow_width=settings.flow_width,
        fps=fps,
        label="choosing keyframes",
        progress=progress,
    ):
        plans.append(plan_shot(frames, settings, measures, reel.horizon))
    frame_count = plans[-1].shot.end if plans else 0
    return Suggestion(Path(source), reel.info, reel.frame_rate, frame_count, tuple(plans), settings)
