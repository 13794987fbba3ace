"""Shots decided while the frames stream past: what lets a pipe colour a shot before the reel ends.

Frames are fed one at a time. Every few frames the detector's decision rules
(:func:`~videocolor.shots.detect.decide.transitions`) run again over a window that starts a
little before the last settled cut (at most a few hundred frames back); a transition is settled
once the stream has gone :attr:`ShotStream.lookahead` frames past its end, further than any of
the rules looks ahead (the ramp fit beside a fade, a dissolve's longest span). Settling a
transition closes the shot before it. Whole-file detection
(:func:`~videocolor.shots.detection.detect_shots`) feeds the same stream, so a pipe and a file
find exactly the same shots.
"""

from __future__ import annotations

import numpy as np

from videocolor.color import CodeRange
from videocolor.shots.detect.decide import PLATEAU, Transition, conflict, transitions
from videocolor.shots.detect.series import SeriesBuilder
from videocolor.shots.detect.settings import DetectorSettings
from videocolor.shots.detect.signature import signature
from videocolor.shots.shot import Shot

#: Frames between two runs of the decision rules: a shot's end is known at most this late.
CHECK_EVERY = 8
#: The window the rules see reaches back at most this many lookaheads: in a long shot without a
#: cut it would otherwise grow with the shot, and the cost of each run with it.
WINDOW_LOOKAHEADS = 8


class ShotStream:
    """Feed luma frames with :meth:`add`; it returns each shot as soon as its end is certain,
    and :meth:`finish` returns the rest.

    ``code_range`` says how integer frames encode luma (default: their dtype's full range;
    float frames are unit luma).
    """

    def __init__(
        self, settings: DetectorSettings | None = None, code_range: CodeRange | None = None
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.code_range = code_range
        self.transitions: list[Transition] = []  # settled, in frame order
        self._series = SeriesBuilder(self.settings)
        self._shots_given = 0

    @property
    def lookahead(self) -> int:
        """Frames the stream must pass a transition's end before it is settled."""
        settings = self.settings
        return settings.fade_reach + PLATEAU + 2 * max(settings.spans)

    @property
    def frames(self) -> int:
        return len(self._series)

    def add(self, luma: np.ndarray) -> list[Shot]:
        """Take the next frame's luma; return the shots that ended for certain (often none)."""
        self._series.add(signature(luma, self.code_range))
        if self.frames % CHECK_EVERY:
            return []
        return self._settle(final=False)

    def finish(self) -> list[Shot]:
        """The stream has ended: every shot not yet returned, the last one included."""
        if self.frames == 0:
            return []
        shots = self._settle(final=True)
        last = self.transitions[-1] if self.transitions else None
        shots.append(self._shot(last.cut if last else 0, self.frames, last, None))
        return shots

    def _settle(self, *, final: bool) -> list[Shot]:
        """Run the rules over the unsettled frames and settle what the stream has gone past."""
        last = self.transitions[-1] if self.transitions else None
        window_start = max(
            0,
            (last.cut if last else 0) - self.lookahead,
            self.frames - WINDOW_LOOKAHEADS * self.lookahead,
        )
        arrays = self._series.arrays(window_start)
        found = transitions(arrays, self.settings, starts_video=window_start == 0)
        horizon = self.frames if final else self.frames - self.lookahead
        shots = []
        for local in found:
            candidate = _shifted(local, window_start)
            if last is not None and (
                candidate.cut <= last.cut or conflict(candidate, last, self.settings.min_shot)
            ):
                continue
            if not final and candidate.end >= horizon:
                break
            shots.append(self._shot(last.cut if last else 0, candidate.cut, last, candidate))
            self.transitions.append(candidate)
            last = candidate
        return shots

    def _shot(
        self, start: int, end: int, entering: Transition | None, leaving: Transition | None
    ) -> Shot:
        shot = shot_between(self._shots_given, start, end, entering, leaving)
        self._shots_given += 1
        return shot


def shot_between(
    index: int, start: int, end: int, entering: Transition | None, leaving: Transition | None
) -> Shot:
    """Shot ``index`` from ``start`` to ``end`` (exclusive) between two transitions (None at the
    video's ends), the frames of a gradual transition counted on the side of the cut where
    they lie."""
    lead_in = entering.end - start + 1 if entering and entering.kind != "cut" else 0
    lead_out = end - leaving.start if leaving and leaving.kind != "cut" else 0
    return Shot(index, start, end, max(0, lead_in), max(0, lead_out))


def _shifted(transition: Transition, offset: int) -> Transition:
    return Transition(
        transition.kind,
        transition.cut + offset,
        transition.start + offset,
        transition.end + offset,
        transition.strength,
    )
