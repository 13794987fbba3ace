"""Benchmark inputs: clips (one folder of frames or one video file each) and photos, as 8-bit RGB.

The bench needs the *colour* original to score against, so unlike :mod:`videocolor.io` (which
reduces every source to luma on entry) it reads RGB and derives the grey input itself
(:mod:`videocolor.bench.render`). Frame folders are ordered exactly as the product orders an
image sequence, and video files are converted to RGB with their own matrix and range.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videocolor.errors import InputNotFoundError, NotAVideoError, UnsupportedFormatError
from videocolor.io import open_source
from videocolor.io.imageseq import IMAGE_EXTENSIONS, ImageSequenceSource, read_image

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".ts", ".mxf"})

#: The ImageNet class table's file name, looked for beside and above a photo folder.
CLASSES_FILE = "imagenet_classes.tsv"

_SWS_COLORSPACE = {"bt601": "ITU601", "bt709": "ITU709", "bt2020": "BT2020"}
_AVCOL_RANGE = {False: 1, True: 2}  # MPEG (limited), JPEG (full)


@dataclass(frozen=True)
class ClipEntry:
    """One benchmark clip: its name (folder name or file stem), where it is, how many frames."""

    name: str
    path: Path
    frames: int | None  # None when a video file does not say


def _frame_count(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def find_clips(root: Path, names: Sequence[str] | None = None) -> list[ClipEntry]:
    """The clips of a benchmark folder, sorted by name; ``names`` keeps only those (in order)."""
    if not root.is_dir():
        raise InputNotFoundError(
            f"{root}: not a folder (expected one folder of frames or one video file per clip)"
        )
    entries = []
    for path in sorted(root.iterdir()):
        if path.is_dir() and (count := _frame_count(path)):
            entries.append(ClipEntry(path.name, path, count))
        elif path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
            with open_source(path) as source:
                entries.append(ClipEntry(path.stem, path, source.info.frame_count))
    if not entries:
        raise NotAVideoError(f"{root}: no clips (folders of frames or video files) found")
    if names is None:
        return entries
    by_name = {entry.name: entry for entry in entries}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise InputNotFoundError(
            f"{root}: no clip named {', '.join(unknown)}; available: {', '.join(by_name)}"
        )
    return [by_name[name] for name in names]


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """8-bit RGB from what :func:`videocolor.io.imageseq.read_image` returns (grey or 16-bit)."""
    if image.dtype == np.uint16:
        image = np.rint(image / 257.0).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image)


def _folder_frames(folder: Path) -> Iterator[np.ndarray]:
    files = ImageSequenceSource(folder, Fraction(24)).files
    size = None
    for file in files:
        rgb = to_rgb8(read_image(file))
        if size is not None and rgb.shape != size:
            raise UnsupportedFormatError(f"{file}: size {rgb.shape[:2]} differs from {size[:2]}")
        size = rgb.shape
        yield rgb


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    with open_source(path) as source:
        tags = source.info.color
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(
                format="rgb24",
                src_colorspace=_SWS_COLORSPACE[tags.matrix],
                src_color_range=_AVCOL_RANGE[tags.full_range],
            )


def iter_clip(path: Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """The 8-bit RGB frames (H, W, 3) of a clip folder or video file, in order."""
    frames = _folder_frames(path) if path.is_dir() else _video_frames(path)
    yield from itertools.islice(frames, max_frames)


def read_clip(path: Path, max_frames: int | None = None) -> np.ndarray:
    """All frames of a clip (or the first ``max_frames``) stacked as (T, H, W, 3) uint8."""
    frames = list(iter_clip(path, max_frames))
    if not frames:
        raise NotAVideoError(f"{path}: no frames")
    return np.stack(frames)


def find_photos(root: Path) -> list[Path]:
    """The image files of a photo folder, sorted by name."""
    if not root.is_dir():
        raise InputNotFoundError(f"{root}: not a folder of photos")
    photos = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not photos:
        raise NotAVideoError(f"{root}: no photos ({', '.join(sorted(IMAGE_EXTENSIONS))})")
    return photos


def read_photo(path: Path) -> np.ndarray:
    """A photo as 8-bit RGB (H, W, 3)."""
    return to_rgb8(read_image(path))


def find_classes_table(root: Path) -> Path | None:
    """``imagenet_classes.tsv`` for a photo folder: in it or a folder above it (the shared data
    keeps it in ``photos/`` above ``photos/test/imagenet_val200``), else under
    ``$VIDEOCOLOR_DATA/photos``; None when nowhere."""
    candidates = [folder / CLASSES_FILE for folder in (root, *root.resolve().parents)]
    if os.environ.get("VIDEOCOLOR_DATA"):
        candidates.append(Path(os.environ["VIDEOCOLOR_DATA"]) / "photos" / CLASSES_FILE)
    return next((path for path in candidates if path.is_file()), None)
