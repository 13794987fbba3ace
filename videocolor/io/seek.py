"""Starting to decode at a frame: which keyframe to seek to, and how frames are known after it.

Frames are numbered by decoding from the first one. After a seek that number is lost, so frames
are known by their presentation timestamps instead: :func:`index_frames` reads the packets (no
decoding) and sorts their timestamps, frame ``i`` being the ``i``-th. That holds when every packet
has a timestamp of its own and the decoder gives one frame per packet, which the caller confirms
by passing the frame count a full decode found. Where it does not hold the index says why, and a
:class:`SeekWindow` without a seek point decodes from the first frame and drops those before.
Intra-only codecs (FFV1, ProRes) have a keyframe on every frame; long-GOP ones (H.264) start at
the last keyframe at or before the frame, frames before it (open-GOP leading pictures included)
are decoded and dropped.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av

from videocolor.errors import NotAVideoError

T = TypeVar("T")


@dataclass(frozen=True)
class SeekWindow:
    """Frames ``start`` to ``start + len(pts)`` of a file: ``seek_pts`` is the keyframe to seek
    to (None: decode from the first frame), ``pts`` each frame's timestamp (empty without one)."""

    start: int
    end: int
    seek_pts: int | None = None
    pts: tuple[int, ...] = ()


@dataclass(frozen=True)
class FrameIndex:
    """Every frame's timestamp in presentation order, and the keyframes' timestamps; ``problem``
    says why timestamps cannot be trusted to find a frame (None: they can)."""

    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    problem: str | None = None

    def window(self, start: int, end: int) -> SeekWindow:
        """How to decode frames ``start`` to ``end`` (exclusive)."""
        if self.problem is not None or start == 0:
            return SeekWindow(start, end)
        target = self.pts[start]
        before = bisect.bisect_right(self.keyframes, target) - 1
        if before < 0:  # no keyframe before it: only decoding from the start reaches it
            return SeekWindow(start, end)
        return SeekWindow(start, end, self.keyframes[before], self.pts[start:end])


def index_frames(path: Path, frames: int | None = None) -> FrameIndex:
    """The frame index of a video file from its packets; ``frames`` (the count a full decode
    found) confirms one frame per packet."""
    pts: list[int] = []
    keyframes: list[int] = []
    missing = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                if packet.pts is None:
                    missing += 1
                    continue
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keyframes.append(packet.pts)
    except av.FFmpegError as error:
        return FrameIndex((), (), f"its packets could not be read ({error})")
    problem = None
    if missing:
        problem = f"{missing} packets have no timestamp"
    elif len(set(pts)) != len(pts):
        problem = "packets share timestamps"
    elif frames is not None and frames != len(pts):
        problem = f"{len(pts)} packets decode to {frames} frames"
    return FrameIndex(tuple(sorted(pts)), tuple(sorted(keyframes)), problem)


def pick_frames(
    decoded: Iterable[T],
    window: SeekWindow,
    pts: Callable[[T], int | None] = lambda frame: frame.pts,
) -> Iterator[tuple[int, T]]:
    """The window's frames, numbered, out of frames decoded from its seek point (or the first
    frame): those before it are dropped, and each one kept must carry the timestamp it should
    (``pts`` reads it from an item)."""
    if window.seek_pts is None:
        for number, frame in enumerate(decoded):
            if number >= window.end:
                return
            if number >= window.start:
                yield number, frame
        return
    expected = iter(enumerate(window.pts, window.start))
    first = window.pts[0]
    for frame in decoded:
        stamp = pts(frame)
        if stamp is not None and stamp < first:
            continue  # between the keyframe and the window
        step = next(expected, None)
        if step is None:
            return
        number, wanted = step
        if stamp != wanted:
            raise NotAVideoError(
                f"frame {number} was expected at timestamp {wanted} but {stamp} was decoded: "
                "the file's timestamps do not number its frames"
            )
        yield number, frame
