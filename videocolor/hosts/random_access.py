"""Colour served frame by frame in any order and from several threads, for hosts that ask for
single frames (VapourSynth) rather than stream them.

Shots are found lazily: the frames are read in order, once, only as far as a request needs
(:class:`ShotFinder`), by the same detector that ``videocolor colorize`` streams a file through,
or from cuts the host marks on its frames (:class:`MarkedShots`). References are judged against
their frame as that read passes it (:class:`videocolor.refs.streamed.StreamedReferences`). A
shot is coloured the first time one of its frames is asked for, by the same stage as
``colorize`` (:func:`colour_shot`), and a few coloured shots are kept (:class:`ShotCache`), so
each shot is computed once however its frames are asked for and the clip is never coloured up
front.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from videocolor.engine.clip import EngineSettings
from videocolor.io import Frame, StreamInfo
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.shots.shot import Shot


class MarkedShots:
    """Shots between the cuts a host marks: a frame that starts a scene, or follows one that
    ends a scene, starts a shot. Fed one frame at a time, like
    :class:`videocolor.shots.stream.ShotStream`."""

    def __init__(self) -> None:
        self._start = self._frames = self._shots = 0
        self._cut_after = False

    def add(self, starts_scene: bool, ends_scene: bool) -> list[Shot]:
        """Take the next frame's marks; return the shot it closed, if any."""
        ended = []
        if (starts_scene or self._cut_after) and self._frames > self._start:
            ended = [self._shot(self._frames)]
        self._frames += 1
        self._cut_after = ends_scene
        return ended

    def finish(self) -> list[Shot]:
        return [self._shot(self._frames)] if self._frames > self._start else []

    def _shot(self, end: int) -> Shot:
        shot = Shot(self._shots, self._start, end)
        self._shots += 1
        self._start = end
        return shot


class ShotFinder:
    """The shot of any frame, found by reading the frames in order up to where it is certain.

    ``read(n)`` reads frame ``n`` (called once per frame, in order, under a lock) and returns
    the shots that frame settled; ``finish()`` returns the rest once all ``frames`` are read.
    """

    def __init__(
        self,
        frames: int,
        read: Callable[[int], list[Shot]],
        finish: Callable[[], list[Shot]],
    ) -> None:
        self.frames = frames
        self._read, self._finish = read, finish
        self._shots: list[Shot] = []
        self._next = 0  # the next frame to read
        self._lock = threading.Lock()

    @property
    def frames_read(self) -> int:
        return self._next

    def shot_of(self, frame: int) -> Shot:
        if not 0 <= frame < self.frames:
            raise IndexError(f"frame {frame} of a clip of {self.frames}")
        with self._lock:
            while (not self._shots or self._shots[-1].end <= frame) and self._next < self.frames:
                self._shots += self._read(self._next)
                self._next += 1
                if self._next == self.frames:
                    self._shots += self._finish()
            return next(shot for shot in reversed(self._shots) if shot.start <= frame)


class _WholeShot:
    """The shot boundaries of a stage that is fed exactly one shot (see ``ShotBoundaries``)."""

    def __init__(self, shot: Shot) -> None:
        self._shot, self._frames = shot, 0

    def add(self, luma: np.ndarray) -> list[Shot]:
        self._frames += 1
        return [self._shot] if self._frames == self._shot.length else []

    def finish(self) -> list[Shot]:
        return []


def colour_shot(
    shot: Shot,
    luma: Callable[[int], np.ndarray],
    info: StreamInfo,
    keyframes: dict[int, np.ndarray],
    exemplars: dict[int, list[np.ndarray]],
    settings: EngineSettings,
) -> Iterator[tuple[Frame, np.ndarray | None]]:
    """Each frame of ``shot`` (luma codes from ``luma(n)``) with its normalised Cb/Cr, or None
    where it stays black-and-white: :class:`ColorizeStage` fed this one shot, as ``colorize``
    feeds it the whole video."""
    stage = ColorizeStage(info, _WholeShot(shot), keyframes, exemplars, settings)
    for index in range(shot.start, shot.end):
        yield from stage.process(Frame(index, luma(index), None, info.time_base))
    yield from stage.flush()


class ShotCache:
    """Coloured shots by first frame, each made by ``colour(shot)`` the first time it is asked
    for, the ``keep`` most recently used kept.

    One shot is coloured at a time: the engine's flow and network already use every core, and
    shots coloured side by side would only hold more frames in memory at once. Threads asking
    for a shot being coloured wait for it rather than colour it again.
    """

    def __init__(self, colour: Callable[[Shot], Sequence[np.ndarray]], keep: int = 4) -> None:
        if keep < 1:
            raise ValueError(f"keep at least one coloured shot, not {keep}")
        self._colour, self.keep = colour, keep
        self._shots: OrderedDict[int, Sequence[np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()  # guards the dictionary, held only briefly
        self._colouring = threading.Lock()  # held while a shot is coloured
        self.computed: list[Shot] = []  # every shot coloured, in order: what the tests count

    def get(self, shot: Shot) -> Sequence[np.ndarray]:
        """The coloured frames of ``shot``, in order."""
        found = self._cached(shot)
        if found is not None:
            return found
        with self._colouring:
            found = self._cached(shot)  # another thread may have coloured it meanwhile
            if found is None:
                found = self._colour(shot)
                with self._lock:
                    self._shots[shot.start] = found
                    self.computed.append(shot)
                    while len(self._shots) > self.keep:
                        self._shots.popitem(last=False)
        return found

    def _cached(self, shot: Shot) -> Sequence[np.ndarray] | None:
        with self._lock:
            found = self._shots.get(shot.start)
            if found is not None:
                self._shots.move_to_end(shot.start)
            return found
