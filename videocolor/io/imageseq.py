"""Image sequences in (a folder or a printf pattern such as ``scan/%06d.dpx``).

Film scans usually arrive as numbered DPX/TIFF/PNG files. Frames are ordered by the number in the
file name, timed by a frame rate the user gives, and reduced to luma like any colour source.
DPX is decoded by FFmpeg (PyAV); everything else by OpenCV, which keeps 16-bit depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from videocolor.color import CodeRange, default_matrix, encode_luma, rgb_to_luma
from videocolor.errors import InputNotFoundError, NotAVideoError, UnsupportedFormatError
from videocolor.io.colortags import image_tags
from videocolor.io.frames import Frame, StreamInfo
from videocolor.io.seek import SeekWindow

IMAGE_EXTENSIONS = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".dpx", ".bmp"}
_PRINTF = re.compile(r"%0?(\d*)d")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def looks_like_image_sequence(path: Path) -> bool:
    """A directory, or a file name holding a printf field such as ``%06d``."""
    return path.is_dir() or bool(_PRINTF.search(path.name))


def _numbered_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS]
    else:
        if not path.parent.is_dir():
            raise InputNotFoundError(f"{path}: folder {path.parent} does not exist")
        field = _PRINTF.search(path.name)
        prefix, suffix = path.name[: field.start()], path.name[field.end() :]
        pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix) + "$")
        files = [p for p in path.parent.iterdir() if pattern.match(p.name)]
    numbered = [(int(m.group(1)), p) for p in files if (m := _LAST_NUMBER.search(p.stem))]
    numbered += [(-1, p) for p in files if not _LAST_NUMBER.search(p.stem)]
    return [p for _, p in sorted(numbered, key=lambda item: (item[0], item[1].name))]


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB (or grey) in its native depth (uint8 or uint16)."""
    if path.suffix.lower() == ".dpx":
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
        deep = frame.format.components[0].bits > 8
        return frame.to_ndarray(format="rgb48le" if deep else "rgb24")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise NotAVideoError(f"{path}: not a readable image")
    if image.dtype not in (np.uint8, np.uint16):
        raise UnsupportedFormatError(f"{path}: {image.dtype} images are not supported")
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(image)


def image_luma(image: np.ndarray, code_range: CodeRange) -> np.ndarray:
    """Full-range luma codes of an RGB or grey image (BT.601/709 by height, like video)."""
    if image.ndim == 2:
        return image.astype(code_range.dtype)
    unit = image.astype(np.float32) / (65535.0 if image.dtype == np.uint16 else 255.0)
    return encode_luma(rgb_to_luma(unit, default_matrix(image.shape[0])), code_range)


class ImageSequenceSource:
    """Numbered still images played as a clip at ``fps``; frame i has pts i in time base 1/fps."""

    def __init__(self, path: Path, fps: Fraction) -> None:
        self.path = path
        self.files = _numbered_files(path)
        if not self.files:
            raise NotAVideoError(
                f"{path}: no images found (expected {', '.join(sorted(IMAGE_EXTENSIONS))})"
            )
        first = read_image(self.files[0])
        depth = 16 if first.dtype == np.uint16 else 8
        height, width = first.shape[:2]
        self.info = StreamInfo(
            path=path,
            width=width,
            height=height,
            bit_depth=depth,
            pix_fmt=("gray16le" if depth == 16 else "gray")
            if first.ndim == 2
            else ("rgb48le" if depth == 16 else "rgb24"),
            time_base=1 / Fraction(fps),
            frame_rate=Fraction(fps),
            color=image_tags(height, grey=first.ndim == 2),
            frame_count=len(self.files),
            duration_s=float(len(self.files) / Fraction(fps)),
            codec=self.files[0].suffix.lstrip(".").lower(),
            container="image2",
            is_image_sequence=True,
        )
        self.frames_decoded = 0
        self.error: str | None = None
        self.damaged: list[int] = []  # an image sequence has no decoder to repair frames
        self._window = SeekWindow(0, len(self.files))

    def start_at(self, window: SeekWindow) -> None:
        """Iterate over the window's frames only: every image is its own keyframe."""
        self._window = window

    def __iter__(self) -> Iterator[Frame]:
        code_range = self.info.code_range
        start, end = self._window.start, self._window.end
        for index, file in enumerate(self.files[start:end], start):
            image = read_image(file)
            if image.shape[:2] != (self.info.height, self.info.width):
                raise UnsupportedFormatError(
                    f"{file}: size {image.shape[1]}x{image.shape[0]} differs from the first image "
                    f"({self.info.width}x{self.info.height}); a sequence must have one size"
                )
            yield Frame(index, image_luma(image, code_range), index, self.info.time_base)
            self.frames_decoded += 1

    @property
    def frames_lost(self) -> int:
        return 0

    def loss_note(self) -> str | None:
        """Nothing to report: an unreadable image stops the run with an error instead."""
        return None

    def close(self) -> None:
        """Nothing is held open between frames."""

    def __enter__(self) -> ImageSequenceSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
