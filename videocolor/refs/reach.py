"""Reach: for a shot, how much of every frame each candidate keyframe's colours can reach.

:attr:`ShotReach.rows` gives, for a candidate keyframe ``c``, the covered share
(:mod:`videocolor.refs.coverage`) of every frame of the shot when ``c`` is painted: 1 at ``c``,
then falling as flow loses pixels walking away from it in both directions. A walk stops
``horizon`` frames away or once almost nothing is left (:data:`FLOOR`); beyond, the share counts
as nothing. The
neighbouring frames' steps are measured once (in disk-backed stores for long shots), so all the
walks together cost a few milliseconds per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videocolor.memory.spill import spill_array
from videocolor.refs.coverage import Carry, CoverageStep, move, walk_size

#: A walk ends once less than this share of the picture is still covered.
FLOOR = 0.02
#: Most candidates measured per shot: a longer shot's candidates are spread evenly over it.
MAX_CANDIDATES = 160


def candidate_positions(eligible: np.ndarray) -> np.ndarray:
    """Positions of the shot that are measured as keyframes: its eligible ones, thinned evenly to
    at most :data:`MAX_CANDIDATES`."""
    positions = np.flatnonzero(eligible)
    if len(positions) <= MAX_CANDIDATES:
        return positions
    picks = np.linspace(0, len(positions) - 1, MAX_CANDIDATES).round().astype(int)
    return positions[np.unique(picks)]


class _Steps:
    """The carries between every pair of neighbouring frames, both ways."""

    def __init__(self, small: Sequence[np.ndarray], step: CoverageStep) -> None:
        count = max(len(small) - 1, 1)
        height, width = small[0].shape
        self.size = walk_size((width, height))
        shape = (self.size[1], self.size[0])
        self.pulls = [spill_array((count, *shape, 2), np.int16) for _ in range(2)]
        self.kept = [spill_array((count, *shape), np.uint8) for _ in range(2)]
        for i in range(len(small) - 1):
            for direction, carry in enumerate(step.carries(small[i], small[i + 1])):
                self.pulls[direction][i] = carry.pull
                self.kept[direction][i] = carry.kept

    def carry(self, position: int, direction: int) -> Carry:
        """The step from ``position`` to ``position + direction``."""
        if direction > 0:
            return Carry(self.pulls[0][position], self.kept[0][position])
        return Carry(self.pulls[1][position - 1], self.kept[1][position - 1])


class ShotReach:
    """The reach of every candidate keyframe, and of ``painted`` frames, over one shot's frames
    (at the flow resolution). :attr:`rows` maps each of those positions to its reach."""

    def __init__(
        self,
        small: Sequence[np.ndarray],
        candidates: np.ndarray,
        step: CoverageStep,
        horizon: int,
        painted: Sequence[int] = (),
    ) -> None:
        self.length = len(small)
        self.candidates = np.asarray(candidates, dtype=int)
        self.horizon = horizon
        self._steps: _Steps | None = _Steps(small, step)
        keys = sorted({*(int(c) for c in self.candidates), *painted})
        self.rows = {key: self._walk(key)[0] for key in keys}

    def release(self) -> None:
        """Drop the measured steps (no more masks can be walked)."""
        self._steps = None

    def mask_at(self, key: int, frame: int) -> np.ndarray:
        """The covered-pixel mask (uint8, 255 = covered, walk resolution) that ``key``'s walk
        brings to ``frame``."""
        return self._walk(key, until=frame)[1]

    def _walk(self, key: int, until: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Covered shares of every frame from ``key``, and the mask at ``until`` (if given)."""
        if self._steps is None:
            raise RuntimeError("the shot's steps were released")
        shares = np.zeros(self.length, np.float32)
        shares[key] = 1.0
        width, height = self._steps.size
        full = np.full((height, width), 255, np.uint8)
        found = full if until == key else np.zeros_like(full)
        for direction, end in ((1, self.length - 1), (-1, 0)):
            if until is not None and (until - key) * direction <= 0:
                continue
            mask, position = full, key
            while position != end and abs(position - key) < self.horizon:
                mask = move(mask, self._steps.carry(position, direction))
                position += direction
                share = float(np.count_nonzero(mask)) / mask.size
                shares[position] = share
                if position == until:
                    return shares, mask
                if share < FLOOR:
                    break
        return shares, found
