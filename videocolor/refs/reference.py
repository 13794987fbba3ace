"""Reference images: the colourist's painted keyframes and exemplars, read from a folder.

A reference is a colour image of one frame. Which frame is read from its file name: the **last
group of digits in the stem** is the frame number, 0-based in the decoded video (``000123.png``,
``123.jpg`` and ``shot4_000123.tif`` all mean frame 123; ``0000874_out.png`` means 874). An
entry in ``refs.json`` (:mod:`videocolor.refs.manifest`) overrides the name. Film scans are often
numbered from another origin (footage of the whole reel, 1-based exports): ``offset`` is added to
every number taken from a file name, so ``offset=-869`` turns ``0000874_out.png`` into frame 5.

An image with no digits in its stem (and no frame in the manifest) is an *exemplar*: a colour
source for a shot that has no painted frame. Its shot comes from the manifest, or is the only
shot when the video has one.

Loading checks what needs no decoding (readable, colour, size, frame inside the video, shot);
:mod:`videocolor.refs.check` adds the checks against the frames themselves.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from videocolor.color import colorfulness
from videocolor.errors import InputNotFoundError, ReferenceImageError, VideocolorError
from videocolor.io import StreamInfo
from videocolor.io.imageseq import IMAGE_EXTENSIONS, read_image
from videocolor.refs.manifest import Manifest, read_manifest
from videocolor.refs.match import FrameMatch
from videocolor.shots.shot import Shot

Level = Literal["info", "warn", "error"]
Status = Literal["OK", "WARN", "ERROR"]

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")

#: Hasler-Süsstrunk colourfulness (0..255 scale) below which an image is grey: an unpainted
#: canvas or a black-and-white export measures 0.0 (JPEG included, as its chroma stays neutral).
GREY_COLOURFULNESS = 1.0
#: ...and below which it has hardly any colour (a 20 % saturation wash or light sepia is ~15).
LOW_COLOURFULNESS = 5.0
#: Aspect ratios that differ by less than this share are the same framing (1920x1088 vs 1080p).
ASPECT_TOLERANCE = 0.01
#: A reference smaller than this share of the frame in either direction makes soft colour edges.
MIN_SIZE_SHARE = 0.5


@dataclass(frozen=True)
class Finding:
    """One thing a check found: ``info`` is a note, ``warn`` usable with care, ``error`` unusable.

    ``code`` names the check for programs (``outside``, ``grey``, ``mismatch``, ...).
    """

    level: Level
    code: str
    message: str


@dataclass
class Reference:
    """One image of the reference folder and what the checks found about it.

    ``image`` is RGB as read (uint8 or uint16; None when unreadable). ``number`` is the frame
    number as named (file or manifest) and ``frame`` the 0-based frame it stands for after
    ``offset``; both are None for an exemplar. ``match`` is filled by
    :func:`videocolor.refs.check.check_references`.
    """

    path: Path
    image: np.ndarray | None
    number: int | None
    frame: int | None
    named_by: Literal["file name", "refs.json", "none"]
    shot: int | None = None
    findings: list[Finding] = field(default_factory=list)
    match: FrameMatch | None = None
    best_match: FrameMatch | None = None

    @property
    def is_exemplar(self) -> bool:
        return self.number is None

    @property
    def status(self) -> Status:
        levels = {f.level for f in self.findings}
        return "ERROR" if "error" in levels else "WARN" if "warn" in levels else "OK"

    @property
    def usable(self) -> bool:
        return self.status != "ERROR"

    @property
    def refusal(self) -> str:
        """Why the reference cannot be used, on one line (empty when it can)."""
        return "; ".join(f.message for f in self.findings if f.level == "error")

    def add(self, level: Level, code: str, message: str) -> None:
        self.findings.append(Finding(level, code, message))

    def extend(self, code: str, addition: str) -> None:
        """Append ``addition`` to the message of the finding ``code``."""
        self.findings = [
            replace(f, message=f"{f.message}; {addition}") if f.code == code else f
            for f in self.findings
        ]

    def ordered_findings(self) -> list[Finding]:
        """Errors first, then warnings, then notes: what a reader must act on leads."""
        rank = {"error": 0, "warn": 1, "info": 2}
        return sorted(self.findings, key=lambda f: rank[f.level])

    def rgb(self) -> np.ndarray:
        """The image as float32 RGB in [0, 1], what the colourisation engine takes."""
        if self.image is None:
            raise ReferenceImageError(f"{self.path}: not a readable image")
        scale = 65535.0 if self.image.dtype == np.uint16 else 255.0
        return self.image.astype(np.float32) / scale

    def frame_rgb(self, width: int, height: int) -> np.ndarray:
        """:meth:`rgb` resized to the frame and, when the check found it framed differently,
        aligned so that its colours land on the frame's objects."""
        rgb = cv2.resize(self.rgb(), (width, height), interpolation=cv2.INTER_AREA)
        if self.match is not None and self.match.alignment is not None:
            rgb = cv2.warpAffine(
                rgb,
                self.match.alignment,
                (width, height),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REPLICATE,
            )
        return rgb

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.path.name,
            "number": self.number,
            "frame": self.frame,
            "named_by": self.named_by,
            "shot": self.shot,
            "exemplar": self.is_exemplar,
            "status": self.status,
            "size": None if self.image is None else [self.image.shape[1], self.image.shape[0]],
            "match": self.match.as_dict() if self.match else None,
            "best_match": self.best_match.as_dict() if self.best_match else None,
            "findings": [
                {"level": f.level, "code": f.code, "message": f.message}
                for f in self.ordered_findings()
            ],
        }


def frame_number(path: str | Path) -> int | None:
    """The last group of digits in a file's stem (``shot4_000123.tif`` → 123), or None."""
    found = _LAST_NUMBER.search(Path(path).stem)
    return int(found.group(1)) if found else None


def _image_files(folder: Path, manifest: Manifest | None) -> list[Path]:
    skip = {manifest.contact_sheet} if manifest and manifest.contact_sheet else set()
    found = {
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in IMAGE_EXTENSIONS
        and not p.name.startswith(".")
        and p.name not in skip
    }
    if manifest:
        found |= {folder / entry.file for entry in manifest.entries}
    return sorted(found, key=lambda p: (frame_number(p) is None, frame_number(p) or 0, p.name))


def _read(path: Path) -> tuple[np.ndarray | None, str | None]:
    if not path.is_file():
        return None, "listed in refs.json but the file is missing"
    try:
        image = read_image(path)
    except VideocolorError as exc:
        return None, str(exc).removeprefix(f"{path}: ")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return image, None


def read_references(refdir: str | Path, *, offset: int = 0) -> list[Reference]:
    """Every reference image of a folder with its frame number; no video needed yet.

    Raises when the folder is missing or holds no image: there is nothing to check then.
    """
    folder = Path(refdir)
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: no such reference folder")
    manifest = read_manifest(folder)
    files = _image_files(folder, manifest)
    if not files:
        raise ReferenceImageError(
            f"{folder}: no reference images ({', '.join(sorted(IMAGE_EXTENSIONS))})"
        )
    references = []
    for path in files:
        entry = manifest.entry(path.name) if manifest else None
        if entry is not None and entry.frame is not None:
            number, frame, named_by = entry.frame, entry.frame, "refs.json"
        elif (number := frame_number(path)) is not None and entry is None:
            frame, named_by = number + offset, "file name"
        else:
            number, frame, named_by = None, None, "none"
        image, problem = _read(path)
        reference = Reference(path, image, number, frame, named_by)
        if problem:
            reference.add("error", "unreadable", problem)
        if entry is not None and entry.frame is None:
            reference.shot = entry.shot
        references.append(reference)
    return references


def _shot_of(frame: int, shots: Sequence[Shot]) -> Shot:
    return shots[max(0, bisect.bisect_right([s.start for s in shots], frame) - 1)]


def _check_colour(reference: Reference) -> None:
    image = reference.image
    scale = min(1.0, 256.0 / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    unit = small.astype(np.float64) / (65535.0 if image.dtype == np.uint16 else 255.0)
    amount = colorfulness(unit * 255.0)
    if amount < GREY_COLOURFULNESS:
        reference.add("error", "grey", "grey: no colour to carry (an unpainted canvas?)")
    elif amount < LOW_COLOURFULNESS:
        reference.add("warn", "little-colour", f"hardly any colour (colourfulness {amount:.1f})")


def _check_size(reference: Reference, info: StreamInfo) -> None:
    height, width = reference.image.shape[:2]
    aspect = width / height
    storage = info.width / info.height
    display = storage * float(info.sar)
    mismatched = min(abs(aspect / storage - 1), abs(aspect / display - 1)) > ASPECT_TOLERANCE
    if mismatched:
        reference.add(
            "warn",
            "aspect",
            f"aspect {aspect:.3f} ({width}x{height}) differs from the frame's {storage:.3f} "
            f"({info.width}x{info.height}) by {abs(aspect / storage - 1):.1%}: stretched to fit",
        )
    if width < MIN_SIZE_SHARE * info.width or height < MIN_SIZE_SHARE * info.height:
        reference.add(
            "warn",
            "low-resolution",
            f"{width}x{height} is under half the frame's size ({info.width}x{info.height}): "
            "colour edges will be soft",
        )
    elif (width, height) != (info.width, info.height) and not mismatched:
        reference.add(
            "info", "resized", f"resized from {width}x{height} to {info.width}x{info.height}"
        )


def _check_place(reference: Reference, shots: Sequence[Shot], frame_count: int) -> None:
    if reference.is_exemplar:
        if reference.shot is None and len(shots) == 1:
            reference.shot = 0
        elif reference.shot is None:
            reference.add(
                "error",
                "no-shot",
                f"no frame number in its name and no shot in refs.json ({len(shots)} shots): "
                "name the frame (000123.png) or give its shot in refs.json",
            )
        elif not 0 <= reference.shot < len(shots):
            reference.add(
                "error",
                "bad-shot",
                f"refs.json names shot {reference.shot}; the video has {len(shots)}",
            )
        return
    frame = reference.frame
    if not 0 <= frame < frame_count:
        reference.add(
            "error",
            "outside",
            f"frame {frame} is outside the video ({frame_count} frames: 0-{frame_count - 1})",
        )
        return
    shot = _shot_of(frame, shots)
    reference.shot = shot.index
    if frame not in shot.core:
        reference.add(
            "warn",
            "in-transition",
            f"frame {frame} lies in a fade or dissolve of shot {shot.index}: its picture is "
            "mixed with another; prefer a frame in "
            f"{shot.core.start}-{shot.core.stop - 1}",
        )


def assess_image(reference: Reference, info: StreamInfo) -> None:
    """Add what the image alone says: whether it holds colour, and how its size fits the video."""
    _check_colour(reference)
    _check_size(reference, info)


def assess_references(
    references: Sequence[Reference], info: StreamInfo, shots: Sequence[Shot]
) -> None:
    """Add what can be judged without looking at the frames: colour, size, place in the video.

    ``shots`` cover the whole decoded video (their last ``end`` is its frame count).
    """
    frame_count = shots[-1].end
    seen: dict[int, Path] = {}
    for reference in references:
        if reference.image is None:
            continue
        assess_image(reference, info)
        _check_place(reference, shots, frame_count)
        if reference.frame is not None:
            other = seen.setdefault(reference.frame, reference.path)
            if other != reference.path:
                reference.add("warn", "duplicate", f"frame {reference.frame} also has {other.name}")


def load_references(
    refdir: str | Path, info: StreamInfo, shots: Sequence[Shot], *, offset: int = 0
) -> list[Reference]:
    """The references of ``refdir`` for a video, with the checks that need no decoding.

    Callers colour from ``[r for r in refs if r.usable]``; the frame-content checks (right
    frame, framing, tones) are :func:`videocolor.refs.check.check_references`.
    """
    references = read_references(refdir, offset=offset)
    assess_references(references, info, shots)
    return references
