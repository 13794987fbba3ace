"""Propagation of reference colour through a shot along optical flow, with per-pixel confidence.

For every keyframe of a shot a *chain* walks away from it, frame by frame, in both directions:
the previous frame's chroma is warped along DIS flow, its confidence is multiplied by the flow's
forward-backward consistency (or, where higher, how well the luma the flow brings back matches)
and a per-step decay, and the result is refined and filled
edge-aware (:mod:`videocolor.engine.fill`) against the current frame's luma. It also tracks where
each pixel was in the keyframe and takes the keyframe's own colour from there where the luma still
matches (no blur from warping the colour again at every step); every few steps it also
takes in, where it is unsure, the colour the frame matches in the keyframes without any flow
(:mod:`videocolor.colorizers.matcher`). Each frame then fuses the chains that reach it (at most one
from each side: the nearest keyframes) by confidence, and a smoother a few frames behind brings what
the frames after it learnt back to it (:mod:`videocolor.engine.smooth`). Colour never crosses a shot
boundary because each shot is propagated on its own.

Chroma here is CIELAB ``ab`` at the working resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from videocolor.engine.candidate import Candidate, CandidateStore, fuse, with_matched_colour
from videocolor.engine.chain import ChainStep
from videocolor.engine.prior import Prior
from videocolor.engine.settings import PropagationSettings
from videocolor.engine.smooth import Smoother


def classical_finish(luma: np.ndarray, fused: Candidate | None, prior: Prior) -> np.ndarray:
    """The fused chains' chroma as it is; the prior where no chain reaches.

    Snapping the output's chroma to the frame's luma edges again gained too little for its
    time (``docs/benchmarks.md``)."""
    return fused.ab if fused is not None else prior(luma)


#: Turns a frame's fused candidate (None: no chain reached it) into its final chroma. The
#: network engine (:mod:`videocolor.engine.clip`) swaps in the colourisation network here.
Finish = Callable[[np.ndarray, Candidate | None, Prior], np.ndarray]

#: The colour of a frame (by its index in the shot) matched straight to the shot's keyframes
#: (:class:`videocolor.colorizers.matcher.ReferenceMatcher`) where its chain's candidate is unsure.
Matched = Callable[[int, Candidate], np.ndarray]


def propagate_shot(
    lumas: Sequence[np.ndarray],
    keyframes: dict[int, np.ndarray],
    prior: Prior,
    settings: PropagationSettings = PropagationSettings(),
    finish: Finish = classical_finish,
    matched: Matched | None = None,
) -> Iterator[np.ndarray]:
    """Chroma ``ab`` for every frame of one shot, in order, from its keyframes' chroma.

    ``lumas`` are the shot's frames (working resolution, [0, 1]); ``keyframes`` maps positions in
    the shot to reference chroma. A backward pass chains from each keyframe to the previous one
    and is kept in a :class:`CandidateStore` (disk-backed for long shots, so memory does not grow
    with the shot); a forward pass then chains from each keyframe to the next, fuses with what is
    stored and hands each frame to a :class:`videocolor.engine.smooth.Smoother`, which yields it
    once it has seen ``settings.smooth_lookahead`` frames after it. Frames before the first or after
    the last keyframe have one chain, and after the last keyframe nothing is stored. ``finish``
    makes each frame's final chroma from its fused candidate (the network, or the candidate as it
    is). ``matched`` gives a frame's colour matched straight to the keyframes; every
    ``settings.match_every`` steps a chain blends it in where it is unsure
    (:func:`with_matched_colour`).
    """
    count = len(lumas)
    last_key = max(keyframes)
    store = CandidateStore(last_key + 1, lumas[0].shape)
    step = ChainStep(lumas, settings)
    match_every = settings.match_every if matched is not None else 0
    lookahead = settings.smooth_lookahead if settings.smooth_strength > 0 else 0

    def reanchors(distance: int) -> bool:
        return bool(settings.anchor_every) and distance % settings.anchor_every == 0

    def walk(order: range) -> Iterator[tuple[int, Candidate | None]]:
        current, previous, key = None, None, 0
        for position, index in enumerate(order):
            if index in keyframes:
                current = Candidate(keyframes[index], np.ones(lumas[index].shape, np.float32))
                key = index
            if current is not None and position + 1 < len(order):  # the next step's flows
                following, distance = order[position + 1], current.distance + 1
                if following not in keyframes:
                    step.expect(following, index, (key, keyframes[key]))
                    if reanchors(distance + (index not in keyframes)):
                        step.expect_anchor(following, (key, keyframes[key]))
            if index not in keyframes and current is not None:
                distance = current.distance + 1
                current = step(
                    current, previous, index, prior, (key, keyframes[key]), reanchors(distance)
                )
                if match_every and distance % match_every == 0:
                    current.matched = matched(index, current)
                if current.matched is not None:
                    current = with_matched_colour(current, settings.match_share)
            previous = index
            yield index, current

    try:
        # Backward chains only exist before the last keyframe: store those, then stream forward.
        for index, candidate in walk(range(last_key, -1, -1)):
            if index not in keyframes:
                store.put(index, candidate)
        smoother = Smoother(settings.smooth_strength, settings.smooth_decay, lookahead)
        for index, candidate in walk(range(count)):
            backward = store.get(index) if index < last_key else None
            chains = [c for c in (candidate, backward) if c is not None]
            fused = fuse(chains, settings.decay) if chains else None
            # where a backward chain reaches, it already brings what the later frames know
            kept = index in keyframes or backward is not None
            for done, smoothed in smoother.push(index, fused, step.link(index), kept):
                yield finish(lumas[done], smoothed, prior)
        for done, smoothed in smoother.finish():
            yield finish(lumas[done], smoothed, prior)
    finally:
        step.close()
