"""Which original frames a video method may see: the reference protocol of a benchmark run.

``ref0`` gives the ground-truth frame 0 only, the protocol of the published reference-based
DAVIS/Videvo tables (ColorMNet, BiSTNet, DeepExemplar); ``every:N`` gives frames 0, N, 2N, ...,
how a colourist paints keyframes; ``auto`` gives none (automatic colourisation).

``suggest:N`` gives the frames ``videocolor refs suggest --every N`` picks
(:mod:`videocolor.bench.keyframes`) and ``even:N`` as many, evenly spaced, each centred in its
equal stretch: the two arms of one comparison, so both leave out of their scores the frames
that are a keyframe of either.

``add:K`` gives frame 0 and the K frames ``refs suggest --add K`` picks with frame 0 painted;
``at:F`` gives frame 0 and the frame at fraction F of the clip (``round(F * (frames - 1))``): a
fixed rule to hold the addition against. Their comparison is made on the frames that are a
keyframe of neither arm (:func:`videocolor.bench.keyframes.addition_comparison`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from videocolor.errors import VideocolorError

_WITH_INTERVAL = re.compile(r"(every|suggest|even|add):(\d+)")
_AT = re.compile(r"at:(0(?:\.\d+)?|1(?:\.0*)?)")
#: The arms whose frames depend on the suggestion for the clip.
SUGGESTION_KINDS = ("suggest", "even")


@dataclass(frozen=True)
class Protocol:
    """A reference protocol; ``interval`` is N of ``every:N``, ``suggest:N`` and ``even:N``, or
    K of ``add:K``; ``fraction`` is F of ``at:F``."""

    kind: Literal["ref0", "every", "auto", "suggest", "even", "add", "at"]
    interval: int = 0
    fraction: float = 0.0

    @property
    def name(self) -> str:
        if self.kind == "at":
            return f"at:{self.fraction:g}"
        return f"{self.kind}:{self.interval}" if self.interval else self.kind

    @property
    def needs_suggestion(self) -> bool:
        return self.kind in (*SUGGESTION_KINDS, "add")

    def reference_indices(self, frames: int, suggested: Sequence[int] = ()) -> list[int]:
        """The frames of a clip of ``frames`` frames that are given as references;
        ``suggested``: what ``refs suggest`` picked in it (suggest, even and add arms)."""
        if self.kind == "auto":
            return []
        if self.kind == "suggest":
            return sorted(suggested)
        if self.kind == "add":
            return sorted({0, *suggested})
        if self.kind == "at":
            return sorted({0, round(self.fraction * (frames - 1))})
        if self.kind == "even":
            return even_frames(frames, len(suggested))
        step = self.interval if self.kind == "every" else max(frames, 1)  # ref0: frame 0 alone
        return list(range(0, frames, step))

    def scored_out(self, frames: int, suggested: Sequence[int] = ()) -> list[int]:
        """The frames left out of the scores without references: this protocol's, and for a
        suggest or even arm, its partner's too."""
        if self.kind not in SUGGESTION_KINDS:
            return self.reference_indices(frames, suggested)
        return sorted(set(suggested) | set(even_frames(frames, len(suggested))))


def even_frames(frames: int, count: int) -> list[int]:
    """``count`` frames evenly spaced over ``frames``, each centred in its equal stretch (one
    keyframe: the middle frame)."""
    return sorted({int((i + 0.5) * frames / count) for i in range(count)})


def parse_protocol(text: str) -> Protocol:
    """``ref0``, ``every:N``, ``suggest:N``, ``even:N``, ``add:K`` (N, K >= 1), ``at:F``
    (0 <= F <= 1) or ``auto``."""
    if text in ("ref0", "auto"):
        return Protocol(text)
    at = _AT.fullmatch(text)
    if at is not None:
        return Protocol("at", fraction=float(at.group(1)))
    match = _WITH_INTERVAL.fullmatch(text)
    if match is None or int(match.group(2)) < 1:
        raise VideocolorError(
            f"unknown protocol {text!r}; expected ref0, every:N, suggest:N, even:N, add:K "
            "(N, K >= 1), at:F (0 <= F <= 1) or auto"
        )
    return Protocol(match.group(1), int(match.group(2)))  # type: ignore[arg-type]


def parse_protocols(text: str) -> list[Protocol]:
    """A comma list of protocols, each run in turn on the same clips."""
    protocols = [parse_protocol(part.strip()) for part in text.split(",") if part.strip()]
    if not protocols:
        raise VideocolorError("--protocol: no protocol given")
    return protocols
