"""Coverage: how much of a frame a keyframe's colours can reach by optical flow.

A keyframe covers its own pixels. Walking away from it frame by frame, a pixel stays covered
while the flow that carries it is trustworthy: forward-backward consistent
(:func:`videocolor.engine.flow.consistency`) where the picture has texture, and photometrically
consistent where it has none. Flat regions (sky, walls) need the second rule because DIS returns
arbitrary vectors there that fail the round trip although any colour carried into them would be
right; they are moved with the motion of the textured pixels around them instead. Once a pixel
is lost it stays lost, so the covered share only falls: when it falls far, the shot needs
another keyframe (:mod:`videocolor.refs.suggest`).

Measured on the A-bomb excerpt (flow at 256 px wide, walking from each shot's first frame): the
three shots with little camera motion keep 0.83-0.90 covered to their ends, 61-165 frames on (the
border is what they lose, through gate weave); the shot through a car window falls to 0.63 in 44
frames as the background changes behind it. Without the flat-region rule the sign and the truck
shots fell to 0.68 and 0.54 within about ten frames, their skies lost.
"""

from __future__ import annotations

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


class CoverageStep:
    """Moves a covered-pixel mask from one frame to the next one (either direction in time)."""

    def __init__(self) -> None:
        self.flow = FlowEstimator("fast")

    def __call__(self, mask: np.ndarray, here: np.ndarray, there: np.ndarray) -> np.ndarray:
        """The mask on ``there``'s grid, given the mask on ``here`` (8-bit luma frames)."""
        to_here = self.flow(there, here)
        trust = consistency(to_here, self.flow(here, there))
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
        step_ok = np.where(flat, similar, textured_ok)
        moved = (warp(mask, carry) > 0.5) & step_ok
        # Specks are holes the colouriser fills from their neighbours; they are not lost.
        return cv2.medianBlur(moved.astype(np.uint8) * 255, 5).astype(np.float32) / 255.0
