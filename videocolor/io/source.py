"""Streaming sources: a video file (PyAV) or an image sequence, yielding :class:`Frame` one at a
time so memory never depends on the length of the reel.

``open_source`` is the single entry point; it validates the input up front so that bad input fails
with one clear line before any output is created.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videocolor.color import CodeRange
from videocolor.errors import InputNotFoundError, NotAVideoError, UnsupportedFormatError
from videocolor.io import colortags
from videocolor.io.frames import Frame, StreamInfo
from videocolor.io.imageseq import ImageSequenceSource, looks_like_image_sequence
from videocolor.io.pixels import check_pixel_format, frame_luma, luma_bit_depth
from videocolor.io.seek import SeekWindow, pick_frames

log = logging.getLogger("videocolor")


def _fraction(value: object) -> Fraction | None:
    if value is None:
        return None
    frac = Fraction(value)
    return frac if frac > 0 else None


#: After a damaged packet, decoded frames pass through a window this deep that puts them back in
#: presentation order: a decoder that lost a reference frame can emit the next few out of order.
REORDER_WINDOW = 8


class VideoFileSource:
    """Decodes the first video stream of a container, one frame at a time.

    A packet the decoder rejects (corrupt bytes mid-stream) is skipped and its frame replaced by
    the one before, so later frames keep their numbers; frames the decoder repaired itself are
    kept. Both are listed in ``damaged``. Reading stops at the first error of the container (a
    truncated file, say) and records it: ``frames_decoded`` and ``frames_lost`` say what the
    caller got, :meth:`loss_note` says it in one line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._container = av.open(str(path))
        except av.FFmpegError as exc:
            raise NotAVideoError(
                f"{path}: not a readable video file ({exc.strerror or exc})"
            ) from None
        video = self._container.streams.video
        if not video:
            kinds = sorted({s.type for s in self._container.streams}) or ["none"]
            self._container.close()
            raise NotAVideoError(f"{path}: no video stream (streams found: {', '.join(kinds)})")
        self._stream = video[0]
        self._stream.thread_type = "AUTO"
        self._promised: list[int] = []  # a heap of packet times not yet passed
        self._frames = self._packets_decoded()
        self.frames_decoded = 0
        self.damaged: list[int] = []  # indices of frames repaired by the decoder or replaced
        self.error: str | None = None
        self._first: av.VideoFrame | None = self._decode_first()
        self.info = self._describe(self._first)
        self._window: SeekWindow | None = None

    def start_at(self, window: SeekWindow) -> None:
        """Iterate over the window's frames only, numbered as from the first frame: seek to its
        keyframe and decode forward; where the seek lands past the window's first frame (a
        container without an index seeks coarsely), decode from the first frame instead."""
        self._window = window
        if window.seek_pts is None:
            return
        self._container.seek(window.seek_pts, stream=self._stream, backward=True)
        self._promised = []
        self._frames = self._packets_decoded()
        self._first = None
        for pts, frame in self._until_error():
            if frame is None:
                continue
            if pts is None or pts >= window.pts[0]:
                if pts == window.pts[0]:
                    self._first = frame
                    return
                break
        log.info("%s: seeking missed frame %d: decoding from the first frame", self.path,
                 window.start)  # fmt: skip
        self._container.close()
        self._container = av.open(str(self.path))
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._promised = []
        self._frames = self._packets_decoded()
        self._window = SeekWindow(window.start, window.end)

    def _packets_decoded(self) -> Iterator[tuple[int | None, av.VideoFrame | None]]:
        """(pts, frame) for every decoded frame, and (None, None) for a packet the decoder
        rejected; errors of the container itself propagate. Every packet's time is noted in
        ``_promised``: with frame threading a rejection surfaces a few packets late, so the
        missing frame's time is found there rather than from the packet that raised."""
        for packet in self._container.demux(self._stream):
            if packet.pts is not None and packet.size:
                heapq.heappush(self._promised, packet.pts)
            try:
                frames = packet.decode()
            except av.FFmpegError:
                yield None, None
                continue
            for frame in frames:
                yield frame.pts, frame

    def _decode_first(self) -> av.VideoFrame:
        try:
            first = None
            while first is None:  # a rejected first packet leaves nothing to repeat: skip it
                first = next(self._frames)[1]
        except (StopIteration, av.FFmpegError) as exc:
            self._container.close()
            detail = f" ({exc})" if isinstance(exc, av.FFmpegError) else ""
            raise NotAVideoError(
                f"{self.path}: the video stream has no decodable frame{detail}"
            ) from None
        try:
            check_pixel_format(first.format)
        except UnsupportedFormatError as error:
            self._container.close()
            raise UnsupportedFormatError(f"{self.path}: {error}") from None
        return first

    def _describe(self, first: av.VideoFrame) -> StreamInfo:
        stream, ctx = self._stream, self._stream.codec_context
        color = colortags.decide(
            first.format,
            first.height,
            range_code=int(first.color_range or ctx.color_range or 0),
            space_code=int(first.colorspace or ctx.colorspace or 2),
            primaries_code=int(first.color_primaries or ctx.color_primaries or 2),
            transfer_code=int(first.color_trc or ctx.color_trc or 2),
        )
        rate = _fraction(stream.average_rate) or _fraction(stream.guessed_rate)
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration
            else (self._container.duration / 1e6 if self._container.duration else None)
        )
        count = stream.frames or (round(duration * rate) if duration and rate else None)
        return StreamInfo(
            path=self.path,
            width=first.width,
            height=first.height,
            bit_depth=luma_bit_depth(first.format),
            pix_fmt=first.format.name,
            time_base=Fraction(stream.time_base),
            frame_rate=rate,
            sar=_fraction(stream.sample_aspect_ratio or ctx.sample_aspect_ratio) or Fraction(1),
            color=color,
            rotation=round(first.rotation or 0),
            frame_count=count,
            duration_s=duration,
            codec=ctx.name,
            container=self._container.format.name,
            audio_streams=len(self._container.streams.audio),
            subtitle_streams=len(self._container.streams.subtitles),
        )

    def _until_error(self) -> Iterator[tuple[int | None, av.VideoFrame | None]]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first.pts, first
        while True:
            try:
                yield next(self._frames)
            except StopIteration:
                return
            except av.FFmpegError as exc:
                self.error = str(exc)
                log.debug("%s: reading stopped early: %s", self.path, exc)
                return

    def _in_order(self) -> Iterator[tuple[int | None, av.VideoFrame | None]]:
        """:meth:`_until_error` in presentation order, with (pts, None) at the time of each frame
        whose packet was rejected. Once one was, frames pass through a window that restores their
        order; a frame arriving after a later one was given out is dropped, as it cannot be
        placed."""
        window: list[tuple[int, int, av.VideoFrame]] = []
        delivered: set[int] = set()
        last: int | None = None
        owed = 0

        def placed(pts: float, raw: av.VideoFrame | None) -> Iterator[tuple[int, object]]:
            nonlocal last, owed
            while owed:
                gap = self._missing_time(last, pts, delivered)
                if gap is None:
                    break
                owed -= 1
                last = gap
                yield gap, None
            if raw is not None and (last is None or pts > last):
                last = pts
                yield pts, raw

        for count, (pts, raw) in enumerate(self._until_error()):
            if raw is None:
                owed += 1
            elif not owed and not window:
                if pts is not None:
                    last = pts
                    self._missing_time(last, pts, delivered)  # forgets the times passed
                yield pts, raw  # the undamaged stream is already in order
            elif pts is not None:
                delivered.add(pts)
                heapq.heappush(window, (pts, count, raw))
            if len(window) > REORDER_WINDOW:
                pts, _, raw = heapq.heappop(window)
                yield from placed(pts, raw)
        while window:
            pts, _, raw = heapq.heappop(window)
            yield from placed(pts, raw)
        yield from placed(math.inf, None)  # rejected packets at the very end

    def _missing_time(self, after: int | None, before: float, delivered: set[int]) -> int | None:
        """The earliest packet time between ``after`` and ``before`` that no frame came with."""
        promised = self._promised
        while promised and (
            (after is not None and promised[0] <= after) or promised[0] in delivered
        ):
            heapq.heappop(promised)
        return promised[0] if promised and promised[0] < before else None

    def __iter__(self) -> Iterator[Frame]:
        code_range = self.info.code_range
        ordered = self._in_order()
        numbered = (
            enumerate(ordered)
            if self._window is None
            else pick_frames(ordered, self._window, pts=lambda pair: pair[0])
        )
        luma = None
        for number, (pts, raw) in numbered:
            if raw is None or raw.is_corrupt:
                self.damaged.append(number)
            if raw is not None:
                luma = frame_luma(raw, self.info.color.matrix, code_range)
            yield Frame(number, luma, pts, self.info.time_base)
            self.frames_decoded += 1
        self.close()

    def loss_note(self) -> str | None:
        """One line on what decoding could not deliver, or None when every frame came whole."""
        notes = []
        if self.frames_lost or self.error:
            notes.append(
                f"decoded {self.frames_decoded} of {self.info.frame_count or '?'} frames "
                f"({self.frames_lost} lost{f': {self.error}' if self.error else ''})"
            )
        if self.damaged:
            shown = ", ".join(str(i) for i in self.damaged[:5])
            more = f" and {len(self.damaged) - 5} more" if len(self.damaged) > 5 else ""
            notes.append(
                f"{len(self.damaged)} damaged frame{'s' if len(self.damaged) > 1 else ''} "
                f"({shown}{more}) coloured as the decoder repaired them or as the frame before; "
                "re-export the source to recover them"
            )
        return f"{self.path}: {'; '.join(notes)}" if notes else None

    @property
    def frames_lost(self) -> int:
        """Frames the header promised but decoding could not deliver (0 when unknown)."""
        expected = self.info.frame_count
        return max(0, expected - self.frames_decoded) if expected else 0

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Source = VideoFileSource | ImageSequenceSource


def open_source(path: str | Path, fps: Fraction | None = None) -> Source:
    """Open a video file, an image folder or a printf-style image pattern for streaming.

    ``fps`` is the frame rate of an image sequence (default 24); video files use their own timing.
    """
    path = Path(path)
    if looks_like_image_sequence(path):
        return ImageSequenceSource(path, fps or Fraction(24))
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise NotAVideoError(f"{path}: file is empty (0 bytes)")
    return VideoFileSource(path)


def read_all_luma(path: str | Path) -> tuple[StreamInfo, np.ndarray]:
    """Every frame's luma stacked (T, H, W): for tests and short clips only."""
    with open_source(path) as source:
        frames = [frame.luma for frame in source]
        return source.info, np.stack(frames)


__all__ = ["CodeRange", "Source", "VideoFileSource", "open_source", "read_all_luma"]
