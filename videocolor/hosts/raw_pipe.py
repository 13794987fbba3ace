"""Raw frames on a pipe: what ``videocolor pipe`` reads from one ffmpeg and writes to the next.

A raw stream has no header, so its layout comes from the command line, in ffmpeg's own words
(``-pix_fmt``, ``-s``, ``-color_range``). Input is any grey or Y'CbCr format whose luma has a
plane of its own (``gray``, ``gray16le``, ``yuv420p``, ``nv12``, ...): only that plane is kept,
as when colourising a file. Output is full-range RGB (``rgb24``, ``rgb48le``) or Y'CbCr 4:4:4
(``yuv444p``, ``yuv444p10le``, ``yuv444p16le``) in the input's range, its Y' plane holding the
input's luma codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Literal

import av
import numpy as np

from videocolor.color import (
    CodeRange,
    Matrix,
    encode_chroma,
    planes_to_rgb,
    recombine,
    rescale_codes,
)
from videocolor.errors import NotAVideoError, UnsupportedFormatError
from videocolor.io import Frame, StreamInfo
from videocolor.io.colortags import MATRIX_CODES, decide

OUTPUT_FORMATS = ("rgb24", "rgb48le", "yuv444p", "yuv444p10le", "yuv444p16le")
_RANGE_CODES = {None: 0, "tv": 1, "pc": 2}


@dataclass(frozen=True)
class RawLayout:
    """The byte layout of one raw input frame and what its luma codes mean."""

    info: StreamInfo
    frame_bytes: int
    luma_bytes: int

    def luma(self, data: bytes) -> np.ndarray:
        """The luma plane of one frame's bytes, as codes of the input's depth."""
        dtype = np.dtype("<u2") if self.info.bit_depth > 8 else np.dtype(np.uint8)
        plane = np.frombuffer(data, dtype, count=self.info.width * self.info.height)
        return plane.reshape(self.info.height, self.info.width).astype(dtype.newbyteorder("="))


def raw_layout(
    pix_fmt: str,
    width: int,
    height: int,
    rate: Fraction,
    *,
    code_range: Literal["pc", "tv"] | None = None,
    matrix: Matrix | None = None,
) -> RawLayout:
    """The layout of ``pix_fmt`` frames, refused with the reason when videocolor cannot take luma
    from them. Untagged range and matrix follow ffmpeg's defaults, as for a file."""
    try:
        fmt = av.VideoFormat(pix_fmt, width, height)
    except (ValueError, av.error.FFmpegError) as exc:
        raise UnsupportedFormatError(
            f"--pix-fmt {pix_fmt}: not a pixel format ffmpeg knows"
        ) from exc
    components = fmt.components
    reason = None
    if fmt.is_rgb or fmt.has_palette or fmt.is_bayer or fmt.is_bit_stream:
        reason = "videocolor reads black-and-white film as grey or Y'CbCr"
    elif sum(c.plane == 0 for c in components) != 1:
        reason = "its luma shares a plane with chroma (packed); use a planar format"
    elif components[0].bits > 16 or pix_fmt.endswith("be") or "f32" in pix_fmt:
        reason = "only integer little-endian samples up to 16 bits are read"
    if reason:
        raise UnsupportedFormatError(
            f"--pix-fmt {pix_fmt}: {reason}; ask ffmpeg for gray, gray16le or yuv420p "
            "(-pix_fmt gray)"
        )
    sample = 2 if components[0].bits > 8 else 1
    tags = decide(
        fmt,
        height,
        range_code=_RANGE_CODES[code_range],
        space_code=MATRIX_CODES[matrix] if matrix else 2,
    )
    info = StreamInfo(
        path=Path("-"),
        width=width,
        height=height,
        bit_depth=components[0].bits,
        pix_fmt=pix_fmt,
        time_base=1 / rate,
        frame_rate=rate,
        color=tags,
        codec="rawvideo",
        container="pipe",
    )
    frame_bytes = sum(c.width * c.height for c in components) * sample
    return RawLayout(info, frame_bytes, width * height * sample)


def read_frames(stream: BinaryIO, layout: RawLayout) -> Iterator[Frame]:
    """Frames from a raw stream until it ends; a frame cut short is an error naming the size."""
    info, index = layout.info, 0
    while True:
        data = _read_exactly(stream, layout.frame_bytes)
        if not data:
            break
        if len(data) < layout.frame_bytes:
            raise NotAVideoError(
                f"stdin: the stream ended inside frame {index} ({len(data)} of "
                f"{layout.frame_bytes} bytes): is it really {info.pix_fmt} at "
                f"{info.width}x{info.height}?"
            )
        yield Frame(index, layout.luma(data), index, info.time_base)
        index += 1


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class RawWriter:
    """Turns a frame's luma codes and Cb/Cr into the bytes of ``pix_fmt``."""

    def __init__(self, pix_fmt: str, info: StreamInfo) -> None:
        if pix_fmt not in OUTPUT_FORMATS:
            raise UnsupportedFormatError(
                f"--out-pix-fmt {pix_fmt}: choose one of {', '.join(OUTPUT_FORMATS)}"
            )
        self.pix_fmt, self.info = pix_fmt, info
        if pix_fmt.startswith("rgb"):
            depth = 16 if pix_fmt == "rgb48le" else 8
            self.range = CodeRange(depth, True)
        else:
            depth = int(pix_fmt.removeprefix("yuv444p").removesuffix("le") or 8)
            self.range = CodeRange(depth, info.color.full_range)

    @property
    def full_range(self) -> bool:
        return self.range.full_range

    def frame_bytes(self, luma: np.ndarray, cbcr: np.ndarray | None) -> bytes:
        info = self.info
        work_range = info.code_range if self.pix_fmt.startswith("rgb") else self.range
        y = rescale_codes(luma, info.code_range, work_range)
        if cbcr is None:
            neutral = encode_chroma(np.zeros(1), work_range)[0]
            cb = cr = np.full(y.shape, neutral, work_range.dtype)
        else:
            _, cb, cr = recombine(y, cbcr, work_range, info.color.matrix)
        if self.pix_fmt.startswith("rgb"):
            rgb = planes_to_rgb(y, cb, cr, work_range, info.color.matrix)
            little = np.dtype(self.range.dtype).newbyteorder("<")
            return np.rint(rgb * self.range.max_code).astype(little).tobytes()
        little = np.dtype(self.range.dtype).newbyteorder("<")
        return np.stack([y, cb, cr]).astype(little).tobytes()
