"""Finding the shots of a reel: the first step of colourisation, since no colour may cross a cut.

Old film is hostile to shot detection: brightness flickers from frame to frame, grain boils,
scratches and dust come and go and the picture weaves in the gate. The detector
(:mod:`videocolor.shots.detect`) looks only at luma, at thumbnails where grain and specks are
averaged away, with measures that flicker and weave cannot move; it finds hard cuts, fades
through black and dissolves, places the cut of a gradual transition in its middle and keeps the
transition's extent, so later steps can keep keyframes out of mixed frames
(:attr:`videocolor.shots.shot.Shot.core`).

Decoding streams: memory holds a few dozen thumbnails and a few numbers per frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import overload

import numpy as np

from videocolor.color import CodeRange
from videocolor.errors import NotAVideoError, UnsupportedFormatError
from videocolor.io import Frame, open_source
from videocolor.io.background import prefetch
from videocolor.progress import Reporter
from videocolor.shots.detect.decide import Transition, transitions
from videocolor.shots.detect.series import SeriesBuilder
from videocolor.shots.detect.settings import DetectorSettings
from videocolor.shots.detect.signature import signature
from videocolor.shots.shot import Shot

__all__ = ["DetectorSettings", "ShotList", "Transition", "detect_shots", "shots_from_transitions"]


@dataclass(frozen=True)
class ShotList(Sequence[Shot]):
    """The shots of a video, in order and covering every frame, with the transitions between
    them (``transitions[i]`` leads from ``shots[i]`` into ``shots[i + 1]``)."""

    shots: tuple[Shot, ...]
    transitions: tuple[Transition, ...]
    frame_rate: Fraction
    frame_count: int
    source: Path | None = None

    @overload
    def __getitem__(self, index: int) -> Shot: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Shot, ...]: ...

    def __getitem__(self, index: int | slice) -> Shot | tuple[Shot, ...]:
        return self.shots[index]

    def __len__(self) -> int:
        return len(self.shots)

    def __iter__(self) -> Iterator[Shot]:
        return iter(self.shots)

    @property
    def cut_frames(self) -> list[int]:
        """First frame of every shot but the first."""
        return [shot.start for shot in self.shots[1:]]

    def as_dict(self) -> dict[str, object]:
        """JSON form: the video, its shots (see :meth:`Shot.as_dict`) and transitions."""
        return {
            "source": str(self.source) if self.source else None,
            "frame_rate": str(self.frame_rate),
            "frame_count": self.frame_count,
            "shots": [shot.as_dict(self.frame_rate) for shot in self.shots],
            "transitions": [transition.as_dict() for transition in self.transitions],
        }


def shots_from_transitions(transitions: Sequence[Transition], frame_count: int) -> list[Shot]:
    """Shots between the cuts of ``transitions`` (sorted, each cut inside ``1..frame_count-1``),
    with the frames of each gradual transition counted on the side of the cut where they lie."""
    bounds = [0, *(t.cut for t in transitions), frame_count]
    shots = []
    for index, (start, end) in enumerate(pairwise(bounds)):
        entering = transitions[index - 1] if index > 0 else None
        leaving = transitions[index] if index < len(transitions) else None
        lead_in = entering.end - start + 1 if entering and entering.kind != "cut" else 0
        lead_out = end - leaving.start if leaving and leaving.kind != "cut" else 0
        shots.append(Shot(index, start, end, max(0, lead_in), max(0, lead_out)))
    return shots


def detect_shots(
    source: str | Path | Iterable[np.ndarray | Frame],
    *,
    fps: Fraction | None = None,
    code_range: CodeRange | None = None,
    settings: DetectorSettings | None = None,
    progress: bool = False,
) -> ShotList:
    """The shots of a video file, image sequence, or iterable of luma frames.

    ``fps`` is the frame rate of an image sequence or of frames given directly (default 24);
    ``code_range`` says how frames given directly encode luma (default: integer frames use
    their dtype's full range, float frames are unit luma). ``progress`` shows a bar on stderr.
    """
    settings = settings or DetectorSettings()
    builder = SeriesBuilder(settings)
    if isinstance(source, (str, Path)):
        with open_source(source, fps) as opened:
            info = opened.info
            rate = info.frame_rate or Fraction(24)
            with Reporter("shots", info.frame_count, enabled=progress) as reporter:
                for frame in prefetch(opened):  # decode beside the signatures
                    builder.add(signature(frame.luma, info.code_range))
                    reporter.advance()
        path: Path | None = Path(source)
    else:
        rate, path = Fraction(fps or 24), None
        with Reporter("shots", None, enabled=progress) as reporter:
            for item in source:
                luma = item.luma if isinstance(item, Frame) else np.asarray(item)
                if luma.ndim != 2:
                    raise UnsupportedFormatError(
                        f"frames must be 2-D luma arrays, got shape {luma.shape}"
                    )
                builder.add(signature(luma, code_range))
                reporter.advance()
    count = len(builder)
    if count == 0:
        raise NotAVideoError(f"{path or 'frames'}: no frames to find shots in")
    found = transitions(builder.arrays(), settings)
    return ShotList(tuple(shots_from_transitions(found, count)), tuple(found), rate, count, path)
