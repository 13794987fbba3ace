"""The knobs of the propagation engine, one line each; what was measured for each is in
``docs/benchmarks.md``."""

from __future__ import annotations

import dataclasses

from videocolor.engine.flow import Preset


@dataclasses.dataclass(frozen=True)
class PropagationSettings:
    """Knobs of the classical engine; every default was measured on DAVIS-2016 val (the
    alternatives are in ``docs/benchmarks.md``)."""

    flow_preset: Preset = "medium"  # DIS at the working resolution follows small, fast things
    flow_patch_stride: int = 6  # finer strides gain a little for much more time a frame
    flow_refinement: int = 0  # the fusion and repair do better with the rawer flow
    check_preset: Preset = "medium"  # the check flow also carries colour back for the smoother
    check_patch_stride: int | None = 6  # None: the preset's
    check_refinement: int | None = 0  # as cheap as DIS fast at the check's resolution
    check_scale: float = 0.45  # the backward flow and its check run coarser (216 of 480 lines)
    check_min_lines: int = 216  # ... never below this
    check_sigma: float = 4.0  # forward-backward tolerance, check pixels; luma trusts cover the rest
    anchor_every: int = 4  # re-anchor on the keyframe along a direct flow every N frames
    anchor_luma_sigma: float = 0.02  # trust re-anchoring where the keyframe's luma agrees (0: off)
    track_sigma: float = 0.02  # take the tracked keyframe colour where its luma agrees (0: off)
    edge_trust: float = 0.1  # what enters the picture takes its edge's colour at this trust
    luma_trust_sigma: float = 0.02  # trust a step where its flow brings the luma back (0: off)
    decay: float = 0.97  # fusion weight kept per frame of distance from the keyframe
    refine_radius: int = 4  # guided-fit window radius (working-resolution pixels)
    refine_eps: float = 1e-3  # guided-fit regularisation
    evidence_threshold: float = 0.1  # window confidence under which the hole fill takes over
    fill_confidence: float = 0.25  # confidence of filled pixels when chained onwards
    fill_cell: int = 16  # bilateral-grid fill: cell size (repair-resolution pixels)...
    fill_levels: int = 8  # ...and number of luma levels
    repair_scale: float = 0.33  # untrusted pixels have no detail worth full resolution
    match_every: int = 6  # colour matched to the keyframes every N frames of a chain (0: never)
    match_share: float = 0.2  # share of each pixel's doubt given to the matched colour
    smooth_strength: float = 4.0  # weight of the next frame's colour pulled back (0: no smoother)
    smooth_decay: float = 0.9  # trust kept per frame the smoother pulls back
    smooth_lookahead: int = 8  # frames the smoother sees ahead before it lets a frame go
