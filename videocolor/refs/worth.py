"""What a set of keyframes is worth to a shot, and the keyframes that are worth the most.

The engine colours each frame from the nearest keyframe on each side
(:mod:`videocolor.engine.shot`). How well a keyframe's colour arrives is estimated from its
reach (:mod:`videocolor.refs.reach`) and its distance: ``reach x exp(-distance / scale)``, since
colour carried by flow drifts and fades with every step even where no pixel is lost. A frame is
worth what its better side brings (the engine fuses the two by confidence, and a second weak
chain adds little to a strong one), and a shot's worth is the sum over its frames outside
transitions.

Keyframes are chosen greedily (each one the candidate that raises the worth most), then each in
turn is moved to the candidate that is best with the others fixed, until none moves. On a shot of
even reach this lands on evenly spaced keyframes centred in their stretches; where the picture
changes unevenly (a pan that speeds up, something entering) they move towards the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videocolor.refs.reach import ShotReach

#: Frames over which colour carried from a keyframe falls to 1/e of its worth where nothing is
#: lost; measured on the training clips (``docs/benchmarks.md``).
DISTANCE_SCALE = 60.0
#: Most rounds of moving each keyframe to its best place.
REFINE_ROUNDS = 4


@dataclass(frozen=True)
class Gain:
    """Why a keyframe was added: the frame it helps most and what reached that frame before."""

    frame: int
    reached: float  # share of ``frame`` reachable from the nearest keyframe before (0: none)
    nearest: int | None  # that keyframe's position in the shot
    worth_before: float
    worth_after: float


class ShotWorth:
    """Per-frame worth of keyframe sets for one shot.

    ``reach`` gives the rows of the candidates and of the ``painted`` positions (already painted,
    kept in every set); ``scored`` marks the frames that count.
    """

    def __init__(
        self,
        reach: ShotReach,
        scored: np.ndarray,
        painted: Sequence[int] = (),
        scale: float = DISTANCE_SCALE,
    ) -> None:
        self.reach = reach
        self.scored = scored
        self.painted = tuple(sorted(set(painted)))
        positions = np.arange(reach.length)
        self._rows: dict[int, np.ndarray] = {}
        self._decayed: dict[int, np.ndarray] = {}
        for key, row in reach.rows.items():
            self._rows[key] = row
            self._decayed[key] = row * np.exp(-np.abs(positions - key) / scale).astype(np.float32)

    @property
    def candidates(self) -> list[int]:
        return [int(c) for c in self.reach.candidates if int(c) not in self.painted]

    def _sides(self, keys: Sequence[int], table: dict[int, np.ndarray]) -> np.ndarray:
        """Per frame, the better of the two nearest keyframes' values in ``table``."""
        ordered = sorted(keys)
        if not ordered:
            return np.zeros(self.reach.length, np.float32)
        stack = np.stack([table[k] for k in ordered])
        positions = np.arange(self.reach.length)
        after = np.searchsorted(ordered, positions, side="left")  # first key >= frame
        left = np.clip(np.searchsorted(ordered, positions, side="right") - 1, 0, None)
        right = np.clip(after, None, len(ordered) - 1)
        key_array = np.asarray(ordered)
        left_value = np.where(key_array[left] <= positions, stack[left, positions], 0.0)
        right_value = np.where(key_array[right] >= positions, stack[right, positions], 0.0)
        return np.maximum(left_value, right_value)

    def values(self, keys: Sequence[int]) -> np.ndarray:
        """The worth of each frame with ``keys`` and the painted keyframes."""
        return self._sides([*self.painted, *keys], self._decayed)

    def coverage(self, keys: Sequence[int]) -> np.ndarray:
        """The reachable share of each frame, distance aside."""
        return self._sides([*self.painted, *keys], self._rows)

    def total(self, keys: Sequence[int]) -> float:
        return float(self.values(keys)[self.scored].sum())

    def best_addition(self, keys: Sequence[int]) -> tuple[int, float] | None:
        """The candidate that raises the worth most with ``keys``, and the worth it gives."""
        taken = set(keys)
        options = [c for c in self.candidates if c not in taken]
        if not options:
            return None
        totals = [self.total([*keys, c]) for c in options]
        best = int(np.argmax(totals))
        return options[best], totals[best]

    def refine(self, keys: list[int]) -> list[int]:
        """Move each keyframe to the candidate that is best with the others fixed, until none
        moves."""
        keys = list(keys)
        for _ in range(REFINE_ROUNDS):
            moved = False
            for i in range(len(keys)):
                others = keys[:i] + keys[i + 1 :]
                best = self.best_addition(others)
                if best is not None and best[1] > self.total(keys) + 1e-6:
                    keys[i] = best[0]
                    moved = True
            if not moved:
                break
        return sorted(keys)

    def gain(self, keys: Sequence[int], added: int) -> Gain:
        """What adding ``added`` to ``keys`` does: the scored frame it helps most."""
        before, after = self.values(keys), self.values([*keys, added])
        helped = np.where(self.scored, after - before, -np.inf)
        frame = int(np.argmax(helped))
        present = sorted({*self.painted, *keys})
        nearest = min(present, key=lambda k: abs(k - frame)) if present else None
        reached = float(self._rows[nearest][frame]) if nearest is not None else 0.0
        return Gain(
            frame,
            reached,
            nearest,
            float(before[self.scored].mean()),
            float(after[self.scored].mean()),
        )
