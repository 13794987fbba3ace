"""Likeness: how well the places of every frame of a shot find their like in a candidate keyframe.

Where the flow chains lose a place, the engine colours it from the places of the shot's keyframes
that look like the same thing to its matcher (:mod:`videocolor.colorizers.matcher`). So a frame
whose places all have a close match in some keyframe keeps its colour, and the places that match
worst say how much it loses: on the training clips the worst-matched tenth of each frame predicts
its colour loss from one keyframe better than flow reach and distance together, and from two
keyframes too, taking each place's better match of the two (``docs/benchmarks.md``).

Likeness is the cosine of the matcher's features (the mean over its unit feature groups), so 1 is
a place's own twin and 0 an unrelated one. Frames are measured at :data:`LINES` lines, where the
matcher's cells are about an eighth of the picture's height.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videocolor.colorizers.matcher import ReferenceMatcher

#: Lines the matcher's features are measured at: as predictive as 144 lines on the training
#: clips, for a fifth of the cost.
LINES = 64
#: The share of a frame's places, the worst-matched, whose likeness counts.
WORST_SHARE = 0.1
#: Most frames of a shot measured; the frames between take their likeness from the nearest
#: measured ones.
MAX_TARGETS = 240


class LikenessMeter:
    """Measures shots with one matcher session."""

    def __init__(self, matcher: ReferenceMatcher | None = None) -> None:
        self.matcher = matcher if matcher is not None else ReferenceMatcher(lines=LINES)

    def features(self, small: np.ndarray) -> np.ndarray:
        """(places, channels) unit-length features of a frame (uint8 luma, any size)."""
        features = self.matcher.features(small.astype(np.float32) / 255.0)
        flat = features.reshape(-1, features.shape[2])
        return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6)

    def measure(self, small: Sequence[np.ndarray], keys: Sequence[int]) -> ShotLikeness:
        """The likeness of every place of the shot's frames ``small`` to each of ``keys``."""
        length = len(small)
        spread = np.linspace(0, length - 1, min(length, MAX_TARGETS))
        targets = np.unique(spread.round().astype(int))
        features = {int(i): self.features(small[int(i)]) for i in targets}
        for key in keys:
            if key not in features:
                features[key] = self.features(small[key])
        measured = np.stack([features[int(i)] for i in targets])
        places, channels = measured.shape[1:]
        flat = measured.reshape(-1, channels)
        best = {
            int(key): (flat @ features[key].T).max(axis=1).reshape(len(targets), places)
            for key in keys
        }
        return ShotLikeness(length, targets, best)


class ShotLikeness:
    """For each measured keyframe, the best likeness of every place of the measured frames."""

    def __init__(self, length: int, targets: np.ndarray, best: dict[int, np.ndarray]) -> None:
        self.length = length
        self.targets = targets
        self._best = {key: np.clip(row, -1.0, 1.0).astype(np.float16) for key, row in best.items()}

    def best_over(self, keys: Sequence[int], taken: np.ndarray | None = None) -> np.ndarray | None:
        """Each measured place's best likeness over ``keys`` and ``taken`` (what this gave for
        other keys); None with neither."""
        union = taken
        for key in keys:
            union = self._best[key] if union is None else np.maximum(union, self._best[key])
        return union

    def worst_matched(self, union: np.ndarray | None) -> np.ndarray:
        """Per frame of the shot, the likeness its worst-matched places (:data:`WORST_SHARE`) find
        in the nearest-looking keyframe, from :meth:`best_over`; 0 with no keyframe."""
        if union is None:
            return np.zeros(self.length, np.float32)
        rank = int(WORST_SHARE * (union.shape[1] - 1))
        worst = np.partition(union, rank, axis=1)[:, rank].astype(np.float32)
        return np.interp(np.arange(self.length), self.targets, worst).astype(np.float32)
