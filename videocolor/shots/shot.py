"""A shot: the unit of colourisation. Temporal state never crosses its boundaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


def timecode(frame: int, rate: Fraction) -> str:
    """SMPTE-style ``HH:MM:SS:FF`` (non-drop) of a 0-based frame at ``rate`` frames/second.

    Frames are counted at the nominal integer rate (24 for 23.976), as editors do for
    non-drop-frame timecode.
    """
    fps = max(1, math.ceil(rate - Fraction(1, 1000)))
    seconds, frames = divmod(frame, fps)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


@dataclass(frozen=True)
class Shot:
    """Frames ``start`` to ``end - 1`` (0-based, end exclusive) of the decoded video.

    ``transition_in`` / ``transition_out`` count the frames at the shot's start / end that belong
    to a dissolve or fade (mixed with the neighbouring shot or with black): :attr:`core` leaves
    them out, and that is where keyframes and references belong.
    """

    index: int
    start: int
    end: int
    transition_in: int = 0
    transition_out: int = 0

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def core(self) -> range:
        """The shot's frames outside any gradual transition (never empty: a shot made only of
        transition frames keeps its middle frame)."""
        first, stop = self.start + self.transition_in, self.end - self.transition_out
        if first >= stop:
            middle = (self.start + self.end - 1) // 2
            return range(middle, middle + 1)
        return range(first, stop)

    def __contains__(self, frame: object) -> bool:
        return isinstance(frame, int) and self.start <= frame < self.end

    def as_dict(self, rate: Fraction) -> dict[str, object]:
        """JSON form: frames and timecodes of the first and last frame (inclusive)."""
        return {
            "shot": self.index,
            "start": self.start,
            "end": self.end - 1,
            "frames": self.length,
            "start_timecode": timecode(self.start, rate),
            "end_timecode": timecode(self.end - 1, rate),
            "transition_in": self.transition_in,
            "transition_out": self.transition_out,
        }
