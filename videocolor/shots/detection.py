"""Finding the shots of a reel: the first step of colourisation, since no colour may cross a cut.

Old film is hostile to shot detection: brightness flickers from frame to frame, grain boils,
scratches and dust come and go and the picture weaves in the gate. The detector
(:mod:`videocolor.shots.detect`) looks only at luma, at thumbnails where grain and specks are
averaged away, with measures that flicker and weave cannot move; it finds hard cuts, fades
through black and dissolves, places the cut of a gradual transition in its middle and keeps the
transition's extent, so later steps can keep keyframes out of mixed frames
(:attr:`videocolor.shots.shot.Shot.core`).

Decoding streams: memory holds a few dozen thumbnails and a few numbers per frame. The shots are
decided as the frames pass (:class:`videocolor.shots.stream.ShotStream`), exactly as a pipe that
colours each shot when it ends decides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import overload

import numpy as np

from videocolor.color import CodeRange
from videocolor.errors import NotAVideoError, UnsupportedFormatError
from videocolor.io import Frame, open_source
from videocolor.io.background import prefetch
from videocolor.progress import Reporter
from videocolor.shots.detect.decide import Transition
from videocolor.shots.detect.settings import DetectorSettings
from videocolor.shots.shot import Shot
from videocolor.shots.stream import ShotStream

__all__ = ["DetectorSettings", "ShotList", "Transition", "detect_shots"]


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
    stream = ShotStream(settings, code_range)
    shots: list[Shot] = []
    if isinstance(source, (str, Path)):
        with open_source(source, fps) as opened:
            info = opened.info
            stream.code_range = info.code_range
            rate = info.frame_rate or Fraction(24)
            with Reporter("shots", info.frame_count, enabled=progress) as reporter:
                for frame in prefetch(opened):  # decode beside the signatures
                    shots += stream.add(frame.luma)
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
                shots += stream.add(luma)
                reporter.advance()
    if stream.frames == 0:
        raise NotAVideoError(f"{path or 'frames'}: no frames to find shots in")
    shots += stream.finish()
    return ShotList(tuple(shots), tuple(stream.transitions), rate, stream.frames, path)
