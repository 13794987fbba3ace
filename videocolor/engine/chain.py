"""One step of a chain: carry a frame's chroma to the next frame along optical flow.

A step warps the previous frame's chroma along DIS flow, trusts it as far as the flow's
forward-backward consistency (or, where higher, the luma the flow brings back) allows, takes the
keyframe's own colour where tracking still finds it, re-anchors on the keyframe every few steps,
and repairs what is untrusted (:mod:`videocolor.engine.repair`). Flows run one step ahead on a
worker thread, since they depend on the frames alone.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from videocolor.engine.candidate import Candidate
from videocolor.engine.fill import mix
from videocolor.engine.flow import (
    FlowEstimator,
    compose,
    consistency,
    resize_flow,
    sample,
    samples_inside,
    sampling_map,
    to_flow_input,
)
from videocolor.engine.prior import Prior
from videocolor.engine.repair import refine
from videocolor.engine.settings import PropagationSettings
from videocolor.engine.smooth import Link

#: Luma tolerance of re-anchoring: how far the keyframe's luma fetched along the direct flow may
#: differ from the frame's before that colour is distrusted.
REANCHOR_SIGMA = 0.04


def squared_difference(fetched: np.ndarray, luma: np.ndarray) -> np.ndarray:
    """Per-pixel squared difference of luma brought from elsewhere and a frame's own."""
    difference = fetched - luma
    return difference * difference


def luma_agreement(square: np.ndarray, sigma: float, windowed: bool = False) -> np.ndarray:
    """Gaussian weight (1 = equal) of a :func:`squared_difference`: the check that colour
    brought from elsewhere still belongs to what is here. ``windowed``: of its mean over each
    pixel's 5x5 window, since one pixel's luma matches by chance where a wrong flow lands on
    the same grey and a window's texture rarely does."""
    if windowed:
        square = cv2.boxFilter(square, -1, (5, 5))
    return cv2.exp(square * (-0.5 / sigma**2))


def _fetch(packed: np.ndarray, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A keyframe's chroma and luma fetched at ``coords`` (a flow's sampling map; the keyframe
    packed as luma, a, b, ones: one remap), and where the flow lands inside the keyframe (1) or
    beyond it (0)."""
    key_luma, key_a, key_b, inside = cv2.split(sample(packed, coords))
    return cv2.merge([key_a, key_b]), key_luma, inside


@dataclasses.dataclass(frozen=True)
class Motion:
    """What one step of a chain needs that depends on the frames alone, never on the colour."""

    # (H, W, 2) from the step's frame to the one before it (re-anchoring: to the keyframe)
    flow: np.ndarray
    # (H, W, 2) the flow's sampling map (flow.sampling_map), made once for every warp along it
    sampling: np.ndarray
    # (H, W) the flow's forward-backward consistency; a chain step's also trusts pixels whose
    # luma its flow brings back (PropagationSettings.luma_trust_sigma) and the picture entering
    # at the edge (PropagationSettings.edge_trust)
    trust: np.ndarray
    # With tracking: the flow to the chain's keyframe (the step flows composed). With tracking
    # or for re-anchoring: the keyframe's ab at each pixel's place there, and how much that
    # colour is worth (the luma agreement, 0 where the place is outside the keyframe; for
    # re-anchoring also times the direct flow's consistency).
    to_keyframe: np.ndarray | None = None
    keyframe_ab: np.ndarray | None = None
    keyframe_weight: np.ndarray | None = None
    # A step forwards in time: how the step's frame is pulled back onto the one before, for the
    # smoother (the check flow run the other way, and its consistency).
    link: Link | None = None


class ChainStep:
    """Moves a candidate from one frame to the next and repairs what the warp cannot carry.

    The flows a chain needs and its keyframe tracking depend on the frames only, never on the
    colour, so they are computed one step ahead on a worker thread (:meth:`expect`, a
    :class:`Motion` per step) while this thread warps and repairs the colour of the step before,
    so both cores stay busy. The worker alone touches the DIS instances and their input cache.
    :meth:`close` stops it.
    """

    #: Flow inputs kept: the two frames of a step and the keyframe re-anchored on every few steps.
    CACHED_INPUTS = 4

    def __init__(self, lumas: Sequence[np.ndarray], settings: PropagationSettings) -> None:
        self.lumas = lumas
        self.settings = settings
        self.flow = FlowEstimator(
            settings.flow_preset, settings.flow_patch_stride, settings.flow_refinement
        )
        self.check_flow = FlowEstimator(
            settings.check_preset, settings.check_patch_stride, settings.check_refinement
        )
        self._inputs: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._keyframes: dict[int, np.ndarray] = {}
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="videocolor-flow")
        self._pending: dict[tuple[str, int, int], Future[Motion]] = {}  # ("step"|"anchor", ...)
        # the tracked step that left each (frame, keyframe) last, for the chain's next step
        self._tracked: dict[tuple[int, int], Future[Motion]] = {}
        self._links: dict[int, Link] = {}  # by the frame a forward step reached

    def close(self) -> None:
        """Stop the flow worker (flows asked for and not yet started are dropped)."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        self._tracked.clear()
        self._links.clear()

    def link(self, index: int) -> Link | None:
        """How frame ``index``, reached by a step forwards in time, is pulled back onto the
        frame before it (once: it is forgotten here)."""
        return self._links.pop(index, None)

    def _check_size(self, size: tuple[int, int]) -> tuple[int, int]:
        s = self.settings
        lines = min(size[1], max(s.check_min_lines, round(size[1] * s.check_scale)))
        return max(8, round(size[0] * lines / size[1])), lines

    def _flow_input(self, index: int, luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``index`` (its ``luma``) as DIS takes it, at the working and at the check
        resolution. Every frame is the target of one step and the source of the next, and the
        keyframe is a target every few steps, so the conversion (a non-integer area resize for
        the check) is kept for the last few frames."""
        cached = self._inputs.get(index)
        if cached is not None:
            self._inputs.move_to_end(index)
            return cached
        prepared = to_flow_input(luma)
        size = (prepared.shape[1], prepared.shape[0])
        small = self._check_size(size)
        check = prepared
        if small != size:
            check = cv2.resize(prepared, small, interpolation=cv2.INTER_AREA)
        self._inputs[index] = prepared, check
        if len(self._inputs) > self.CACHED_INPUTS:
            self._inputs.popitem(last=False)
        return prepared, check

    def expect(
        self, source: int, target: int, keyframe: tuple[int, np.ndarray] | None = None
    ) -> None:
        """Start computing :meth:`follow`'s answer for this pair on the worker; with ``keyframe``
        (its index and chroma) also the tracking of the chain that steps from ``target`` (that
        keyframe, or the frame this chain's last tracked step left) to ``source``. The frames are
        read here, on the caller's thread, so ``lumas`` need not be safe to share."""
        if ("step", source, target) in self._pending:
            return
        a, b = self.lumas[source], self.lumas[target]
        tracked, before = keyframe is not None and self.settings.track_sigma > 0, None
        if tracked and target != keyframe[0]:
            before = self._tracked.pop((target, keyframe[0]), None)
            tracked = before is not None  # else the step that reached ``target`` was untracked
        if tracked:
            packed = self._keyframe(*keyframe)
            job = self._worker.submit(self._follow_tracked, source, a, target, b, before, packed)
            self._tracked[source, keyframe[0]] = job
        else:
            job = self._worker.submit(self._follow_step, source, a, target, b)
        self._pending["step", source, target] = job

    def follow(
        self, source: int, target: int, keyframe: tuple[int, np.ndarray] | None = None
    ) -> Motion:
        """Flow from frame ``source`` to frame ``target`` (indices into the shot) at the working
        resolution, with its per-pixel consistency (checked at the check resolution) and, with
        ``keyframe``, the chain's tracking (:meth:`expect`)."""
        self.expect(source, target, keyframe)
        return self._pending.pop(("step", source, target)).result()

    def expect_anchor(self, source: int, keyframe: tuple[int, np.ndarray]) -> None:
        """Start computing :meth:`anchor`'s answer on the worker (frames read here, as in
        :meth:`expect`)."""
        key, key_ab = keyframe
        if ("anchor", source, key) not in self._pending:
            a, b, packed = self.lumas[source], self.lumas[key], self._keyframe(key, key_ab)
            job = self._worker.submit(self._follow_anchor, source, a, key, b, packed)
            self._pending["anchor", source, key] = job

    def anchor(self, source: int, keyframe: tuple[int, np.ndarray]) -> Motion:
        """The flow from frame ``source`` straight to the keyframe (index, chroma), the
        keyframe's chroma fetched along it, and how much that is worth: the flow's consistency
        times how well the keyframe's luma fetched the same way matches the frame's."""
        self.expect_anchor(source, keyframe)
        return self._pending.pop(("anchor", source, keyframe[0])).result()

    def _follow_anchor(
        self, source: int, luma_a: np.ndarray, key: int, luma_key: np.ndarray, packed: np.ndarray
    ) -> Motion:
        motion = self._follow(source, luma_a, key, luma_key)
        fetched, key_luma, inside = _fetch(packed, motion.sampling)
        square, trust = squared_difference(key_luma, luma_a), motion.trust
        if self.settings.anchor_luma_sigma:
            agreement = luma_agreement(square, self.settings.anchor_luma_sigma, windowed=True)
            trust = np.maximum(trust, agreement * inside)
        weight = trust * luma_agreement(square, REANCHOR_SIGMA)
        return dataclasses.replace(motion, keyframe_ab=fetched, keyframe_weight=weight)

    def _follow_tracked(
        self,
        source: int,
        luma_a: np.ndarray,
        target: int,
        luma_b: np.ndarray,
        before: Future[Motion] | None,
        packed: np.ndarray,
    ) -> Motion:
        """The step's flows, and where each pixel was in the keyframe: the step's flow composed
        with the previous step's flow to the keyframe (``before``, already done: the worker takes
        its jobs in order), where the keyframe's chroma is fetched."""
        motion = self._follow_step(source, luma_a, target, luma_b)
        to_keyframe, coords = motion.flow, motion.sampling
        if before is not None:
            to_keyframe = compose(motion.flow, before.result().to_keyframe, motion.sampling)
            coords = sampling_map(to_keyframe)
        fetched, key_luma, inside = _fetch(packed, coords)
        square = squared_difference(key_luma, luma_a)
        weight = luma_agreement(square, self.settings.track_sigma) * inside
        return dataclasses.replace(
            motion, to_keyframe=to_keyframe, keyframe_ab=fetched, keyframe_weight=weight
        )

    def _follow_step(
        self, source: int, luma_a: np.ndarray, target: int, luma_b: np.ndarray
    ) -> Motion:
        """A chain step's flow and trust: the consistency, or where higher, how well the luma the
        flow brings back matches (``luma_trust_sigma``); where the flow leaves the frame before
        (the picture entering), the colour at its edge is trusted ``edge_trust``
        (:class:`PropagationSettings`)."""
        linked = source > target and self.settings.smooth_strength > 0
        motion = self._follow(source, luma_a, target, luma_b, linked)
        settings, trust = self.settings, motion.trust
        inside = samples_inside(motion.sampling)
        if settings.luma_trust_sigma:
            luma_b = np.asarray(luma_b, np.float32)
            pulled = sample(luma_b, motion.sampling, border=cv2.BORDER_REPLICATE)
            square = squared_difference(pulled, luma_a)
            agreement = luma_agreement(square, settings.luma_trust_sigma, windowed=True)
            agreement[inside == 0] = 0.0
            trust = np.maximum(trust, agreement)
        if settings.edge_trust:
            entering = cv2.bitwise_not(inside).astype(np.float32)  # 255 or 0
            trust = cv2.scaleAdd(entering, settings.edge_trust / 255.0, trust)
        return dataclasses.replace(motion, trust=trust)

    def _follow(
        self, source: int, luma_a: np.ndarray, target: int, luma_b: np.ndarray, linked=False
    ) -> Motion:
        """The flow from ``source`` to ``target`` and its trust; ``linked``: also the link that
        pulls ``source`` back onto ``target`` (:class:`Motion`)."""
        (a, small_a), (b, small_b) = (
            self._flow_input(source, luma_a),
            self._flow_input(target, luma_b),
        )
        flow = self.flow(a, b)
        small = (small_a.shape[1], small_a.shape[0])
        forward = flow if small == (a.shape[1], a.shape[0]) else resize_flow(flow, small)
        back = self.check_flow(small_b, small_a)
        trust = consistency(forward, back, self.settings.check_sigma)
        if forward is not flow:
            trust = cv2.resize(trust, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_LINEAR)
        link = None
        if linked:
            sigma = self.settings.check_sigma
            link = Link(sampling_map(back), consistency(back, forward, sigma))
        return Motion(flow, sampling_map(flow), trust, link=link)

    def __call__(
        self,
        previous: Candidate,
        prev_index: int,
        index: int,
        prior: Prior,
        keyframe: tuple[int, np.ndarray],
        reanchor: bool = False,
    ) -> Candidate:
        """The candidate for frame ``index`` from frame ``prev_index``'s, in the chain of
        ``keyframe`` (its index and chroma); with ``reanchor`` the keyframe is also followed to
        directly, so that drift does not accumulate."""
        luma = self.lumas[index]
        motion = self.follow(index, prev_index, keyframe)
        if motion.link is not None:
            self._links[index] = motion.link
        to_prev = motion.sampling
        edge = cv2.BORDER_REPLICATE  # what enters the picture: see PropagationSettings.edge_trust
        trust = sample(previous.confidence, to_prev, border=edge) * motion.trust
        if previous.matched is None:
            ab, carried = sample(previous.ab, to_prev, border=edge), None
        else:  # one remap for both: four channels take OpenCV's fast path, five do not
            packed = cv2.merge([previous.ab, previous.matched])
            moved = cv2.split(sample(packed, to_prev, border=edge))
            ab, carried = cv2.merge(moved[:2]), cv2.merge(moved[2:])
        distance = previous.distance + 1
        if reanchor:
            ab, trust = self._reanchor(ab, trust, index, keyframe, distance)
        if motion.keyframe_ab is not None:  # the keyframe's own colour where the luma still matches
            ab = mix(motion.keyframe_ab, ab, motion.keyframe_weight)
        repaired = refine(ab, trust, luma, prior, self.settings)
        return Candidate(repaired.ab, repaired.confidence, distance, carried)

    def _reanchor(
        self,
        ab: np.ndarray,
        trust: np.ndarray,
        index: int,
        anchor: tuple[int, np.ndarray],
        distance: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Blend in chroma fetched straight from the keyframe where that flow is trustworthy."""
        direct = self.anchor(index, anchor)
        chained = trust * self.settings.decay**distance
        weight = direct.keyframe_weight
        blended = mix(direct.keyframe_ab, ab, weight / np.maximum(weight + chained, 1e-6))
        return blended, np.maximum(trust, weight).astype(np.float32)

    def _keyframe(self, key: int, key_ab: np.ndarray) -> np.ndarray:
        """Keyframe ``key``'s luma, chroma and a plane of ones (0 where a sample falls outside
        it) as one four-channel image, made once per keyframe (on the caller's thread: it reads
        ``lumas``): four channels take OpenCV's fast remap."""
        packed = self._keyframes.get(key)
        if packed is None:
            luma = np.asarray(self.lumas[key], np.float32)
            packed = cv2.merge([luma, np.asarray(key_ab, np.float32), np.ones_like(luma)])
            self._keyframes[key] = packed
        return packed
