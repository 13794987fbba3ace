"""Checking references against the frames they claim to show, in one decoding pass.

Every frame is reduced to a luma thumbnail and correlated with every reference
(:mod:`videocolor.refs.match`), so each reference gets its score at its own frame *and* the frame
of the video it matches best. That second number is what makes a wrong reference fixable: a
reference painted on the wrong frame, or exported with another numbering (footage numbers of
the whole reel, a 1-based count), is reported with the frame it really shows; when one constant
offset explains all the numbered references, the report says so and which ``--offset`` to use.

Shots are detected in the same pass unless the caller has them, so the video is decoded once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from videocolor.color import decode_luma, rgb_to_luma
from videocolor.io import Frame, StreamInfo, open_source
from videocolor.progress import Reporter
from videocolor.refs.match import (
    BETTER_BY,
    LOOSE_R,
    MATCH_R,
    TONE_TOLERANCE,
    FrameMatch,
    align_size,
    compare,
    shrink,
    signature,
)
from videocolor.refs.reference import Reference, assess_references, read_references
from videocolor.shots.detection import detect_shots
from videocolor.shots.shot import Shot


@dataclass(frozen=True)
class OffsetHint:
    """A constant offset that puts the numbered references on the frames they show."""

    offset: int  # the total offset to pass as --offset
    fitting: int
    numbered: int
    frames: tuple[int, ...]

    @property
    def message(self) -> str:
        who = (
            f"all {self.numbered} references fit"
            if self.fitting == self.numbered
            else f"{self.fitting} of {self.numbered} references fit"
        )
        shown = ", ".join(str(f) for f in self.frames)
        return f"{who} an offset of {self.offset} (frames {shown}): use --offset {self.offset}"


@dataclass
class ReferenceReport:
    """The outcome of :func:`check_references`; ``ok`` is False when any reference is unusable."""

    source: Path
    refdir: Path
    frame_count: int
    frame_rate: Fraction
    frame_size: tuple[int, int]  # width, height
    shots: list[Shot]
    references: list[Reference]
    offset: int
    offset_hint: OffsetHint | None

    @property
    def ok(self) -> bool:
        return all(r.usable for r in self.references)

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.references]
        return {status: statuses.count(status) for status in ("OK", "WARN", "ERROR")}

    def as_dict(self) -> dict[str, object]:
        return {
            "source": str(self.source),
            "refdir": str(self.refdir),
            "frame_count": self.frame_count,
            "frame_rate": str(self.frame_rate),
            "shots": len(self.shots),
            "offset": self.offset,
            "ok": self.ok,
            "counts": self.counts(),
            "offset_hint": None
            if self.offset_hint is None
            else {
                "offset": self.offset_hint.offset,
                "fitting": self.offset_hint.fitting,
                "numbered": self.offset_hint.numbered,
                "frames": list(self.offset_hint.frames),
                "message": self.offset_hint.message,
            },
            "references": [r.as_dict() for r in self.references],
        }


class _Scan:
    """Correlates each decoded frame with every reference and keeps the thumbnails needed
    afterwards: the named frames and each reference's best frame so far."""

    def __init__(self, signatures: np.ndarray, wanted: set[int], info: StreamInfo) -> None:
        self.signatures = signatures
        self.wanted = wanted
        self.info = info
        self.rows: list[np.ndarray] = []
        self.kept: dict[int, np.ndarray] = {}
        count = len(signatures)
        self.best = np.full(count, -np.inf, np.float32)
        self.best_thumbs: list[np.ndarray | None] = [None] * count

    def frames(self, source: Iterator[Frame], reporter: Reporter) -> Iterator[Frame]:
        for frame in source:
            small = frame_thumbnail(frame.luma, self.info)
            row = self.signatures @ signature(small)
            self.rows.append(row)
            if frame.index in self.wanted:
                self.kept[frame.index] = small
            for i in np.flatnonzero(row > self.best):
                self.best[i], self.best_thumbs[i] = row[i], small
            reporter.advance()
            yield frame

    def scores(self) -> np.ndarray:
        """(references, frames) correlation matrix."""
        return np.stack(self.rows, axis=1) if self.rows else np.zeros((len(self.best), 0))


def _describe(match: FrameMatch) -> str:
    aligned = " aligned" if match.r_aligned is not None and match.r_aligned > match.r else ""
    return f"r={match.score:.2f}{aligned}"


def _shot_note(frame: int, reference: Reference, shots: Sequence[Shot]) -> str:
    shot = next(s for s in shots if frame in s)
    return (
        f", shot {shot.index}"
        if reference.shot is not None and shot.index != reference.shot
        else ""
    )


def reference_luma(reference: Reference, info: StreamInfo) -> np.ndarray:
    """A reference's Y' at the size frames are compared at (:func:`frame_thumbnail`)."""
    size = align_size(info.width, info.height)
    return shrink(rgb_to_luma(reference.rgb(), info.color.matrix), size)


def frame_thumbnail(luma: np.ndarray, info: StreamInfo) -> np.ndarray:
    """A frame's Y' from its luma codes, at the size references are compared at."""
    return decode_luma(shrink(luma, align_size(info.width, info.height)), info.code_range)


def judge_own_frame(reference: Reference, match: FrameMatch) -> None:
    """Set ``reference.match`` and say whether the reference shows the frame it is named for:
    not at all is an error (the reference is not used), loosely a warning."""
    reference.match = match
    frame = match.frame
    if match.score < LOOSE_R:
        reference.add("error", "mismatch", f"does not show frame {frame} ({_describe(match)})")
    elif match.score < MATCH_R:
        reference.add(
            "warn", "loose-match", f"shows frame {frame} only loosely ({_describe(match)})"
        )


def _judge_framing(reference: Reference) -> None:
    match = reference.match
    if match.alignment is not None:
        reference.add(
            "warn",
            "framing",
            f"framed differently from frame {match.frame}: content up to {match.shift_px:.0f} "
            f"px off (r={match.r:.2f} as is, {match.r_aligned:.2f} aligned)",
        )
    if match.tone_difference >= TONE_TOLERANCE:
        reference.add(
            "warn",
            "tones",
            f"tones differ from the frame's (mean |dY'| {match.tone_difference:.2f}): "
            "the colours will sit on the film's own tones",
        )


def judge_alone(reference: Reference, match: FrameMatch) -> None:
    """:func:`judge_own_frame` plus framing and tones, for a check that sees no other frame."""
    judge_own_frame(reference, match)
    if match.score >= LOOSE_R:
        _judge_framing(reference)


def _judge(reference: Reference, row: np.ndarray, best: FrameMatch, shots: Sequence[Shot]) -> None:
    match = reference.match
    frame = match.frame
    if best.frame != frame and row[best.frame] >= row[frame] + BETTER_BY and best.score >= LOOSE_R:
        level = "info" if match.score < LOOSE_R else "warn"
        note = _shot_note(best.frame, reference, shots)
        reference.add(
            level, "better-match", f"best match: frame {best.frame} ({_describe(best)}{note})"
        )
        reference.best_match = best
    if match.score < LOOSE_R or reference.best_match is not None:
        return  # framing and tones against the wrong frame would mislead
    _judge_framing(reference)


def _place_elsewhere(reference: Reference, best: FrameMatch) -> None:
    """For a reference whose number is not usable as is (outside the video) or an exemplar."""
    if reference.is_exemplar:
        if best.score >= MATCH_R:
            reference.add(
                "info",
                "looks-like-frame",
                f"looks like frame {best.frame} ({_describe(best)}): put the number in its name "
                "to use it as a keyframe",
            )
        return
    reference.best_match = best
    if best.score >= LOOSE_R:
        reference.extend("outside", f"best match: frame {best.frame} ({_describe(best)})")
    else:
        reference.extend(
            "outside", f"no frame matches (best r={best.score:.2f} at frame {best.frame})"
        )


def _offset_hint(
    numbered: list[tuple[Reference, np.ndarray]], offset: int, frame_count: int
) -> OffsetHint | None:
    """The offset under which most numbered references sit on (nearly) their best frame."""
    if not numbered or all(ref.usable and ref.best_match is None for ref, _ in numbered):
        return None

    def fits(ref: Reference, row: np.ndarray, shift: int) -> bool:
        frame = ref.frame + shift
        return 0 <= frame < frame_count and bool(row[frame] >= max(row.max() - BETTER_BY, LOOSE_R))

    candidates = {int(row.argmax()) - ref.frame for ref, row in numbered if row.max() >= LOOSE_R}
    best_shift, best_fits = 0, -1
    for shift in sorted(candidates, key=lambda s: (abs(s), s)):
        count = sum(fits(ref, row, shift) for ref, row in numbered)
        if count > best_fits:
            best_shift, best_fits = shift, count
    if best_shift == 0 or best_fits < max(1, math.ceil(len(numbered) / 2)):
        return None
    if len(numbered) > 1 and best_fits < 2:
        return None
    frames = tuple(ref.frame + best_shift for ref, row in numbered if fits(ref, row, best_shift))
    return OffsetHint(offset + best_shift, best_fits, len(numbered), frames)


def check_references(
    source: str | Path,
    refdir: str | Path,
    *,
    shots: Sequence[Shot] | None = None,
    offset: int = 0,
    fps: Fraction | None = None,
    progress: bool = False,
) -> ReferenceReport:
    """Load the references of ``refdir`` and check each against the video ``source``.

    ``offset`` is added to frame numbers taken from file names (see
    :mod:`videocolor.refs.reference`); ``shots`` are detected in the same decoding pass when not
    given.
    """
    references = read_references(refdir, offset=offset)
    readable = [r for r in references if r.image is not None]
    with open_source(source, fps) as opened:
        info = opened.info
        size = align_size(info.width, info.height)
        lumas = [reference_luma(r, info) for r in readable]
        empty = np.zeros((0, signature(np.zeros(size[::-1], np.float32)).size), np.float32)
        signatures = np.stack([signature(x) for x in lumas]) if lumas else empty
        wanted = {r.frame for r in readable if r.frame is not None}
        scan = _Scan(signatures, wanted, info)
        rate = info.frame_rate or Fraction(24)
        with Reporter("checking references", info.frame_count, enabled=progress) as reporter:
            frames = scan.frames(iter(opened), reporter)
            if shots is None:
                shots = list(detect_shots(frames, fps=rate, code_range=info.code_range))
            else:
                for _ in frames:
                    pass
    scores = scan.scores()
    frame_count = scores.shape[1]
    assess_references(references, info, shots)
    frame_size = (info.width, info.height)
    numbered = []
    for i, reference in enumerate(readable):
        row = scores[i]
        best_frame = int(row.argmax())
        best = compare(lumas[i], scan.best_thumbs[i], best_frame, frame_size)
        if reference.is_exemplar or reference.frame not in scan.kept:
            _place_elsewhere(reference, best)
        else:
            own = compare(lumas[i], scan.kept[reference.frame], reference.frame, frame_size)
            judge_own_frame(reference, own)
            _judge(reference, row, best, shots)
        if not reference.is_exemplar and reference.named_by == "file name":
            numbered.append((reference, row))
    hint = _offset_hint(numbered, offset, frame_count)
    return ReferenceReport(
        Path(source),
        Path(refdir),
        frame_count,
        rate,
        frame_size,
        list(shots),
        references,
        offset,
        hint,
    )
