"""Which shots each cluster task colours: runs of consecutive unfinished shots.

A task colours whole shots, in order, from one seek. Short shots are batched so each task has at
least ``min_frames`` frames: a task costs a seek, a decoder start and a round trip through the
scheduler (measured in ``bench cluster``), which a 12-frame shot would not repay. A batch never
spans a finished shot, so a resumed job decodes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from videocolor.shots.shot import Shot


def plan_batches(
    shots: Sequence[Shot], finished: set[int], min_frames: int
) -> list[tuple[Shot, ...]]:
    """The unfinished shots of ``shots`` grouped into batches of at least ``min_frames`` frames
    (a long shot is a batch of its own; the last of a run may be shorter)."""
    batches: list[tuple[Shot, ...]] = []
    current: list[Shot] = []
    for shot in shots:
        if shot.index in finished:
            if current:
                batches.append(tuple(current))
                current = []
            continue
        current.append(shot)
        if sum(s.length for s in current) >= min_frames:
            batches.append(tuple(current))
            current = []
    if current:
        batches.append(tuple(current))
    return batches
