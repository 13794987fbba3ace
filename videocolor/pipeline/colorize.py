"""The colourisation stage of the streaming pipeline: shot by shot, from references to chroma.

Frames are buffered until their shot ends (in a queue that spills to disk, so a long shot costs
disk rather than memory), then the shot is coloured from the references that fall inside it and
emitted. A shot with no painted frame is coloured automatically by the network (nudged by its
exemplar images when it has any) on one keyframe that is then propagated; without the network,
exemplars colour it through the luma-conditioned prior and a shot with neither stays
black-and-white, with a warning. State never crosses a shot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from videocolor import color
from videocolor.color import decode_luma
from videocolor.engine.clip import EngineSettings, colorize_clip, exemplar_prior, resize, work_size
from videocolor.io import Frame, StreamInfo
from videocolor.memory.spill import FrameQueue
from videocolor.pipeline.run import Output
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")


class _ShotLumas(Sequence[np.ndarray]):
    """The first frames of the queue (one shot) seen as Y' in [0, 1], one frame at a time."""

    def __init__(self, codes: FrameQueue, count: int, info: StreamInfo) -> None:
        self._codes, self._count, self._range = codes, count, info.code_range

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[override]
        if not -self._count <= index < self._count:
            raise IndexError(f"frame {index} of a shot of {self._count}")
        return decode_luma(self._codes[index % self._count], self._range)


class ShotBoundaries(Protocol):
    """Says which shots end as frames arrive: :class:`KnownShots` for shots found beforehand,
    :class:`videocolor.shots.stream.ShotStream` for shots decided as the frames stream past."""

    def add(self, luma: np.ndarray) -> list[Shot]: ...

    def finish(self) -> list[Shot]: ...


class KnownShots:
    """Shots found by a detection pass before colouring (a file can be read twice); frames
    arrive from the first shot's start on (a cluster task colours a run of shots from the
    middle of the film)."""

    def __init__(self, shots: Sequence[Shot]) -> None:
        self._shots = list(shots)
        self._next = 0
        self._frames = self._shots[0].start if self._shots else 0

    def add(self, luma: np.ndarray) -> list[Shot]:
        self._frames += 1
        ended = []
        while self._next < len(self._shots) and self._shots[self._next].end <= self._frames:
            ended.append(self._shots[self._next])
            self._next += 1
        return ended

    def finish(self) -> list[Shot]:
        """The shot in progress, cut short when the frames ran out before its end."""
        if self._next == len(self._shots) or self._frames <= self._shots[self._next].start:
            return []
        shot = self._shots[self._next]
        self._next = len(self._shots)
        return [replace(shot, end=min(shot.end, self._frames))]


class ColorizeStage:
    """Pipeline stage (see :class:`videocolor.pipeline.run.Stage`) that colours each shot.

    Frames wait in a queue (RAM when short, temporary files when long) until ``shots`` says
    their shot has ended; the shot is then coloured and its frames emitted lazily, one at a time,
    so memory does not grow with the length of a shot or of the reel. ``references`` may gain
    keyframes while frames stream in, up to the end of the keyframe's shot.
    """

    def __init__(
        self,
        info: StreamInfo,
        shots: Sequence[Shot] | ShotBoundaries,
        references: dict[int, np.ndarray],
        exemplars: dict[int, list[np.ndarray]] | None = None,
        settings: EngineSettings = EngineSettings(),  # noqa: B008 - frozen
    ) -> None:
        self.info = info
        self.shots: ShotBoundaries = KnownShots(shots) if isinstance(shots, Sequence) else shots
        self.references = references
        self.exemplars = exemplars or {}
        self.settings = settings
        self._timing: list[tuple[int, int | None]] = []  # (index, pts) of queued frames
        self._codes: FrameQueue | None = None
        self.shots_coloured = 0
        self.skip: set[int] = set()  # shots a resumed job finished before: passed over

    def process(self, frame: Frame) -> Iterator[Output]:
        if self._codes is None:
            shape = (self.info.height, self.info.width)
            self._codes = FrameQueue(shape, frame.luma.dtype)
        self._codes.append(frame.luma)
        self._timing.append((frame.index, frame.pts))
        return self._emit(self.shots.add(frame.luma))

    def flush(self) -> Iterator[Output]:
        return self._emit(self.shots.finish())

    @property
    def bytes_on_disk(self) -> int:
        """Disk the queued frames take now (a long shot spills)."""
        return self._codes.bytes_on_disk if self._codes is not None else 0

    def _emit(self, shots: list[Shot]) -> Iterator[Output]:
        for shot in shots:
            yield from self._finish(shot)

    def _finish(self, shot: Shot) -> Iterator[Output]:
        count = min(shot.length, len(self._timing))
        if shot.index in self.skip:
            self._codes.drop(count)
            del self._timing[:count]
            return
        lumas = _ShotLumas(self._codes, count, self.info)
        chroma = self._colour_shot(replace(shot, end=shot.start + count), lumas)
        timing = self._timing[:count]
        for position, ((index, pts), cbcr) in enumerate(zip(timing, chroma, strict=True)):
            yield Frame(index, self._codes[position], pts, self.info.time_base), cbcr
        self._codes.drop(count)
        del self._timing[:count]
        self.shots_coloured += 1

    def _colour_shot(self, shot: Shot, lumas: _ShotLumas) -> Iterator[np.ndarray | None]:
        matrix = self.info.color.matrix
        in_shot = {
            frame - shot.start: rgb
            for frame, rgb in self.references.items()
            if shot.start <= frame < shot.start + len(lumas)
        }
        if in_shot:
            return colorize_clip(lumas, in_shot, matrix, self.settings)
        exemplars = self.exemplars.get(shot.index) or self.exemplars.get(-1)
        if self.settings.network is not None:  # automatic, nudged by exemplars if any
            return colorize_clip(lumas, {}, matrix, self.settings, exemplars)
        if exemplars:
            return self._from_exemplars(lumas, exemplars)
        log.warning(
            "shot %d (frames %d-%d) has no reference: left black-and-white",
            shot.index,
            shot.start,
            shot.end - 1,
        )
        return iter([None] * len(lumas))

    def _from_exemplars(
        self, lumas: _ShotLumas, exemplars: list[np.ndarray]
    ) -> Iterator[np.ndarray]:
        """Colour from the exemplars' luma-to-chroma statistics: low confidence, no positions."""
        height, width = self.info.height, self.info.width
        size = work_size(width, height, self.settings.work_lines)
        prior = exemplar_prior(exemplars, size)
        for luma in lumas:
            small = resize(np.ascontiguousarray(luma), size)
            cbcr = color.lab_chroma_to_cbcr(small, prior(small), self.info.color.matrix)
            yield resize(cbcr, (width, height))
