"""Coverage: how much of a frame a keyframe's colours can reach by optical flow.

A keyframe covers its own pixels. Walking away from it frame by frame, a pixel stays covered
while the flow that carries it is trustworthy: forward-backward consistent
(:func:`videocolor.engine.flow.consistency`) where the picture has texture, and photometrically
consistent where it has none. Flat regions (sky, walls) need the second rule because DIS returns
arbitrary vectors there that fail the round trip although any colour carried into them would be
right; they are moved with the motion of the textured pixels around them instead. Once a pixel
is lost it stays lost, so the covered share only falls.

Each pair of neighbouring frames is measured once (:meth:`CoverageStep.carries`), in both
directions, as a :class:`Carry`: where each pixel comes from and whether the step is trusted. A
walk from any keyframe is then a chain of cheap nearest-neighbour remaps at half the flow
resolution (:func:`move`), so the coverage from every candidate keyframe of a shot
(:mod:`videocolor.refs.reach`) costs little more than the flow between its neighbours.

Measured on the A-bomb excerpt (flow at 256 px wide, walking from each shot's first frame): the
three shots with little camera motion keep 0.83-0.90 covered to their ends, 61-165 frames on (the
border is what they lose, through gate weave); the shot through a car window falls to 0.63 in 44
frames as the background changes behind it. Without the flat-region rule the sign and the truck
shots fell to 0.68 and 0.54 within about ten frames, their skies lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from videocolor.engine.flow import FlowEstimator, consistency, warp

#: Local standard deviation of Y' (7x7 window at the flow resolution) under which a pixel is
#: flat: film grain in a clear sky stays below it, edges and texture are far above.
FLAT_STD = 0.03
#: |ΔY'| (after removing the frames' mean difference, i.e. flicker) a flat pixel may change by.
PHOTO_TOLERANCE = 0.05
#: Flow consistency (0..1) from which a textured pixel's step is trusted.
TRUST = 0.5
#: Walks run at this fraction of the flow resolution: a share of the picture needs no more.
WALK_SCALE = 0.5


@dataclass(frozen=True)
class Carry:
    """One step of a walk at the walk resolution: ``pull`` (int16, H x W x 2) is the pixel of
    the previous frame each pixel comes from (outside the frame where it enters the picture),
    ``kept`` (uint8) is 255 where the step is trusted."""

    pull: np.ndarray
    kept: np.ndarray


def move(mask: np.ndarray, carry: Carry) -> np.ndarray:
    """A covered-pixel mask (uint8, 255 = covered) carried one step along ``carry``."""
    moved = cv2.remap(mask, carry.pull, None, cv2.INTER_NEAREST, borderValue=0)
    # Specks are holes the colouriser fills from their neighbours; they are not lost.
    return cv2.medianBlur(cv2.bitwise_and(moved, carry.kept), 3)


def _local_std(luma: np.ndarray) -> np.ndarray:
    mean = cv2.blur(luma, (7, 7))
    return np.sqrt(np.maximum(cv2.blur(luma * luma, (7, 7)) - mean * mean, 0.0))


def _smooth_flow(flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The flow of the trusted textured pixels, spread smoothly over the frame (normalised
    convolution with a Gaussian of an eighth of the width, computed at 32 pixels wide)."""
    height, width = weight.shape
    small = (32, max(2, round(32 * height / width)))
    total = cv2.resize(flow * weight[..., None], small, interpolation=cv2.INTER_AREA)
    norm = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    total = cv2.GaussianBlur(total, (0, 0), 4.0)
    norm = cv2.GaussianBlur(norm, (0, 0), 4.0)
    spread = total / np.maximum(norm, 1e-3)[..., None]
    return cv2.resize(spread, (width, height), interpolation=cv2.INTER_LINEAR)


def walk_size(flow_size: tuple[int, int]) -> tuple[int, int]:
    """The walk resolution (width, height) for frames analysed at ``flow_size``."""
    return (
        max(4, round(flow_size[0] * WALK_SCALE)),
        max(4, round(flow_size[1] * WALK_SCALE)),
    )


def _pull_map(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-pixel sampling coordinates at the walk resolution for a flow at the flow's."""
    height, width = flow.shape[:2]
    scale_x, scale_y = size[0] / width, size[1] / height
    small = cv2.resize(flow, size, interpolation=cv2.INTER_AREA)
    grid_x, grid_y = np.meshgrid(np.arange(size[0]), np.arange(size[1]))
    map_x = (grid_x + small[..., 0] * scale_x).astype(np.float32)
    map_y = (grid_y + small[..., 1] * scale_y).astype(np.float32)
    pull, _ = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2, nninterpolation=True)
    return pull


class CoverageStep:
    """Measures how a covered-pixel mask moves between two neighbouring frames."""

    def __init__(self) -> None:
        self.flow = FlowEstimator("fast")

    def carries(self, first: np.ndarray, second: np.ndarray) -> tuple[Carry, Carry]:
        """The steps from ``first`` to ``second`` and back (8-bit luma at the flow resolution)."""
        to_first, to_second = self.flow(second, first), self.flow(first, second)
        return (
            self._carry(to_first, to_second, first, second),
            self._carry(to_second, to_first, second, first),
        )

    def _carry(
        self, to_here: np.ndarray, back: np.ndarray, here: np.ndarray, there: np.ndarray
    ) -> Carry:
        """The step that moves a mask on ``here`` onto ``there``'s grid; ``to_here`` is the flow
        from ``there`` to ``here``, ``back`` the opposite one."""
        trust = consistency(to_here, back)
        here_y, there_y = here.astype(np.float32) / 255.0, there.astype(np.float32) / 255.0
        flat = _local_std(there_y) < FLAT_STD
        textured_ok = trust > TRUST
        carry = np.where(
            flat[..., None],
            _smooth_flow(to_here, (textured_ok & ~flat).astype(np.float32)),
            to_here,
        )
        pulled = warp(here_y, carry)
        similar = np.abs(pulled - pulled.mean() - there_y + there_y.mean()) < PHOTO_TOLERANCE
        step_ok = np.where(flat, similar, textured_ok).astype(np.uint8) * 255
        size = walk_size((here.shape[1], here.shape[0]))
        kept = cv2.resize(step_ok, size, interpolation=cv2.INTER_AREA)
        return Carry(_pull_map(carry, size), cv2.compare(kept, 127, cv2.CMP_GT))
