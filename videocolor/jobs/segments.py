"""Finished shots as segments, and the final join of a job's segments into its output.

Each shot is encoded on its own, with the output's codec and container, into the job folder
(:class:`SegmentWriter`); a segment appears under its name only when its shot is complete. The
join remuxes the segments' packets in order, with the source's own timestamps, copies the
source's audio and subtitles beside them, and writes with ffmpeg's bit-exact flag, so a resumed
job's output is the same file as an uninterrupted one's.
"""

from __future__ import annotations

import bisect
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import numpy as np

from videocolor.errors import OutputError
from videocolor.io import Frame, StreamInfo
from videocolor.io.codecs import CODECS
from videocolor.io.passthrough import StreamCopier
from videocolor.io.safe_output import AtomicOutput
from videocolor.io.sink import ImageSequenceSink, Sink, VideoSink
from videocolor.jobs.folder import JobFolder
from videocolor.shots.shot import Shot


def segment_suffix(codec: str, output: Path) -> str:
    """Segments share the output's container; image sequences are folders (no suffix)."""
    return "" if CODECS[codec].is_image_sequence else output.suffix


class SegmentWriter:
    """Writes coloured frames into one segment per shot of ``shots``; frames arrive in order,
    skipping whole shots that were finished before."""

    def __init__(
        self, job: JobFolder, info: StreamInfo, codec: str, shots: Sequence[Shot], suffix: str
    ) -> None:
        self.job, self.info, self.codec, self.suffix = job, info, codec, suffix
        self.shots = list(shots)
        self._starts = [shot.start for shot in self.shots]
        self._sink: Sink | None = None
        self._shot: Shot | None = None

    def _open(self, shot: Shot) -> Sink:
        path = self.job.segment(shot.index, self.suffix)
        if CODECS[self.codec].is_image_sequence:
            return ImageSequenceSink(path, self.info, self.codec)
        return VideoSink(path, self.info, self.codec, copy_streams=False)

    def write(self, frame: Frame, cbcr: np.ndarray | None) -> None:
        shot = self.shots[max(0, bisect.bisect_right(self._starts, frame.index) - 1)]
        if shot is not self._shot:
            self._commit()
            self._sink, self._shot = self._open(shot), shot
        self._sink.write(frame, cbcr)
        if frame.index == shot.end - 1:
            self._commit()

    def _commit(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = self._shot = None

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._commit()  # a source that ended early ends its last shot early
        elif self._sink is not None:
            self._sink.abort()


def join_segments(
    segments: Sequence[Path],
    info: StreamInfo,
    output: Path,
    *,
    overwrite: bool = False,
    before_commit: Callable[[Path], object] | None = None,
) -> Path:
    """The output from the segments, in order, with the source's audio and subtitles;
    ``before_commit`` sees the finished file under its temporary name."""
    missing = [path.name for path in segments if not path.exists()]
    if missing:
        raise OutputError(f"{output}: segments missing from the job folder: {', '.join(missing)}")
    if segments and segments[0].is_dir():
        return _join_images(segments, info, output, overwrite, before_commit)
    atomic = AtomicOutput(output, inputs=(info.path,), overwrite=overwrite)
    container = av.open(str(atomic.temp), "w", options={"fflags": "+bitexact"})
    copier = None
    try:
        with av.open(str(segments[0])) as first:
            stream = container.add_stream_from_template(first.streams.video[0])
        if info.rotation:
            stream.set_display_rotation(info.rotation)
        if not info.is_image_sequence and (info.audio_streams or info.subtitle_streams):
            copier = StreamCopier(info.path, container)
        for path in segments:
            with av.open(str(path)) as segment:
                for packet in segment.demux(segment.streams.video[0]):
                    if packet.size == 0:
                        continue  # the demuxer's end-of-stream marker
                    if copier is not None and packet.pts is not None:
                        copier.mux_until(float(packet.pts * packet.time_base))
                    packet.stream = stream
                    container.mux(packet)
        if copier is not None:
            copier.mux_until(None)
        container.close()
    except BaseException:
        container.close()
        atomic.discard()
        raise
    finally:
        if copier is not None:
            copier.close()
    if before_commit is not None:
        before_commit(atomic.temp)
    return atomic.commit()


def _join_images(
    segments: Sequence[Path],
    info: StreamInfo,
    output: Path,
    overwrite: bool,
    before_commit: Callable[[Path], object] | None,
) -> Path:
    atomic = AtomicOutput(output, inputs=(info.path,), overwrite=overwrite, is_dir=True)
    try:
        for folder in segments:
            for image in sorted(folder.iterdir()):
                shutil.copy2(image, atomic.temp / image.name)
    except BaseException:
        atomic.discard()
        raise
    if before_commit is not None:
        before_commit(atomic.temp)
    return atomic.commit()
