"""What flows through the pipeline: one :class:`Frame` per picture and the :class:`StreamInfo` of
its source.

A frame carries only luma, in the source's own bit depth and range: black-and-white film has no
colour worth keeping, and colour sources (benchmarks, test material) are reduced to luma with the
stream's own matrix on entry. Nothing downstream decodes again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from videocolor.color import CodeRange, Matrix, decode_luma


@dataclass(frozen=True)
class ColorTags:
    """A stream's colour description (FFmpeg names), as decided by :mod:`videocolor.io.colortags`
    and written on every output."""

    matrix: Matrix = "bt709"
    full_range: bool = False
    primaries: str = "unknown"
    transfer: str = "unknown"
    range_reason: str = ""  # why ``full_range`` is what it is (tag, format default, ...)
    matrix_reason: str = ""  # why ``matrix`` is what it is


@dataclass(frozen=True)
class StreamInfo:
    """Everything about a video source that a sink needs to write a faithful copy."""

    path: Path
    width: int
    height: int
    bit_depth: int
    pix_fmt: str
    time_base: Fraction
    frame_rate: Fraction | None
    sar: Fraction = Fraction(1)
    color: ColorTags = field(default_factory=ColorTags)
    rotation: int = 0
    frame_count: int | None = None
    duration_s: float | None = None
    codec: str = ""
    container: str = ""
    audio_streams: int = 0
    subtitle_streams: int = 0
    is_image_sequence: bool = False

    @property
    def code_range(self) -> CodeRange:
        return CodeRange(self.bit_depth, self.color.full_range)


@dataclass(frozen=True)
class Frame:
    """One decoded picture: 0-based ``index``, presentation time, and native-depth luma codes."""

    index: int
    luma: np.ndarray  # (H, W) uint8 or uint16 code values of the source
    pts: int | None
    time_base: Fraction

    @property
    def time_s(self) -> float | None:
        return None if self.pts is None else float(self.pts * self.time_base)

    def luma_unit(self, code_range: CodeRange) -> np.ndarray:
        """Y' normalised to [0, 1], what every algorithm below the I/O layer works on."""
        return decode_luma(self.luma, code_range)
