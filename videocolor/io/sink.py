"""Sinks: encode coloured frames to a video file or an image sequence.

A sink receives each frame's original luma codes plus normalised Cb/Cr at full resolution and
writes them so that the luma survives exactly wherever the format allows it (same or deeper bit
depth, Y'CbCr or lossless RGB), the source's timing (variable frame rate included), aspect ratio,
rotation and colour tags are kept, and audio/subtitles are copied bit for bit.
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import cv2
import numpy as np

from videocolor.color import (
    CodeRange,
    Matrix,
    encode_chroma,
    planes_to_rgb,
    recombine,
    rescale_codes,
)
from videocolor.errors import OutputError
from videocolor.io.codecs import CodecSpec, check_output
from videocolor.io.colortags import MATRIX_CODES, PRIMARIES_CODES, TRANSFER_CODES
from videocolor.io.frames import Frame, StreamInfo
from videocolor.io.passthrough import StreamCopier
from videocolor.io.safe_output import AtomicOutput, disk_full, is_disk_full

log = logging.getLogger("videocolor")


def _chroma_planes(
    luma: np.ndarray,
    cbcr: np.ndarray | None,
    info: StreamInfo,
    out_range: CodeRange,
    matrix: Matrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y', Cb, Cr code planes at full resolution in the output's depth."""
    y = rescale_codes(luma, info.code_range, out_range)
    if cbcr is None:
        neutral = np.full(luma.shape, encode_chroma(np.zeros(1), out_range)[0], out_range.dtype)
        return y, neutral, neutral
    _, cb, cr = recombine(y, cbcr, out_range, matrix)
    return y, cb, cr


class _AtomicSink:
    """Context-manager behaviour shared by sinks: finish on success, discard on any error."""

    def close(self) -> Path:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _AtomicSink:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class VideoSink(_AtomicSink):
    """Encodes to a container with PyAV; see :data:`videocolor.io.codecs.CODECS`."""

    def __init__(
        self,
        path: str | Path,
        info: StreamInfo,
        codec: str = "h264",
        *,
        overwrite: bool = False,
        copy_streams: bool = True,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.spec: CodecSpec = check_output(codec, self.path, info.width, info.height)
        self._output = AtomicOutput(self.path, inputs=(info.path,), overwrite=overwrite)
        self.out_range = CodeRange(
            self.spec.output_depth(info.bit_depth),
            self.spec.output_full_range(info.color.full_range),
        )
        # A codec whose decoders assume one matrix (DNxHR) gets its chroma made with that one.
        self.matrix: Matrix = self.spec.matrix or info.color.matrix
        self.frames_written = 0
        try:
            self._container = av.open(str(self._output.temp), "w")
            self._stream = self._add_video_stream()
            copy = (
                copy_streams
                and not info.is_image_sequence
                and (info.audio_streams or info.subtitle_streams)
            )
            self._copier = StreamCopier(info.path, self._container) if copy else None
        except Exception:
            self._output.discard()
            raise

    def _add_video_stream(self) -> av.VideoStream:
        info, spec = self.info, self.spec
        rate = info.frame_rate or (1 / info.time_base)
        options = spec.encoder_options(info.bit_depth)
        stream = self._container.add_stream(spec.encoder, rate=rate, options=options)
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = spec.pix_fmt(info.bit_depth)
        stream.time_base = info.time_base
        ctx = stream.codec_context
        ctx.time_base = info.time_base
        ctx.sample_aspect_ratio = info.sar
        stream.sample_aspect_ratio = info.sar
        ctx.color_range = 2 if self.out_range.full_range else 1
        ctx.colorspace = MATRIX_CODES[self.matrix]
        ctx.color_primaries = PRIMARIES_CODES.get(info.color.primaries, 2)
        ctx.color_trc = TRANSFER_CODES.get(info.color.transfer, 2)
        if info.rotation:
            stream.set_display_rotation(info.rotation)
        return stream

    def _video_frame(self, planes: tuple[np.ndarray, ...]) -> av.VideoFrame:
        frame = av.VideoFrame(self.info.width, self.info.height, self._stream.pix_fmt)
        for index, data in enumerate(planes):
            plane = frame.planes[index]
            if (plane.width, plane.height) != (data.shape[1], data.shape[0]):
                data = cv2.resize(
                    data.astype(np.float32),
                    (plane.width, plane.height),
                    interpolation=cv2.INTER_AREA,
                )
                data = np.rint(data).astype(planes[0].dtype)
            stride = plane.line_size // data.dtype.itemsize
            padded = np.zeros((plane.height, stride), data.dtype)
            padded[:, : plane.width] = data
            plane.update(padded.astype(data.dtype.newbyteorder("<")).tobytes())
        ctx = self._stream.codec_context
        frame.color_range, frame.colorspace = ctx.color_range, ctx.colorspace
        frame.color_primaries, frame.color_trc = ctx.color_primaries, ctx.color_trc
        return frame

    def write(self, frame: Frame, cbcr: np.ndarray | None = None) -> None:
        """Encode one frame: its own luma, plus chroma (None writes it grey)."""
        planes = _chroma_planes(frame.luma, cbcr, self.info, self.out_range, self.matrix)
        video_frame = self._video_frame(planes)
        pts = (
            frame.pts
            if frame.pts is not None
            else round(frame.index / (self.info.frame_rate or 24) / self.info.time_base)
        )
        video_frame.pts = pts
        video_frame.time_base = self.info.time_base
        try:
            if self._copier:
                self._copier.mux_until(float(pts * self.info.time_base))
            self._container.mux(self._stream.encode(video_frame))
        except OSError as error:
            raise self._disk_full(error) from error
        self.frames_written += 1

    def _disk_full(self, error: OSError) -> OSError:
        """A full disk as one line with the space the whole output needs; other errors as is."""
        if not is_disk_full(error):
            return error
        temp = self._output.temp
        per_frame = temp.stat().st_size / max(1, self.frames_written) if temp.is_file() else None
        needed = per_frame * self.info.frame_count if per_frame and self.info.frame_count else None
        return disk_full(self.path, needed=needed, partial=temp, bytes_per_frame=per_frame)

    def close(self) -> Path:
        """Flush the encoder, copy the remaining audio, and move the file into place."""
        try:
            self._container.mux(self._stream.encode(None))
            if self._copier:
                self._copier.mux_until(None)
                self._copier.close()
            self._container.close()
        except OSError as error:
            failure = self._disk_full(error)
            self.abort()
            raise failure from error
        except Exception:
            self.abort()
            raise
        if self.frames_written == 0:
            self._output.discard()
            raise OutputError(f"{self.path}: no frames to write")
        return self._output.commit()

    def abort(self) -> None:
        """Drop the partial output; the final path is left as it was."""
        try:
            if self._copier:
                self._copier.close()
            self._container.close()
        except OSError:
            pass  # closing writes the trailer, which fails on a full disk: the file goes anyway
        finally:
            self._output.discard()


class ImageSequenceSink(_AtomicSink):
    """Writes ``000000.png`` (or ``.tif``) per frame, RGB at 8 or 16 bits, into a folder.

    The folder is built under a temporary name and renamed when complete.
    """

    def __init__(
        self, path: str | Path, info: StreamInfo, codec: str = "png", *, overwrite: bool = False
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.spec = check_output(codec, self.path, info.width, info.height)
        self.extension = ".png" if codec == "png" else ".tif"
        self._output = AtomicOutput(
            self.path, inputs=(info.path,), overwrite=overwrite, is_dir=True
        )
        depth = self.spec.output_depth(info.bit_depth)
        self.out_range = CodeRange(depth, self.spec.output_full_range(info.color.full_range))
        self.frames_written = 0

    def write(self, frame: Frame, cbcr: np.ndarray | None = None) -> None:
        matrix = self.info.color.matrix
        planes = _chroma_planes(frame.luma, cbcr, self.info, self.out_range, matrix)
        rgb = planes_to_rgb(*planes, self.out_range, matrix)
        scale = self.out_range.max_code if self.out_range.bit_depth > 8 else 255
        image = np.rint(rgb * scale).astype(np.uint16 if scale > 255 else np.uint8)
        target = self._output.temp / f"{frame.index:06d}{self.extension}"
        # Encoded here and written by Python, as cv2.imwrite hides why a write failed.
        encoded, data = cv2.imencode(self.extension, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not encoded:
            raise OutputError(f"{target}: could not encode image")
        try:
            target.write_bytes(data.tobytes())
        except OSError as error:
            if not is_disk_full(error):
                raise
            target.unlink(missing_ok=True)
            per_frame = float(data.nbytes)
            needed = per_frame * self.info.frame_count if self.info.frame_count else None
            raise disk_full(
                self.path, needed=needed, partial=self._output.temp, bytes_per_frame=per_frame
            ) from error
        self.frames_written += 1

    def close(self) -> Path:
        if self.frames_written == 0:
            self._output.discard()
            raise OutputError(f"{self.path}: no frames to write")
        return self._output.commit()

    def abort(self) -> None:
        self._output.discard()


Sink = VideoSink | ImageSequenceSink


def open_sink(
    path: str | Path, info: StreamInfo, codec: str = "h264", *, overwrite: bool = False
) -> Sink:
    """The sink for ``--codec``: a video container, or a folder of images for png/tiff."""
    if check_output(codec, Path(path), info.width, info.height).is_image_sequence:
        return ImageSequenceSink(path, info, codec, overwrite=overwrite)
    return VideoSink(path, info, codec, overwrite=overwrite)
