"""Streaming sources: a video file (PyAV) or an image sequence, yielding :class:`Frame` one at a
time so memory never depends on the length of the reel.

``open_source`` is the single entry point; it validates the input up front so that bad input fails
with one clear line before any output is created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videocolor.color import CodeRange
from videocolor.errors import InputNotFoundError, NotAVideoError
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


class VideoFileSource:
    """Decodes the first video stream of a container, one frame at a time.

    Decoding stops at the first unrecoverable error (a truncated file, say) and records it:
    ``frames_decoded`` and ``frames_lost`` say what the caller got.
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
        self._frames = self._container.decode(self._stream)
        self.frames_decoded = 0
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
        self._frames = self._container.decode(self._stream)
        self._first = None
        for frame in self._raw_frames():
            if frame.pts is None or frame.pts >= window.pts[0]:
                if frame.pts == window.pts[0]:
                    self._first = frame
                    return
                break
        log.info("%s: seeking missed frame %d: decoding from the first frame", self.path,
                 window.start)  # fmt: skip
        self._container.close()
        self._container = av.open(str(self.path))
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._frames = self._container.decode(self._stream)
        self._window = SeekWindow(window.start, window.end)

    def _decode_first(self) -> av.VideoFrame:
        try:
            first = next(self._frames)
        except (StopIteration, av.FFmpegError) as exc:
            self._container.close()
            detail = f" ({exc})" if isinstance(exc, av.FFmpegError) else ""
            raise NotAVideoError(
                f"{self.path}: the video stream has no decodable frame{detail}"
            ) from None
        check_pixel_format(first.format)
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

    def _raw_frames(self) -> Iterator[av.VideoFrame]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while True:
            try:
                yield next(self._frames)
            except StopIteration:
                return
            except av.FFmpegError as exc:
                self.error = str(exc)
                log.warning("%s: decoding stopped early: %s", self.path, exc)
                return

    def __iter__(self) -> Iterator[Frame]:
        code_range = self.info.code_range
        raw_frames = self._raw_frames()
        numbered = (
            enumerate(raw_frames) if self._window is None else pick_frames(raw_frames, self._window)
        )
        for number, raw in numbered:
            luma = frame_luma(raw, self.info.color.matrix, code_range)
            yield Frame(number, luma, raw.pts, self.info.time_base)
            self.frames_decoded += 1
        self.close()

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
