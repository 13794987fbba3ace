"""Which frames to paint next, given the keyframes already painted (``refs suggest --add K``).

Every shot is measured as for a fresh suggestion (:mod:`videocolor.refs.suggest`), with its
painted frames kept in every set of keyframes. The K additions are chosen one at a time over the
whole reel: each is the candidate that lowers the reel's expected colour loss
(:mod:`videocolor.refs.worth`, summed over frames, so a long shot counts for its length) the
most, except that every shot without a keyframe gets one before any shot gets more. Each
addition says why, and the frames that are weakest now are kept with the part of the picture no
painted keyframe reaches and, given the painted images, coloured as they would look now
(:mod:`videocolor.refs.preview`), for the contact sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.clip import EngineSettings
from videocolor.errors import ReferenceImageError
from videocolor.io import StreamInfo
from videocolor.refs.coverage import walk_size
from videocolor.refs.preview import colour_as_now
from videocolor.refs.reach import ShotReach
from videocolor.refs.suggest import Keyframe, Measures, ShotFrames, keyframes_of, read_shots
from videocolor.refs.worth import ShotWorth
from videocolor.shots.detection import detect_shots
from videocolor.shots.shot import Shot


@dataclass(frozen=True)
class WeakFrame:
    """A frame as the painted keyframes leave it: ``grey`` (uint8, the flow resolution),
    ``unreached`` (uint8 mask, 255 where no painted keyframe's colour arrives) and ``colour``
    (8-bit BGR, the flow resolution: the engine's colour from the painted images; None when
    they were not given)."""

    frame: int
    shot: int
    loss: float  # expected colour loss, dB
    coverage: float
    grey: np.ndarray
    unreached: np.ndarray
    colour: np.ndarray | None = None


@dataclass(frozen=True)
class Additions:
    source: Path
    info: StreamInfo
    frame_rate: Fraction
    frame_count: int
    painted: tuple[int, ...]
    keyframes: tuple[Keyframe, ...]
    weakest: tuple[WeakFrame, ...]
    loss_before: float  # mean expected loss of the reel's frames with the painted keyframes, dB
    loss_after: float  # ... and with the additions


@dataclass
class _ShotState:
    shot: Shot
    worth: ShotWorth
    added: list[int]


def _weakest_frame(state: _ShotState, reach: ShotReach, frames: ShotFrames) -> WeakFrame:
    worth, shot = state.worth, state.shot
    losses = np.where(worth.scored, worth.losses([]), -np.inf)
    position = int(np.argmax(losses))
    painted = worth.painted
    grey = frames.small[position]
    width, height = walk_size((grey.shape[1], grey.shape[0]))
    covered = np.zeros((height, width), np.uint8)
    for side in [k for k in painted if k <= position][-1:] + [k for k in painted if k >= position][
        :1
    ]:
        covered = cv2.bitwise_or(covered, reach.mask_at(side, position))
    unreached = cv2.bitwise_not(covered)
    return WeakFrame(
        shot.start + position,
        shot.index,
        float(losses[position]),
        float(worth.coverage([])[position]),
        grey,
        unreached,
    )


def _plan(
    frames: ShotFrames, painted: Sequence[int], measures: Measures, horizon: int
) -> tuple[_ShotState, WeakFrame]:
    shot = frames.shot
    inside = [frame - shot.start for frame in painted if shot.start <= frame < shot.end]
    worth, reach = measures.worth(frames, horizon, inside)
    state = _ShotState(shot, worth, [])
    weak = _weakest_frame(state, reach, frames)
    reach.release()
    return state, weak


def refuse_outside(painted: Sequence[int], shots: Sequence[Shot], hint: str | None = None) -> None:
    """Painted frames the shots do not hold are numbered from another origin: choosing beside
    them would ignore them without a word. ``hint``: the offset the check found, said instead of
    where to find one."""
    first, end = (shots[0].start, shots[-1].end) if shots else (0, 0)
    outside = sorted(f for f in painted if not first <= f < end)
    if outside:
        named = ", ".join(str(f) for f in outside[:4]) + (", ..." if len(outside) > 4 else "")
        raise ReferenceImageError(
            f"painted keyframes name frames {named}, outside the video's frames {first}-{end - 1}: "
            + (
                hint
                or "number them from its first frame (0), or pass --offset "
                "(`videocolor refs check VIDEO REFDIR` finds it)"
            )
        )


def _may_show(candidate: WeakFrame, weak: Sequence[WeakFrame], count: int) -> bool:
    """Whether a shot's weakest frame can still be among the ``count`` weakest of the reel: only
    those are coloured, an engine run each."""
    losses = sorted((w.loss for w in weak), reverse=True)
    return len(losses) < count or candidate.loss > losses[count - 1]


def _colourer(images: Mapping[int, np.ndarray]) -> Callable[[WeakFrame, ShotFrames], WeakFrame]:
    """What gives a weak frame its colour from the painted ``images``, with one engine."""
    engine = EngineSettings(network=ColorNetwork())

    def coloured(weak: WeakFrame, frames: ShotFrames) -> WeakFrame:
        start = frames.shot.start
        inside = {f - start: rgb for f, rgb in images.items() if start <= f < start + frames.count}
        return replace(weak, colour=colour_as_now(frames.small, weak.frame - start, inside, engine))

    return coloured


def _best_in(state: _ShotState) -> tuple[int, float] | None:
    """The shot's best next addition and how much it lowers the shot's summed loss."""
    best = state.worth.best_addition(state.added)
    if best is None:
        return None
    return best[0], state.worth.total(state.added) - best[1]


def suggest_additions(
    source: str | Path,
    painted: Sequence[int],
    count: int,
    *,
    shots: Sequence[Shot] | None = None,
    flow_width: int = 256,
    fps: Fraction | None = None,
    progress: bool = False,
    weakest: int = 8,
    images: Mapping[int, np.ndarray] | None = None,
) -> Additions:
    """The ``count`` frames of ``source`` whose painting lowers its expected loss most, given the
    ``painted`` frames, and the ``weakest`` frames as the painted ones leave them: coloured as
    they would look now when ``images`` (painted frame → RGB in [0, 1]) are given."""
    if shots is None:
        shots = list(detect_shots(source, fps=fps, progress=progress))
    refuse_outside(painted, shots)
    measures = Measures.default()
    colour = _colourer(images) if images is not None else None
    states: list[_ShotState] = []
    weak: list[WeakFrame] = []
    for reel, frames in read_shots(
        source, shots, flow_width=flow_width, fps=fps, label="weighing keyframes", progress=progress
    ):
        state, weakest_here = _plan(frames, painted, measures, reel.horizon)
        states.append(state)
        if colour is not None and _may_show(weakest_here, weak, weakest):
            weakest_here = colour(weakest_here, frames)
        weak.append(weakest_here)
    info, rate = reel.info, reel.frame_rate
    scored = sum(int(s.worth.scored.sum()) for s in states)
    before = sum(s.worth.total([]) for s in states)
    options = {i: _best_in(s) for i, s in enumerate(states)}
    for _ in range(count):
        # A shot with no keyframe at all is coloured by guesswork: it gets one before any other
        # shot gets more.
        ranked = [
            (not (states[i].worth.painted or states[i].added), best[1], i)
            for i, best in options.items()
            if best is not None
        ]
        if not ranked:
            break
        *_, chosen = max(ranked)
        state = states[chosen]
        state.added.append(options[chosen][0])
        options[chosen] = _best_in(state)
    keyframes = []
    for state in states:
        if not state.added:
            continue
        state.added = state.worth.refine(state.added)
        keyframes += keyframes_of(state.shot, state.worth, state.added)
    after = sum(s.worth.total(s.added) for s in states)
    frame_count = states[-1].shot.end if states else 0
    return Additions(
        Path(source),
        info,
        rate,
        frame_count,
        tuple(sorted(painted)),
        tuple(sorted(keyframes, key=lambda k: k.frame)),
        tuple(sorted(weak, key=lambda w: -w.loss)[:weakest]),
        before / max(scored, 1),
        after / max(scored, 1),
    )
