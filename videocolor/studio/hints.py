"""Colouring a keyframe from a few clicked points: the network's hint mode.

Each point is a colour the colourist picked at a place in the frame; it becomes a small disc of
that colour's CIELAB ``ab`` with full confidence in the network's hint inputs (as interactive
colourisation is trained and benchmarked, :mod:`videocolor.bench.hints`), and the network spreads
it over the object it lands on. The frame's Y' is kept, so a hinted keyframe saved as a painted
reference passes ``refs check`` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from videocolor import color
from videocolor.colorizers.network import DEFAULT_LINES, ColorNetwork
from videocolor.studio.pictures import colour_rgb

#: A hint's radius as a share of the frame's height: a few pixels at the network's resolution,
#: the size of the patches it was trained with.
HINT_RADIUS = 0.02


@dataclass(frozen=True)
class PointHint:
    """A colour (8-bit R'G'B') at a place given as shares of the frame's width and height."""

    x: float
    y: float
    rgb: tuple[int, int, int]

    def __post_init__(self) -> None:
        if not (0.0 <= self.x <= 1.0 and 0.0 <= self.y <= 1.0):
            raise ValueError(f"a hint's place must be inside the frame, got ({self.x}, {self.y})")
        if len(self.rgb) != 3 or not all(0 <= c <= 255 for c in self.rgb):
            raise ValueError(f"a hint's colour must be three values 0 to 255, got {self.rgb}")

    @property
    def ab(self) -> np.ndarray:
        """CIELAB ``ab`` of the colour."""
        unit = np.asarray(self.rgb, np.float32).reshape(1, 1, 3) / 255.0
        return color.rgb_to_lab(unit)[0, 0, 1:]


def hint_planes(
    shape: tuple[int, int], hints: Sequence[PointHint]
) -> tuple[np.ndarray, np.ndarray]:
    """The network's hint inputs at ``shape`` (height, width): ``ab`` and confidence planes."""
    height, width = shape
    ab = np.zeros((height, width, 2), np.float32)
    confidence = np.zeros((height, width), np.float32)
    radius = max(2, round(HINT_RADIUS * height))
    for hint in hints:
        centre = (round(hint.x * (width - 1)), round(hint.y * (height - 1)))
        disc = np.zeros((height, width), np.uint8)
        cv2.circle(disc, centre, radius, 1, thickness=-1)
        inside = disc.astype(bool)
        ab[inside] = hint.ab
        confidence[inside] = 1.0
    return ab, confidence


def colour_with_hints(
    network: ColorNetwork, luma: np.ndarray, hints: Sequence[PointHint], lines: int = DEFAULT_LINES
) -> np.ndarray:
    """R'G'B' in [0, 1] of Y' ``luma`` coloured by the network following ``hints`` (automatic
    colour where there are none)."""
    if hints:
        hint_ab, confidence = hint_planes(luma.shape, hints)
        ab = network(luma, hint_ab, confidence, lines=lines)
    else:
        ab = network(luma, lines=lines)
    return colour_rgb(luma, ab)
