"""What a set of keyframes is worth to a shot, and the keyframes that are worth the most.

The engine colours each frame from the nearest keyframe on each side along optical flow
(:mod:`videocolor.engine.shot`), and what the flow loses from the places of all the shot's keyframes
that look alike to its matcher. How much colour quality a frame loses is predicted from both:

    loss (dB) = REACH_DB x (1 - reach) + DISTANCE_DB x ln(1 + distance)
                + LIKENESS_DB x (1 - likeness) [+ BEFORE_FIRST_DB]

with ``reach`` and ``distance`` those of the better side (:mod:`videocolor.refs.reach`),
``likeness`` what the frame's worst-matched places find in the nearest-looking keyframe
(:mod:`videocolor.refs.likeness`), and the last term for frames before the shot's first
keyframe. The constants were fitted by least squares on the training
clips, each coloured from one keyframe at a time, and predict the clips coloured from two
keyframes as well (``docs/benchmarks.md``). A shot's expected loss is the sum over its frames
outside transitions.

Keyframes are chosen greedily (each one the candidate that lowers the loss most), then each in
turn is moved to the candidate that is best with the others fixed, until none moves. On a shot of
even content this lands on evenly spaced keyframes centred in their stretches; where the picture
changes unevenly (a pan that speeds up, something entering) they move towards the change; the
suggestion keeps them there only for a gain it is sure of
(:data:`videocolor.refs.suggest.EVEN_MARGIN_DB`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from videocolor.refs.likeness import ShotLikeness
from videocolor.refs.reach import ShotReach

#: dB lost where nothing of a frame is reachable along flow from the keyframe, the rest aside...
REACH_DB = 0.6
#: ...per unit of ln(1 + frames from the keyframe)...
DISTANCE_DB = 0.9
#: ...per unit of likeness the frame's worst-matched places lack...
LIKENESS_DB = 34.0
#: ...and where the frame comes before the shot's first keyframe: in the training footage frames
#: before a keyframe lose more than frames as far after it, beyond what reach and likeness show.
BEFORE_FIRST_DB = 0.7
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
    along_flow_db: float  # how much ``frame``'s expected loss falls along flow...
    likeness_db: float  # ... and through its least-alike places finding their like


class ShotWorth:
    """Expected colour loss of keyframe sets for one shot.

    ``reach`` and ``likeness`` measure the candidates and the ``painted`` positions (already
    painted, kept in every set); ``scored`` marks the frames that count.
    """

    def __init__(
        self,
        reach: ShotReach,
        likeness: ShotLikeness,
        scored: np.ndarray,
        painted: Sequence[int] = (),
    ) -> None:
        self.reach = reach
        self.likeness = likeness
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
        present = [*self.painted, *keys]
        return self._losses_of(present, self.likeness.best_over(present))

    def _losses_of(self, present: Sequence[int], matched: np.ndarray | None) -> np.ndarray:
        """:meth:`losses` for all the keyframes ``present``, whose likeness union is ``matched``."""
        along_flow, unlike = self._parts(present, matched)
        return along_flow + unlike

    def _parts(
        self, present: Sequence[int], matched: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each frame's expected loss along flow (before the first keyframe included) and for
        its least-alike places, dB."""
        left, right = self._sides(present, self._losses, np.inf)
        along_flow = np.minimum(np.minimum(left, right), self.unreached_loss)
        before_first = np.isinf(left) & np.isfinite(right)
        unlike = LIKENESS_DB * (1.0 - self.likeness.worst_matched(matched))
        return along_flow + np.where(before_first, BEFORE_FIRST_DB, 0.0), unlike

    def coverage(self, keys: Sequence[int]) -> np.ndarray:
        """The reachable share of each frame, distance aside."""
        return np.maximum(*self._sides([*self.painted, *keys], self._rows, 0.0))

    def total(self, keys: Sequence[int]) -> float:
        """The shot's summed expected loss over its scored frames (lower is better)."""
        present = [*self.painted, *keys]
        return self._total_of(present, self.likeness.best_over(present))

    def _total_of(self, present: Sequence[int], matched: np.ndarray | None) -> float:
        return float(self._losses_of(present, matched)[self.scored].sum())

    def mean_loss(self, keys: Sequence[int]) -> float:
        return float(self.losses(keys)[self.scored].mean())

    def best_addition(self, keys: Sequence[int]) -> tuple[int, float] | None:
        """The candidate that lowers the loss most with ``keys``, and the loss it leaves."""
        taken = set(keys)
        options = [c for c in self.candidates if c not in taken]
        if not options:
            return None
        present = [*self.painted, *keys]
        matched = self.likeness.best_over(present)  # the same for every option: taken once
        totals = [
            self._total_of([*present, c], self.likeness.best_over([c], matched)) for c in options
        ]
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
        present = sorted({*self.painted, *keys})
        matched = self.likeness.best_over(present)
        flow_before, unlike_before = self._parts(present, matched)
        flow_after, unlike_after = self._parts(
            [*present, added], self.likeness.best_over([added], matched)
        )
        before, after = flow_before + unlike_before, flow_after + unlike_after
        helped = np.where(self.scored, before - after, -np.inf)
        frame = int(np.argmax(helped))
        nearest = min(present, key=lambda k: abs(k - frame)) if present else None
        reached = float(self._rows[nearest][frame]) if nearest is not None else 0.0
        return Gain(
            frame,
            reached,
            nearest,
            float(before[self.scored].mean()),
            float(after[self.scored].mean()),
            float(flow_before[frame] - flow_after[frame]),
            float(unlike_before[frame] - unlike_after[frame]),
        )
