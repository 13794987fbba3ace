"""The detector's thresholds, in one place so tests and callers can see and change them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectorSettings:
    """Thresholds measured on aged test reels (``tests/film_defects.py``); units in comments.

    Structure distances run from 0 (same picture) to about 1 (unrelated pictures); tone
    distances are mean differences of tone curves expressed as multiples of the frame's mean.
    """

    cut_distance: float = 0.45  # structure step a hard cut must reach
    cut_ratio: float = 3.0  # ... and its ratio to the median step of the frames around it
    cut_window: int = 8  # frames each side that make that median
    cut_persist: float = 0.3  # structure distance across the cut between frames two apart
    flat_contrast: float = 0.02  # frames flatter than this (unit luma std) show no hard cut
    black_level: float = 0.12  # 95th percentile of unit luma below which a frame is black ...
    black_contrast: float = 0.04  # ... if its contrast is this low too (not a caption on black)
    black_gap: int = 3  # black runs this close are one fade (a flash of grain between them)
    fade_reach: int = 48  # longest fade in or out, frames
    # half-spans k of the comparisons that see dissolves: frames t - k and t + k straddle
    # dissolves of up to about 2k frames (16 to 48: half a second to two seconds at 24 fps); a
    # span is blind within k frames of another transition, so the middle one sees dissolves of
    # 16 to 32 frames that lie too close to a cut or fade for the long one
    spans: tuple[int, ...] = (8, 12, 24)
    dissolve_structure: float = 0.35  # layout change across a dissolve, frames 2k apart
    # tone change across a dissolve, frames 2k apart: 0.12 missed 6 of 24 dissolves between
    # similar-toned clips on the tuning half of tests/shot_reels.py; 0.04-0.10 all find them
    dissolve_tone: float = 0.08
    # for each half-span, how much better the middle frame must fit a cross-fade of the ends than
    # an area mix (see measures.mix_ratio); a longer span sees more motion and needs more
    dissolve_mix: tuple[float, ...] = (0.4, 0.35, 0.25)
    min_shot: int = 4  # of two cuts closer than this, only the stronger is kept

    def __post_init__(self) -> None:
        if len(self.spans) != len(self.dissolve_mix):
            raise ValueError("DetectorSettings: give one dissolve_mix per span")
