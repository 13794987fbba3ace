"""Propagation of reference colour through a shot along optical flow, with per-pixel confidence.

For every keyframe of a shot a *chain* walks away from it, frame by frame, in both directions:
the previous frame's chroma is warped along DIS flow, its confidence is multiplied by the flow's
forward-backward consistency (or, where higher, how well the luma the flow brings back matches)
and a per-step decay, and the result is refined and filled
edge-aware (:mod:`videocolor.fill`) against the current frame's luma. It also tracks where each
pixel was in the keyframe and takes the keyframe's own colour from there where the luma still
matches (no blur from warping the colour again at every step); every few steps it also
takes in, where it is unsure, the colour the frame matches in the keyframes without any flow
(:mod:`videocolor.matching`). Each frame then fuses the chains that reach it (at most one from
each side: the nearest keyframes) by confidence, and a smoother a few frames behind brings what
the frames after it learnt back to it (:mod:`videocolor.smooth`). Colour never crosses a shot
boundary because each shot is propagated on its own.

Chroma here is CIELAB ``ab`` at the working resolution.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from videocolor.fill import BilateralGrid, mix, per_channel, weighted_guided_filter
from videocolor.flow import (
    FlowEstimator,
    Preset,
    compose,
    consistency,
    resize_flow,
    sample,
    samples_inside,
    sampling_map,
    to_flow_input,
)
from videocolor.prior import Prior
from videocolor.smooth import Link, Smoother
from videocolor.spill import spill_array


@dataclasses.dataclass(frozen=True)
class PropagationSettings:
    """Knobs of the classical engine; defaults measured on the DAVIS benchmark (see docs)."""

    # Each default below was chosen on DAVIS-2016 val, ref0, all frames (pooled PSNR; the
    # alternatives measured are in the comments).
    # The flow that carries colour runs at the working resolution: DIS medium there matches its
    # patches at half of it (its finest scale), and follows small, fast things better than flow
    # at 216 of 480 lines (a soapbox car growing from a few pixels: flow only +0.34 dB on that
    # clip, bmx-trees +0.50). With the settings below, against flow at 216 lines (patch stride 5,
    # 1 refinement iteration, then the default): +0.13 dB (30.77 -> 30.90, gains on 17 of 20
    # clips, kite-surf -0.37) for about 6 ms more CPU a 480p frame (7 % fewer frames per second
    # end to end); stride 7: +0.09. Measured with the check at 480 lines too (sigma 10): stride 6
    # +0.15, stride 5 with 1 iteration +0.16 and stride 8 with 1 iteration +0.07; at 336 lines
    # (stride 5, 1 iteration, sigma 7) +0.07. Checking at 480 lines as well (DIS ultrafast there,
    # +0.14 dB) cost 17 % of the frame rate end to end instead of 7 %.
    flow_preset: Preset = "medium"
    flow_patch_stride: int = 6
    # DIS medium's variational refinement smooths the flow (5 iterations, 60 % of its time); the
    # fusion and repair here do better with the rawer flow (at 216 lines, 1 iteration measured
    # +0.07 dB over 5, 0: +0.06; the check flow's 5 kept: 2 and 0 measured -0.01 dB).
    flow_refinement: int = 0
    # The backward flow checks the forward one, so it and the check run coarser, at
    # ``check_scale`` of the working resolution (216 of 480 lines), never below
    # ``check_min_lines``; the forward flow is shrunk to meet it. DIS fast is three times cheaper
    # than the medium preset there (ultrafast: -0.04 dB). With fast the tolerance and the
    # anchoring interval were measured (with matching, flow at 216 lines): fast, every 4,
    # sigma 7 gave -0.05 dB and 5 % less flicker (CDC) than medium, every 3, sigma 3, for about
    # 15 % more frames per second end to end (sigma 3: -0.09 dB, 5: -0.05, 10: -0.07; every 3
    # at sigma 7: +0.01 dB, 6 % slower).
    # The check flow also carries colour back for the smoother (videocolor.smooth), which
    # wants it finer than DIS fast: medium with patch stride 6 and no variational refinement
    # costs no more than fast at 216 lines (1.6 against 1.8 ms) and leaves the chains as they
    # were (proxy 31.153 against 31.154 without smoothing); with smoothing it measured 31.256
    # against 31.164 for fast (stride 4: 31.277, for 1 ms more a frame on the flow worker;
    # 1 refinement iteration: 31.263).
    check_preset: Preset = "medium"
    check_patch_stride: int | None = 6  # None: the preset's
    check_refinement: int | None = 0
    check_scale: float = 0.45
    check_min_lines: int = 216  # (with the flow at 216 lines too: 240: -0.05 dB, 192: -0.27)
    # Forward-backward tolerance in check-flow pixels. With the luma trusts below taking over
    # where the luma confirms a flow, a stricter check measured better (proxy, DAVIS ref0, from
    # 31.336 dB at 7): 4: 31.355, 2.5: 31.356; with fill_confidence 0.25 as well: 31.367 (3:
    # 31.366; fill 0.2: 31.362; and match_share 0.3: 31.362).
    check_sigma: float = 4.0
    # Re-anchor on the keyframe every N frames (see check_preset; 0: -0.7). Its direct flow is
    # a second opinion: started from the chain's tracked place (DIS takes an initial flow) it
    # measured 31.182 dB against 31.367 (proxy), as it then repeats the tracking's mistakes.
    # Starting each step's flow from the step before's (whole or half of it): 31.353 / 31.365.
    # A second candidate from 2 or 3 frames back along its own flow, fused by trust: 31.391 /
    # 31.399, for one more flow and check a frame (about 13 ms on the flow worker): not kept.
    # The direct flow at patch stride 4 / 3, or with 5 refinement iterations: 31.379 / 31.351 /
    # 31.357.
    anchor_every: int = 4
    # Re-anchoring's direct flow spans many frames and the coarse check confirms little of it,
    # so, as a chain step does (``luma_trust_sigma``), it is also trusted as far as the
    # keyframe's luma it fetches matches the frame's over a 5x5 window (0: off). Measured (proxy,
    # DAVIS ref0, with the step's luma trust): 31.279 -> 31.336 dB; sigma 0.015 / 0.03 / 0.045:
    # 31.325 / 31.328 / 31.268; re-anchoring every 3 frames with it: 31.337; the smoother's
    # links trusted the same way at the check's resolution: +0.002.
    anchor_luma_sigma: float = 0.02
    # Each chain also tracks where every pixel was in its keyframe (the step flows composed) and
    # takes the keyframe's colour from there wherever the keyframe's luma at that place still
    # matches the frame's within ``track_sigma`` (Gaussian weight): colour warped again at every
    # step blurs a little each time, the keyframe sampled once does not. With the repair at a
    # third (below): +0.11 dB (30.90 -> 31.01; goat +0.46, kite-surf +0.46, car-shadow +0.45,
    # camel +0.39; parkour -0.17, paragliding-launch -0.16; 11 of 20 clips gain), SSIM 0.9756 ->
    # 0.9751, for about 5 ms a 480p frame. Measured (proxy runs, repair at a half): sigma 0.01:
    # -0.01 dB, 0.03: -0.005; weighting it by the chain's trust as well: the same; comparing 3x3
    # or 5x5 patches of luma: -0.04, -0.07; restarting the tracked place from the direct flow
    # where re-anchoring trusts it: -0.14; re-anchoring every 6 or 8 frames with it: -0.02,
    # -0.06 dB. Composing the flows with the border replicated (flow.compose) instead of warping
    # the places with a far-off marker beyond the border, which bilinear sampling spread one
    # pixel a frame into the tracked places next to wherever the picture had entered: +0.04 dB
    # (31.01 -> 31.05, gains on 19 of 20 clips; proxy 31.010 -> 31.048); with it (proxy)
    # sigma 0.03: -0.014 dB, re-anchoring every 6: -0.023, fill_confidence 0.25 / 0.45 / 0.15:
    # +0.011 / -0.028 / -0.055, decay 0.95: -0.023, matching every 4th frame: +0.087 for about
    # 7 % of the frame rate (16.3 -> 15.3 frames/s, medians of three side by side).
    track_sigma: float = 0.02  # 0: no tracking
    # A pixel entering the picture (its flow lands beyond the previous frame) takes the colour
    # at the edge it enters from, as the border is replicated, trusted ``edge_trust`` times the
    # confidence there: the picture usually goes on as it was at its edge (a wall, a lawn, the
    # sky), and the repair still corrects it against the frame's luma. Before, it had no colour
    # and no trust, and the repair alone guessed it. Measured (proxy): +0.11 dB (31.05 -> 31.16)
    # and 2 % less flicker (CDC 0.00473 -> 0.00462); 0.15, 0.3 and 0.5: the same, 1.0: -0.9 dB
    # (the strip that enters keeps its trust and is never repaired). Without matching
    # (match_every 0) 0.1 and 0.15 gain too (30.56 against 30.52 before) but 0.3 loses 0.21 dB
    # on the bench (soapbox -0.96, libby -0.85): nothing then draws a wrong edge colour towards
    # what the new thing matches in the keyframe. With 0.3 (proxy, not kept):
    # tracking also fetching the keyframe's edge colour for places beyond it, at half the luma
    # agreement: +0.016 (whole: -0.020); tracking fetching the keyframe's guided-filter
    # coefficients (radius 1 or 2) applied to the frame's luma instead of its colour: +0.026,
    # for a second remap per step; the luma check on blurred luma (sigma 1, 2 px): -0.008,
    # -0.028; fill_confidence 0.25: +0.006; match_share 0.3: +0.011; refine_eps 3e-4: +0.004;
    # refine_radius 6: -0.018; the repair mixed in by trust**0.6 / trust**1.6: -0.017 / +0.007;
    # the output's chroma shrunk towards grey by 0.2 of its doubt: -0.46 dB (first 40 frames).
    edge_trust: float = 0.1
    # The forward-backward check runs on the coarse check flow, which loses small, fast things
    # (motocross-jump's rider at 216 lines): the fine flow follows them, but the check distrusts
    # them and the repair paints them with what is around (frame 1 of that clip: 35.8 dB against
    # 41.5 for the plain warp). So a step also trusts a pixel as far as the previous frame's
    # luma, pulled along the step's flow, matches its own over a 5x5 window (Gaussian weight,
    # ``luma_trust_sigma``; 0: off), taking the larger of the two trusts. Measured (proxy, DAVIS
    # ref0): 31.253 -> 31.279 dB; sigma 0.01 / 0.04: 31.270 / 31.279, a 3x3 / 9x9 window:
    # 31.279 / 31.277, 0.6 of the agreement: 31.277. With the flow at patch stride 3 it gained
    # twice as much (31.313; motocross-jump +0.54) but that flow costs 23 ms more a frame.
    luma_trust_sigma: float = 0.02
    # The knobs below were measured again with the luma trusts (proxy, DAVIS ref0, default
    # 31.367 dB), none enough to change: decay 0.98 / 0.95: 31.369 / 31.354; refine_radius 6:
    # 31.322; evidence_threshold 0.05 / 0.2: 31.366 / 31.288; fill_cell 12 / 24: 31.372 /
    # 31.359; fill_levels 12: 31.374; and edge_trust (above) 0.2: 31.369.
    decay: float = 0.97  # fusion weight kept per frame of distance from the keyframe
    refine_radius: int = 4  # guided-fit window radius (working-resolution pixels)
    refine_eps: float = 1e-3
    evidence_threshold: float = 0.1  # window confidence under which the hole fill takes over
    # Confidence given to filled pixels when chained onwards (0.35 before the luma trusts; then
    # 0.25 alone measured +0.015 dB, and with check_sigma 4 above).
    fill_confidence: float = 0.25
    fill_cell: int = 16  # bilateral-grid fill: cell size (repair-resolution pixels)...
    fill_levels: int = 8  # ...and number of luma levels
    # Resolution of the repair of untrusted pixels (min 120 lines), as a whole fraction of the
    # working resolution: a third (160 of 480 lines, guided window radius 1 there) measured
    # within 0.005 dB of a half (radius 2) at about half the work; 0.4 (192 lines, radius 2):
    # -0.05 dB.
    repair_scale: float = 0.33
    # Colour matched to the keyframes (videocolor.matching) is computed every ``match_every``
    # frames of a chain (0: never) and carried along the flow in between; every frame gives
    # ``match_share`` of each pixel's doubt (1 - confidence) to it. Blending it in whole on
    # matching frames only measured +0.09 dB more but 11 % more flicker (CDC); share 0.35: -0.04.
    match_every: int = 6
    match_share: float = 0.2
    # Each frame's finished colour also takes in the next frame's, pulled back along the flow
    # between them at the check's resolution (videocolor.smooth): ``smooth_strength`` is its
    # weight against the frame's own confidence, times the link's trust (0: no smoothing),
    # ``smooth_decay`` the trust kept per frame, ``smooth_lookahead`` the frames seen ahead.
    # Measured (proxy, DAVIS ref0): 31.153 -> 31.256 dB (gains on 17 of 20 clips); strength 2 /
    # 8: 31.251 / 31.202, decay 0.8: 31.255, lookahead 4: 31.244; with it match_share 0.35 /
    # 0.5: 31.266 / 31.232. Prototype on whole shots first: the blend as a share of the frame's
    # doubt only (like the matched colour's) gained a third as much.
    smooth_strength: float = 4.0
    smooth_decay: float = 0.9
    smooth_lookahead: int = 8


@dataclasses.dataclass
class Candidate:
    """Chroma for one frame from one chain, with how much each pixel is trusted."""

    ab: np.ndarray  # (H, W, 2) float32
    confidence: np.ndarray  # (H, W) float32 in [0, 1]
    distance: int = 0  # frames from the keyframe the chain started at
    matched: np.ndarray | None = None  # (H, W, 2) keyframe-matched ab, carried along the chain


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
    :class:`Motion` per step) while this thread warps and repairs the colour of the step before:
    on the 2-core benchmark machine the flows alone raised the end-to-end frame rate by about
    7 % (the engine's numpy and OpenCV work between flows leaves a core partly idle). Moving the
    tracking and re-anchoring's keyframe fetch there too measured 15.2 -> 16.8 frames/s in one
    comparison and 15.6 -> 15.5 in another (medians of three side-by-side runs of a 240-frame
    480p clip each): with both cores busy, moving work between threads only helps while one of
    them waits. The worker alone touches the DIS instances and their input cache. :meth:`close`
    stops it.
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


#: The repair's resolution never goes below this many lines (PropagationSettings.repair_scale).
REPAIR_MIN_LINES = 120


def refine(
    ab: np.ndarray,
    trust: np.ndarray,
    luma: np.ndarray,
    prior: Prior,
    settings: PropagationSettings,
) -> Candidate:
    """Keep trusted chroma; elsewhere snap it to this frame's luma edges or fill it.

    The repair (a confidence-weighted guided fit, and where the fit has too little evidence a
    bilateral-grid fill that takes colour from trusted pixels nearby *of similar luma*, so that a
    disocclusion gets the background's colour rather than the moving object's: +0.2 dB on the
    benchmark over a purely spatial push-pull) runs at ``repair_scale`` of the working
    resolution: it only decides the colour of untrusted pixels, which have no fine detail worth
    paying full resolution for.
    ``prior`` gives the chroma used, with its ``weight``, where nothing nearby is trusted at all
    (:mod:`videocolor.prior`), so a new object gets a plausible colour rather than grey.
    """
    size = (luma.shape[1], luma.shape[0])
    # A whole factor (the frame padded by its edge to a multiple of it) takes OpenCV's fast area
    # shrink: about half the time of a fractional one, three times a frame.
    factor = max(1, min(round(1.0 / settings.repair_scale), size[1] // REPAIR_MIN_LINES))
    pad_x, pad_y = -size[0] % factor, -size[1] % factor
    small = ((size[0] + pad_x) // factor, (size[1] + pad_y) // factor)
    lines = small[1]

    def shrink(data: np.ndarray) -> np.ndarray:
        if factor == 1:
            return data
        if pad_x or pad_y:
            data = cv2.copyMakeBorder(data, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
        return cv2.resize(data, small, interpolation=cv2.INTER_AREA)

    s_luma, s_ab, s_trust = shrink(luma), shrink(ab), shrink(trust)
    s_prior = prior(s_luma)
    radius = max(1, round(settings.refine_radius * lines / size[1]))
    fitted, evidence = weighted_guided_filter(s_luma, s_ab, s_trust, radius, settings.refine_eps)
    weak = prior.weight
    grid = BilateralGrid(s_luma.shape, 2, settings.fill_cell, settings.fill_levels)
    spread, spread_weight = grid.splat(s_luma, s_ab, s_trust).filled().slice(s_luma)
    holes = (spread + weak * s_prior) / per_channel(spread_weight + weak, 2)
    share = np.clip(evidence / settings.evidence_threshold, 0.0, 1.0).astype(np.float32)
    repaired_ab = mix(fitted, holes, share)
    if factor > 1:
        padded = (size[0] + pad_x, size[1] + pad_y)
        repaired_ab = _crop(cv2.resize(repaired_ab, padded, interpolation=cv2.INTER_LINEAR), size)
        share = _crop(cv2.resize(share, padded, interpolation=cv2.INTER_LINEAR), size)
    chroma = mix(ab, repaired_ab, trust)
    confidence = np.maximum(trust, settings.fill_confidence * share)
    return Candidate(chroma, confidence.astype(np.float32))


def _crop(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The top-left ``size`` (width, height) of ``image``, contiguous (OpenCV's kernels want it)."""
    if (image.shape[1], image.shape[0]) == size:
        return image
    return np.ascontiguousarray(image[: size[1], : size[0]])


def with_matched_colour(candidate: Candidate, share: float) -> Candidate:
    """The candidate with its keyframe-matched colour blended in where it is unsure: a pixel
    gives ``share`` of its doubt (1 - confidence) to the matched colour."""
    weight = 1.0 - share * (1.0 - candidate.confidence)
    return dataclasses.replace(candidate, ab=mix(candidate.ab, candidate.matched, weight))


def fuse(candidates: Sequence[Candidate], decay: float) -> Candidate:
    """Confidence-weighted mean of the chains reaching a frame; nearer keyframes weigh more."""
    if len(candidates) == 1:
        return candidates[0]
    weights = [
        per_channel(np.maximum(c.confidence, 1e-4) * decay**c.distance, 2) for c in candidates
    ]
    total = sum(weights)
    ab = sum(w * c.ab for w, c in zip(weights, candidates, strict=True)) / total
    confidence = np.maximum.reduce([c.confidence for c in candidates])
    return Candidate(ab, confidence, min(c.distance for c in candidates))


def classical_finish(luma: np.ndarray, fused: Candidate | None, prior: Prior) -> np.ndarray:
    """The fused chains' chroma as it is; the prior where no chain reaches.

    Snapping the output's chroma to the frame's luma edges (a guided filter on the working
    resolution, not fed back into the chains) measured on DAVIS-2016 val ref0 +0.03 dB at
    radius 1 (eps 3e-3; radius 2: +0.03, 3: -0.02, 4: -0.08; weighted by confidence: -0.32 dB,
    doubtful pixels take their confident neighbours' colour) for about 6 ms a 480p frame, more
    than the 15 frames/s target leaves: not kept."""
    return fused.ab if fused is not None else prior(luma)


#: Turns a frame's fused candidate (None: no chain reached it) into its final chroma. The
#: network engine (:mod:`videocolor.engine`) swaps in the colourisation network here.
Finish = Callable[[np.ndarray, Candidate | None, Prior], np.ndarray]

#: The colour of a frame (by its index in the shot) matched straight to the shot's keyframes
#: (:class:`videocolor.matching.ReferenceMatcher`) where its chain's candidate is unsure.
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
    stored and hands each frame to a :class:`videocolor.smooth.Smoother`, which yields it once
    it has seen ``settings.smooth_lookahead`` frames after it. Frames before the first or after
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
