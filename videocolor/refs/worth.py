"""What a set of keyframes is worth to a shot, and the keyframes that are worth the most.

The engine colours each frame from the nearest keyframe on each side
(:mod:`videocolor.engine.shot`). How much colour quality a frame loses, coloured from keyframe
``k``, is predicted from ``k``'s reach there (:mod:`videocolor.refs.reach`) and the distance:

    loss (dB) = REACH_DB x (1 - reach) + DISTANCE_DB x ln(1 + distance)

fitted by least squares on the training clips (``docs/benchmarks.md``), each clip coloured
from one keyframe at a time. A frame between two keyframes loses what its better side loses,
less a small gain when the two sides are alike (the engine fuses them by confidence, so a
second weak chain adds little to a strong one); measured on the same clips coloured from two
keyframes. A shot's expected loss is the sum over its frames outside transitions.

Keyframes are chosen greedily (each one the candidate that lowers the loss most), then each in
turn is moved to the candidate that is best with the others fixed, until none moves. On a shot of
even reach this lands on evenly spaced keyframes centred in their stretches; where the picture
changes unevenly (a pan that speeds up, something entering) they move towards the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videocolor.refs.reach import ShotReach

#: dB lost where nothing of a frame is reachable from the keyframe, distance aside...
REACH_DB = 8.1
#: ...and per unit of ln(1 + frames from the keyframe), reach aside.
DISTANCE_DB = 2.0
#: A frame between two keyframes gains this much over its better side alone, when both sides
#: would colour it alike...
TWO_SIDED_DB = 0.4
#: ...and less as they differ: by exp(-|loss difference| / this many dB).
TWO_SIDED_SCALE = 6.0
#: Most rounds of moving each keyframe to its best place.
REFINE_ROUNDS = 4


@dataclass(frozen=True)
class Gain:
    """Why a keyframe was added: the frame it helps most and what reached that frame before."""

    frame: int
    reached: float  # share of ``frame`` reachable from the nearest keyframe before (0: none)
    nearest: int | None  # that keyframe's position in the shot
    loss_before: float  # the shot's mean expected loss per frame, dB
    loss_after: float


class ShotWorth:
    """Expected colour loss of keyframe sets for one shot.

    ``reach`` gives the rows of the candidates and of the ``painted`` positions (already painted,
    kept in every set); ``scored`` marks the frames that count.
    """

    def __init__(self, reach: ShotReach, scored: np.ndarray, painted: Sequence[int] = ()) -> None:
        self.reach = reach
        self.scored = scored
        self.painted = tuple(sorted(set(painted)))
        positions = np.arange(reach.length)
        self._rows: dict[int, np.ndarray] = dict(reach.rows)
        self._losses = {
            key: REACH_DB * (1.0 - row) + DISTANCE_DB * np.log1p(np.abs(positions - key))
            for key, row in reach.rows.items()
        }
        #: A frame no keyframe colours is coloured by guesswork: as lost as the far end of a walk.
        self.unreached_loss = REACH_DB + DISTANCE_DB * float(np.log1p(reach.horizon))

    @property
    def candidates(self) -> list[int]:
        return [int(c) for c in self.reach.candidates if int(c) not in self.painted]

    def _sides(
        self, keys: Sequence[int], table: dict[int, np.ndarray], missing: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per frame, the values in ``table`` of the nearest keyframe at or before it and at or
        after it; ``missing`` where a side has none."""
        ordered = sorted(set(keys))
        positions = np.arange(self.reach.length)
        if not ordered:
            nothing = np.full(self.reach.length, missing, np.float32)
            return nothing, nothing
        stack = np.stack([table[k] for k in ordered])
        key_array = np.asarray(ordered)
        left = np.clip(np.searchsorted(key_array, positions, side="right") - 1, 0, None)
        right = np.clip(np.searchsorted(key_array, positions, side="left"), None, len(ordered) - 1)
        left_value = np.where(key_array[left] <= positions, stack[left, positions], missing)
        right_value = np.where(key_array[right] >= positions, stack[right, positions], missing)
        return left_value, right_value

    def losses(self, keys: Sequence[int]) -> np.ndarray:
        """The expected loss of each frame (dB) with ``keys`` and the painted keyframes."""
        left, right = self._sides([*self.painted, *keys], self._losses, np.inf)
        better = np.minimum(np.minimum(left, right), self.unreached_loss)
        both = np.isfinite(left) & np.isfinite(right)
        difference = np.subtract(left, right, out=np.zeros_like(left), where=both)
        bonus = TWO_SIDED_DB * np.exp(-np.abs(difference) / TWO_SIDED_SCALE)
        return better - np.where(both, bonus, 0.0)

    def coverage(self, keys: Sequence[int]) -> np.ndarray:
        """The reachable share of each frame, distance aside."""
        return np.maximum(*self._sides([*self.painted, *keys], self._rows, 0.0))

    def total(self, keys: Sequence[int]) -> float:
        """The shot's summed expected loss over its scored frames (lower is better)."""
        return float(self.losses(keys)[self.scored].sum())

    def mean_loss(self, keys: Sequence[int]) -> float:
        return float(self.losses(keys)[self.scored].mean())

    def best_addition(self, keys: Sequence[int]) -> tuple[int, float] | None:
        """The candidate that lowers the loss most with ``keys``, and the loss it leaves."""
        taken = set(keys)
        options = [c for c in self.candidates if c not in taken]
        if not options:
            return None
        totals = [self.total([*keys, c]) for c in options]
        best = int(np.argmin(totals))
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
                if best is not None and best[1] < self.total(keys) - 1e-6:
                    keys[i] = best[0]
                    moved = True
            if not moved:
                break
        return sorted(keys)

    def gain(self, keys: Sequence[int], added: int) -> Gain:
        """What adding ``added`` to ``keys`` does: the scored frame it helps most."""
        before, after = self.losses(keys), self.losses([*keys, added])
        helped = np.where(self.scored, before - after, -np.inf)
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
