"""Propagation of reference colour through a shot along optical flow, with per-pixel confidence.

For every keyframe of a shot a *chain* walks away from it, frame by frame, in both directions:
the previous frame's chroma is warped along DIS flow, its confidence is multiplied by the flow's
forward-backward consistency and a per-step decay, and the result is refined and filled
edge-aware (:mod:`videocolor.fill`) against the current frame's luma. Each frame then fuses the
chains that reach it (at most one from each side: the nearest keyframes) by confidence. Colour
never crosses a shot boundary because each shot is propagated on its own.

Chroma here is CIELAB ``ab`` at the working resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from videocolor.fill import pyramid_fill, weighted_guided_filter
from videocolor.flow import (
    FlowEstimator,
    Preset,
    consistency,
    resize_flow,
    to_flow_input,
    warp,
)
from videocolor.prior import ColourPrior
from videocolor.spill import spill_array


@dataclass(frozen=True)
class PropagationSettings:
    """Knobs of the classical engine; defaults measured on the DAVIS benchmark (see docs)."""

    flow_preset: Preset = "medium"
    flow_scale: float = 0.5  # flow at half the working resolution: 4x cheaper, ~0.1 dB
    flow_min_lines: int = 240  # ...but never coarser than this (small frames keep full detail)
    decay: float = 0.97  # fusion weight kept per frame of distance from the keyframe
    refine_radius: int = 4  # guided-fit window radius (working-resolution pixels)
    refine_eps: float = 1e-3
    evidence_threshold: float = 0.3  # window confidence under which the hole fill takes over
    fill_confidence: float = 0.2  # confidence given to filled pixels when chained onwards
    repair_scale: float = 0.5  # resolution of the repair of untrusted pixels (min 120 lines)
    anchor_every: int = 2  # re-anchor on the keyframe every N frames (0: never)
    prior_weight: float = 0.02  # weight of the luma-conditioned colour prior in the fill


@dataclass
class Candidate:
    """Chroma for one frame from one chain, with how much each pixel is trusted."""

    ab: np.ndarray  # (H, W, 2) float32
    confidence: np.ndarray  # (H, W) float32 in [0, 1]
    distance: int = 0  # frames from the keyframe the chain started at


class ChainStep:
    """Moves a candidate from one frame to the next and repairs what the warp cannot carry."""

    def __init__(self, settings: PropagationSettings) -> None:
        self.settings = settings
        self.flow = FlowEstimator(settings.flow_preset)

    def _flow_size(self, size: tuple[int, int]) -> tuple[int, int]:
        s = self.settings
        lines = min(size[1], max(s.flow_min_lines, round(size[1] * s.flow_scale)))
        return max(8, round(size[0] * lines / size[1])), lines

    def follow(self, source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flow from frame ``source`` to frame ``target`` (luma in [0, 1]) at the flow resolution,
        returned at the working resolution with its per-pixel consistency."""
        size = (source.shape[1], source.shape[0])
        small = self._flow_size(size)
        a, b = to_flow_input(source), to_flow_input(target)
        if small != size:
            a = cv2.resize(a, small, interpolation=cv2.INTER_AREA)
            b = cv2.resize(b, small, interpolation=cv2.INTER_AREA)
        flow = self.flow(a, b)
        trust = consistency(flow, self.flow(b, a))
        if small != size:
            flow = resize_flow(flow, size)
            trust = cv2.resize(trust, size, interpolation=cv2.INTER_LINEAR)
        return flow, trust

    def __call__(
        self,
        previous: Candidate,
        prev_luma: np.ndarray,
        luma: np.ndarray,
        prior: np.ndarray,
        anchor: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Candidate:
        """The candidate for ``luma`` from the previous frame's, optionally re-anchored on the
        keyframe itself (``anchor`` = its luma and chroma) so that drift does not accumulate."""
        to_prev, step_trust = self.follow(luma, prev_luma)
        ab = warp(previous.ab, to_prev)
        trust = warp(previous.confidence, to_prev) * step_trust
        if anchor is not None:
            ab, trust = self._reanchor(ab, trust, luma, anchor, previous.distance + 1)
        repaired = refine(ab, trust, luma, prior, self.settings)
        return Candidate(repaired.ab, repaired.confidence, previous.distance + 1)

    def _reanchor(
        self,
        ab: np.ndarray,
        trust: np.ndarray,
        luma: np.ndarray,
        anchor: tuple[np.ndarray, np.ndarray],
        distance: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Blend in chroma fetched straight from the keyframe where that flow is trustworthy."""
        key_luma, key_ab = anchor
        to_key, key_trust = self.follow(luma, key_luma)
        agreement = np.exp(-((warp(key_luma, to_key) - luma) ** 2) / (2 * 0.04**2))
        direct = key_trust * agreement
        chained = trust * self.settings.decay**distance
        total = np.maximum(direct + chained, 1e-6)[..., None]
        blended = (chained[..., None] * ab + direct[..., None] * warp(key_ab, to_key)) / total
        return blended.astype(np.float32), np.maximum(trust, direct).astype(np.float32)


def refine(
    ab: np.ndarray,
    trust: np.ndarray,
    luma: np.ndarray,
    prior: np.ndarray,
    settings: PropagationSettings,
) -> Candidate:
    """Keep trusted chroma; elsewhere snap it to this frame's luma edges or fill it.

    The repair (a confidence-weighted guided fit, and a push-pull fill where the fit has too
    little evidence) runs at ``repair_scale`` of the working resolution: it only decides the
    colour of untrusted pixels, which have no fine detail worth paying full resolution for.
    ``prior`` is the chroma used where nothing nearby is trusted at all (the reference's colour
    given luma), so a new object gets a plausible colour rather than grey.
    """
    size = (luma.shape[1], luma.shape[0])
    lines = min(size[1], max(120, round(size[1] * settings.repair_scale)))
    small = (max(8, round(size[0] * lines / size[1])), lines)

    def shrink(data: np.ndarray) -> np.ndarray:
        return data if small == size else cv2.resize(data, small, interpolation=cv2.INTER_AREA)

    s_luma, s_ab, s_trust, s_prior = shrink(luma), shrink(ab), shrink(trust), shrink(prior)
    radius = max(1, round(settings.refine_radius * lines / size[1]))
    fitted, evidence = weighted_guided_filter(s_luma, s_ab, s_trust, radius, settings.refine_eps)
    weak = settings.prior_weight
    holes = pyramid_fill(
        (s_trust[..., None] * s_ab + weak * s_prior) / (s_trust + weak)[..., None], s_trust + weak
    )
    share = np.clip(evidence / settings.evidence_threshold, 0.0, 1.0)
    repaired = np.dstack([share[..., None] * fitted + (1.0 - share[..., None]) * holes, share])
    if small != size:
        repaired = cv2.resize(repaired, size, interpolation=cv2.INTER_LINEAR)
    kept = trust[..., None]
    chroma = kept * ab + (1.0 - kept) * repaired[..., :2]
    confidence = np.maximum(trust, settings.fill_confidence * repaired[..., 2])
    return Candidate(chroma.astype(np.float32), confidence.astype(np.float32))


def fuse(candidates: Sequence[Candidate], decay: float) -> Candidate:
    """Confidence-weighted mean of the chains reaching a frame; nearer keyframes weigh more."""
    if len(candidates) == 1:
        return candidates[0]
    weights = [(np.maximum(c.confidence, 1e-4) * decay**c.distance)[..., None] for c in candidates]
    total = sum(weights)
    ab = sum(w * c.ab for w, c in zip(weights, candidates, strict=True)) / total
    confidence = np.maximum.reduce([c.confidence for c in candidates])
    return Candidate(ab, confidence, min(c.distance for c in candidates))


def classical_finish(luma: np.ndarray, fused: Candidate | None, prior: ColourPrior) -> np.ndarray:
    """The fused chains' chroma as it is; the prior where no chain reaches."""
    return fused.ab if fused is not None else prior(luma)


#: Turns a frame's fused candidate (None: no chain reached it) into its final chroma. The
#: network engine (:mod:`videocolor.engine`) swaps in the colourisation network here.
Finish = Callable[[np.ndarray, Candidate | None, ColourPrior], np.ndarray]


def propagate_shot(
    lumas: Sequence[np.ndarray],
    keyframes: dict[int, np.ndarray],
    prior: ColourPrior,
    settings: PropagationSettings = PropagationSettings(),
    finish: Finish = classical_finish,
) -> Iterator[np.ndarray]:
    """Chroma ``ab`` for every frame of one shot, in order, from its keyframes' chroma.

    ``lumas`` are the shot's frames (working resolution, [0, 1]); ``keyframes`` maps positions in
    the shot to reference chroma. A backward pass chains from each keyframe to the previous one
    and is kept in a :class:`CandidateStore` (disk-backed for long shots, so memory does not grow
    with the shot); a forward pass then chains from each keyframe to the next, fuses with what is
    stored and yields each frame at once. Frames before the first or after the last keyframe have
    one chain, and after the last keyframe nothing is stored. ``finish`` makes each frame's
    final chroma from its fused candidate (the network, or the candidate as it is).
    """
    count = len(lumas)
    last_key = max(keyframes)
    store = CandidateStore(last_key + 1, lumas[0].shape)
    step = ChainStep(settings)

    def walk(order: range, direction: int) -> Iterator[tuple[int, Candidate | None]]:
        current, previous = None, None
        for index in order:
            if index in keyframes:
                current = Candidate(keyframes[index], np.ones(lumas[index].shape, np.float32))
            elif current is not None:
                distance = current.distance + 1
                anchor = None
                if settings.anchor_every and distance % settings.anchor_every == 0:
                    key = index - distance * direction
                    anchor = (lumas[key], keyframes[key])
                current = step(current, lumas[previous], lumas[index], prior(lumas[index]), anchor)
            previous = index
            yield index, current

    # Backward chains only exist before the last keyframe: store those, then stream forward.
    for index, candidate in walk(range(last_key, -1, -1), -1):
        if index not in keyframes:
            store.put(index, candidate)
    for index, candidate in walk(range(count), 1):
        backward = store.get(index) if index < last_key else None
        chains = [c for c in (candidate, backward) if c is not None]
        fused = fuse(chains, settings.decay) if chains else None
        yield finish(lumas[index], fused, prior)


class CandidateStore:
    """One candidate per frame of a shot (ab + confidence as float16, distance), spilled to disk
    when large (:func:`videocolor.spill.spill_array`)."""

    def __init__(self, count: int, shape: tuple[int, int]) -> None:
        self._data = spill_array((count, *shape, 3), np.float16)
        self._present = np.zeros(count, bool)
        self._distance = np.zeros(count, np.int64)

    def put(self, index: int, candidate: Candidate | None) -> None:
        if candidate is None:
            return
        self._data[index, ..., :2] = candidate.ab
        self._data[index, ..., 2] = candidate.confidence
        self._present[index] = True
        self._distance[index] = candidate.distance

    def get(self, index: int) -> Candidate | None:
        if not self._present[index]:
            return None
        data = np.asarray(self._data[index], np.float32)
        return Candidate(data[..., :2], data[..., 2], int(self._distance[index]))
