"""From per-frame measurements to transitions: hard cuts, fades through black, dissolves.

Each kind has its own evidence:

- a **hard cut** is one step whose structure distance is both large and several times the
  steps around it (motion raises all of them together, a cut only one), and whose picture
  persists: frames two apart across it differ too, so a single damaged frame is not taken for
  a cut (it would be two);
- a **fade** is a run of black frames; the cut sits in its middle and the transition extends
  over the dimmed frames on either side, found by fitting a linear ramp of contrast;
- a **dissolve** is a change of both layout and tones between frames ``2k`` apart, with
  no hard cut or black frame between them, where the frames in between are cross-fades of the
  two ends rather than area mixes (see :func:`~videocolor.shots.detect.measures.mix_ratio`) for
  several frames in a row. Its cut is the middle of those frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from videocolor.shots.detect.series import SeriesArrays
from videocolor.shots.detect.settings import DetectorSettings

TransitionKind = Literal["cut", "fade", "dissolve"]

PLATEAU = 8  # frames of steady shot after a fade ramp that the ramp fit compares against
_SUSTAINED = 3  # a dissolve shows on at least this many frames of one run ...
_BRIDGE = 3  # ... allowing for gaps of up to this many frames where the fit is poorer
_FOLLOW = 0.8  # a dissolve's run extends over neighbours whose mix ratio is below this
_FADE_STRENGTH = 10.0  # black frames are the surest evidence: a fade wins any conflict


@dataclass(frozen=True)
class Transition:
    """A boundary between shots. ``cut`` is the first frame of the new shot; frames ``start`` to
    ``end`` (inclusive) belong to the transition and are a mix of both shots or of a shot and
    black (all three are ``cut`` for a hard cut)."""

    kind: TransitionKind
    cut: int
    start: int
    end: int
    strength: float = 1.0  # how far past its thresholds the evidence went; ranks close ones

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "cut": self.cut, "start": self.start, "end": self.end}


def transitions(
    series: SeriesArrays, settings: DetectorSettings, *, starts_video: bool = True
) -> list[Transition]:
    """Every transition in ``series``, in frame order. Where candidates conflict (cuts closer
    than ``min_shot``, or one inside another's extent: a long dissolve seen at two spans) the
    stronger evidence wins. ``starts_video`` is False for a window into a longer video, whose
    first frame is not the video's (black there is no leader)."""
    cuts = hard_cuts(series, settings)
    black = (series.bright < settings.black_level) & (series.contrast < settings.black_contrast)
    runs = _runs(black, settings.black_gap)
    found = fades(series, runs, [c.cut for c in cuts], settings, starts_video)
    near_black = np.zeros(len(series) + 1, bool)
    for first, last in runs:
        near_black[first : last + 2] = True
    found += [c for c in cuts if not near_black[c.cut]]
    abrupt = list(found)
    for row in range(len(series.spans)):
        found += dissolves(series, row, settings, abrupt, runs)
    kept: list[Transition] = []
    for candidate in sorted(found, key=lambda t: -t.strength):
        if not any(conflict(candidate, other, settings.min_shot) for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda t: t.cut)


def conflict(a: Transition, b: Transition, min_shot: int) -> bool:
    return abs(a.cut - b.cut) < min_shot or (a.start <= b.end and b.start <= a.end)


def hard_cuts(series: SeriesArrays, settings: DetectorSettings) -> list[Transition]:
    """Steps that stand out from their neighbours and whose new picture persists."""
    step, across, contrast = series.step, series.across, series.contrast
    count = len(series)
    found = []
    for t in np.flatnonzero(step >= settings.cut_distance).tolist():
        if t == 0 or min(contrast[t - 1], contrast[t]) < settings.flat_contrast:
            continue
        lo, hi = max(1, t - settings.cut_window), min(count, t + settings.cut_window + 1)
        around = np.concatenate([step[lo:t], step[t + 1 : hi]])
        ratio = step[t] / (float(np.median(around)) + 0.02)
        # frames t-1 -> t+1 and t-2 -> t straddle the cut: both must show the change
        persists = [across[t]] if t + 1 < count else []
        persists += [across[t - 1]] if t >= 2 else []
        if ratio >= settings.cut_ratio and min(persists, default=1.0) >= settings.cut_persist:
            strength = min(ratio / settings.cut_ratio, step[t] / settings.cut_distance)
            found.append(Transition("cut", t, t, t, float(strength)))
    return found


def _runs(mask: np.ndarray, gap: int = 0) -> list[tuple[int, int]]:
    """(first, last) of every run of True in ``mask``, bridging gaps of up to ``gap`` frames."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    runs: list[tuple[int, int]] = []
    for first, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and first - runs[-1][1] - 1 <= gap:
            runs[-1] = (runs[-1][0], end - 1)
        else:
            runs.append((first, end - 1))
    return runs


def fades(
    series: SeriesArrays,
    black_runs: list[tuple[int, int]],
    cuts: list[int],
    settings: DetectorSettings,
    starts_video: bool = True,
) -> list[Transition]:
    """A fade for every black run inside the video; its ramps stop at the nearest hard cuts."""
    count = len(series)
    found = []
    for first, last in black_runs:
        if (first == 0 and starts_video) or last == count - 1:
            continue  # leader or tail: black that belongs to the one shot beside it
        previous_cut = max((c for c in cuts if c <= first), default=0)
        next_cut = min((c for c in cuts if c > last), default=count)
        dimming = series.contrast[previous_cut:first][::-1][: settings.fade_reach + PLATEAU]
        rising = series.contrast[last + 1 : next_cut][: settings.fade_reach + PLATEAU]
        start = first - _ramp_length(dimming, settings.fade_reach)
        end = last + _ramp_length(rising, settings.fade_reach)
        found.append(Transition("fade", (first + last + 1) // 2, start, end, _FADE_STRENGTH))
    return found


def _ramp_length(contrast: np.ndarray, reach: int) -> int:
    """Frames of fade beside a black run: the linear ramp from black that best fits
    ``contrast`` (ordered walking away from the black) before it levels off."""
    best, best_error = 0, float("inf")
    for length in range(min(reach, len(contrast) - 1) + 1):
        level = float(np.median(contrast[length : length + PLATEAU]))
        if level <= 0:
            continue
        model = np.full(min(len(contrast), length + PLATEAU), level)
        model[:length] *= np.arange(1, length + 1) / (length + 1)
        error = float(np.mean((contrast[: len(model)] - model) ** 2)) / level**2
        if error < best_error:
            best, best_error = length, error
    return best


def dissolves(
    series: SeriesArrays,
    row: int,
    settings: DetectorSettings,
    taken: list[Transition],
    black_runs: list[tuple[int, int]],
) -> list[Transition]:
    """Runs of frames that are cross-fades of the frames k before and after them, for the
    half-span k of ``series.spans[row]``.

    A run is found with the strict ``dissolve_mix`` and then followed outwards while the frames
    still fit a cross-fade better than an area mix: it then covers the mixed frames of the
    dissolve, whose cut is its middle frame and whose extent is the run with one frame more on
    each side (the faintest ends of the ramp). Near a hard cut or black frame (``taken``,
    ``black_runs``) the comparison would see that instead, so none is looked for there.
    """
    half = series.spans[row]
    count = len(series)
    blocked = np.zeros(count, bool)
    for first, last in [(t.start, t.end) for t in taken] + black_runs:
        blocked[max(0, first - half) : last + half + 1] = True
    with np.errstate(invalid="ignore"):
        crossfade = (series.mix[row] <= settings.dissolve_mix[row]) & ~blocked
        mixed = (series.mix[row] <= _FOLLOW) & ~blocked
    strong = (
        crossfade
        & (series.span_structure[row] >= settings.dissolve_structure)
        & (series.span_tone[row] >= settings.dissolve_tone)
    )
    found = []
    for first, last in _runs(crossfade, gap=_BRIDGE):
        if crossfade[first : last + 1].sum() < _SUSTAINED or not strong[first : last + 1].any():
            continue
        change = float(series.span_tone[row, first : last + 1].max())
        while first > 0 and mixed[first - 1]:
            first -= 1
        while last < count - 1 and mixed[last + 1]:
            last += 1
        found.append(
            Transition(
                "dissolve",
                (first + last + 1) // 2,
                max(0, first - 1),
                min(count - 1, last + 1),
                change / settings.dissolve_tone,
            )
        )
    return found
