"""Which frames to paint, and why: the one place the studio asks for keyframe suggestions.

The suggestion algorithm (:mod:`videocolor.refs.suggest`) is the library's; the studio only needs
frame, shot and reason, so swapping in another suggester changes this module alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from videocolor.refs.additions import suggest_additions
from videocolor.refs.suggest import suggest_keyframes
from videocolor.shots.shot import Shot


@dataclass(frozen=True)
class Suggested:
    """A frame worth painting in shot ``shot``, and the suggester's reason."""

    frame: int
    shot: int
    reason: str


def suggest(
    reel: Path, shots: Sequence[Shot], *, fps: Fraction | None = None, progress: bool = False
) -> list[Suggested]:
    """The keyframes to paint in every shot of ``reel``, in frame order."""
    suggestion = suggest_keyframes(reel, shots=list(shots), fps=fps, progress=progress)
    found = [Suggested(k.frame, k.shot, k.reason) for k in suggestion.keyframes]
    return sorted(found, key=lambda s: s.frame)


def paint_next(
    reel: Path, shot: Shot, painted: Sequence[int], *, fps: Fraction | None = None
) -> Suggested | None:
    """The frame of ``shot`` whose painting would help it most beside the ``painted`` ones."""
    additions = suggest_additions(reel, painted, 1, shots=[shot], fps=fps)
    found = [Suggested(k.frame, k.shot, k.reason) for k in additions.keyframes]
    return found[0] if found else None
