"""Source timecode: where each frame of a reel sits on the editor's clock.

The clock starts at the input's ``timecode`` tag (QuickTime and MXF keep it on a stream,
Matroska on the file), at 00:00:00:00 when there is none, or where the user says. Timecode is
counted at the video's rate when that is a SMPTE rate, otherwise at :func:`edl_rate` (the next
integer SMPTE rate, as the shot list's EDL does): frame numbers are kept, so every cut stays on
its frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import opentimelineio as otio

from videocolor.errors import VideocolorError
from videocolor.shots.editorial import edl_rate


class TimecodeError(VideocolorError, ValueError):
    """A start timecode (tag or option) that is not HH:MM:SS:FF at the video's rate."""


@dataclass(frozen=True)
class SourceClock:
    """Timecode of the reel's frames: frame 0 is ``origin`` frames after 00:00:00:00."""

    rate: float
    origin: int
    drop_frame: bool = False
    found_in: str = "no timecode tag"  # where the start came from, for the user

    def time(self, frame: int) -> otio.opentime.RationalTime:
        """Frame ``frame`` (0-based in the reel) on the source clock."""
        return otio.opentime.RationalTime(self.origin + frame, self.rate)

    def timecode(self, frame: int) -> str:
        return otio.opentime.to_timecode(self.time(frame), self.rate, self.drop_frame)

    def label(self, frame: int) -> str:
        """The timecode as it can stand in a file name (``01-00-00-05``)."""
        return self.timecode(frame).replace(":", "-").replace(";", "-")


def timecode_tag(path: Path) -> str | None:
    """The input's ``timecode`` tag, from the file or any of its streams, or None."""
    with av.open(str(path)) as container:
        tags = [container.metadata, *(stream.metadata for stream in container.streams)]
    for tag in tags:
        for key, value in tag.items():
            if key.lower() == "timecode" and value.strip():
                return value.strip()
    return None


def source_clock(path: Path, frame_rate: Fraction, start: str | None = None) -> SourceClock:
    """The clock of ``path``'s frames: from ``start`` when given, else from its timecode tag,
    else starting at 00:00:00:00."""
    rate = edl_rate(frame_rate)
    text = start or timecode_tag(path)
    if text is None:
        return SourceClock(rate, 0)
    where = "--start-timecode" if start else f"{path}: timecode tag"
    try:
        origin = otio.opentime.from_timecode(text, rate)
    except ValueError:
        hint = "" if start else "; give the right one with --start-timecode"
        raise TimecodeError(f"{where} {text!r} is not HH:MM:SS:FF at {rate:g} fps{hint}") from None
    found_in = "--start-timecode" if start else "the input's timecode tag"
    return SourceClock(rate, round(origin.value), ";" in text, found_in)
