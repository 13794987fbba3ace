"""A backward pass over a shot's propagated colour, a few frames behind the forward one.

The chains carry colour forwards in time (from frame 0 of a shot with one reference), so each
frame's colour knows only the frames before it. What the frames after it learnt (colour matched
to the keyframe a few frames later, a repair that settled) never reaches back. This pass pulls
each frame's finished colour back onto the frame before along the flow between them and blends
it in by trust, from the end of a window to its start: a fixed-lag smoother. It works on a coarse
copy of the colour (the flow check's resolution) and adds the change to the full colour, so the
chroma's fine detail is not resampled again.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from videocolor.engine.candidate import Candidate
from videocolor.engine.fill import mix


@dataclasses.dataclass(frozen=True)
class Link:
    """How a frame's colour is pulled back onto the frame before it, at the check resolution:
    the sampling map from the frame before into this one (its flow's
    :func:`videocolor.engine.flow.sampling_map`) and that flow's forward-backward consistency."""

    sampling: np.ndarray  # (h, w, 2)
    trust: np.ndarray  # (h, w)


@dataclasses.dataclass
class _Entry:
    index: int
    candidate: Candidate | None  # at the working resolution
    link: Link | None  # from the frame before onto this one
    kept: bool  # a keyframe, or a frame a backward chain reaches: its colour is not changed
    # a, b, confidence and a spare plane (four channels take OpenCV's fast paths) at the links'
    # resolution, made when the sweep first needs it
    coarse: np.ndarray | None = None


class Smoother:
    """Takes each frame's colour in order (:meth:`push`) and gives it back smoothed once
    ``lookahead`` frames after it have arrived (:meth:`finish` gives the rest), so memory holds
    at most twice ``lookahead`` frames whatever the shot's length.

    ``strength``: how much the colour pulled back from the next frame weighs against a frame's
    own confidence, times its trust there; ``decay``: the trust it keeps per frame pulled back.
    """

    def __init__(self, strength: float, decay: float, lookahead: int) -> None:
        self.strength, self.decay, self.lookahead = strength, decay, lookahead
        self._window: list[_Entry] = []

    def push(
        self, index: int, candidate: Candidate | None, link: Link | None, kept: bool = False
    ) -> list[tuple[int, Candidate | None]]:
        """Add frame ``index``'s candidate (None: no colour; ``link``: how it is pulled back onto
        the frame pushed before, None: it is not; ``kept``: its colour is not to change, though
        it is still pulled back to the frame before) and
        return (index, candidate) for the frames that are ready, their colour smoothed."""
        if candidate is not None and candidate.matched is not None:
            candidate = dataclasses.replace(candidate, matched=None)  # the chain's, not needed
        self._window.append(_Entry(index, candidate, link, kept))
        if len(self._window) < max(2 * self.lookahead, 1):
            return []
        return self._emit(max(self.lookahead, 1))

    def finish(self) -> list[tuple[int, Candidate | None]]:
        """Every frame still held, smoothed."""
        return self._emit(len(self._window))

    def _emit(self, count: int) -> list[tuple[int, Candidate | None]]:
        """Sweep the window, then hand out its first ``count`` frames, each with the change the
        sweep made to its coarse colour brought up to the working resolution."""
        swept, ready = self._sweep(), []
        for entry, coarse in zip(self._window[:count], swept, strict=False):
            candidate = entry.candidate
            if candidate is not None and coarse is not None and entry.coarse is not None:
                a, b, _, _ = cv2.split(cv2.subtract(coarse, entry.coarse))
                size = (candidate.ab.shape[1], candidate.ab.shape[0])
                change = cv2.resize(cv2.merge([a, b]), size, interpolation=cv2.INTER_LINEAR)
                candidate = dataclasses.replace(candidate, ab=cv2.add(candidate.ab, change))
            ready.append((entry.index, candidate))
        del self._window[:count]
        return ready

    def _sweep(self) -> list[np.ndarray | None]:
        """The window's coarse colour after the backward pass (None where a frame keeps its
        own): from the last frame to the first, each takes in the next one's, pulled back along
        the next one's link and weighted by its confidence there times the link's trust."""
        swept: list[np.ndarray | None] = [None] * len(self._window)
        # the next frame's coarse colour as swept, or the frame itself while its own colour is
        # not needed yet (kept frames are mostly never pulled from: their coarse copy waits)
        following: np.ndarray | _Entry | None = None
        for position in range(len(self._window) - 1, -1, -1):
            entry = self._window[position]
            after = self._window[position + 1] if position + 1 < len(self._window) else None
            pull = after.link if after is not None else None  # brings ``following`` here
            if entry.candidate is None:
                following = None  # nothing reaches back past here
                continue
            if entry.kept or following is None or pull is None:
                following = entry
                continue
            if isinstance(following, _Entry):
                following = _coarse_of(following, pull.trust.shape)
            own = _coarse_of(entry, pull.trust.shape)
            moved = cv2.remap(
                following, pull.sampling, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )  # beyond the next frame the link's trust is 0
            weight = cv2.multiply(moved[..., 2], pull.trust, scale=self.strength * self.decay)
            own_weight = np.maximum(own[..., 2], 1e-3)
            blended = mix(moved, own, cv2.divide(weight, cv2.add(weight, own_weight)))
            blended[..., 2] = np.maximum(own[..., 2], weight * (1.0 / self.strength))
            swept[position] = following = blended
        return swept


def _coarse_of(entry: _Entry, shape: tuple[int, int]) -> np.ndarray:
    """The entry's coarse copy (:func:`_coarse`), made once."""
    if entry.coarse is None:
        entry.coarse = _coarse(entry.candidate, shape)
    return entry.coarse


def _coarse(candidate: Candidate, shape: tuple[int, int]) -> np.ndarray:
    """The candidate's a, b, confidence and a spare plane at ``shape``: shrunk by the largest
    whole factor by area (OpenCV's fast path, a fifth of the time of a fractional one), the rest
    of the way linearly."""
    ab, confidence = candidate.ab, candidate.confidence
    height, width = confidence.shape
    factor = height // shape[0]
    if factor > 1 and height % factor == 0 and width % factor == 0:
        small = (width // factor, height // factor)
        ab = cv2.resize(ab, small, interpolation=cv2.INTER_AREA)
        confidence = cv2.resize(confidence, small, interpolation=cv2.INTER_AREA)
    if confidence.shape != shape:
        ab = cv2.resize(ab, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
        confidence = cv2.resize(confidence, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.merge([ab, confidence, confidence])
