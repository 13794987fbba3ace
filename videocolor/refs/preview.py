"""A frame as the keyframes painted so far colour it: the engine run over the stretch of its shot
that decides its colour, at the flow resolution (``refs suggest --add``'s contact sheet).

The engine colours a frame from the nearest keyframe on each side (:mod:`videocolor.engine.shot`),
so the stretch runs from the painted keyframe before the frame to the one after it. With none
after, it runs a little past the frame (the smoother's lookahead); with none at all, the network
colours the frame on its own, as the product colours a shot nobody painted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from videocolor import color
from videocolor.engine.clip import EngineSettings, colorize_clip

#: The matrix the preview's chroma makes the round trip through; any does, as long as it is one.
_MATRIX = "bt709"


def colour_as_now(
    frames: Sequence[np.ndarray],
    position: int,
    painted: Mapping[int, np.ndarray],
    settings: EngineSettings,
) -> np.ndarray:
    """Frame ``position`` of a shot (``frames``: its luma as 8-bit images) coloured by the engine
    from the ``painted`` keyframes (position in the shot → RGB in [0, 1], any size), as 8-bit
    BGR."""
    before = max((k for k in painted if k <= position), default=None)
    after = min((k for k in painted if k >= position), default=None)
    start = position if before is None else before
    if after is not None:
        end = after + 1
    elif before is not None:
        end = min(len(frames), position + 2 * settings.propagation.smooth_lookahead + 1)
    else:
        end = position + 1
    lumas = [np.asarray(frames[i], np.float32) / 255.0 for i in range(start, end)]
    keys = {k for k in (before, after) if k is not None}
    references = {k - start: painted[k] for k in keys}
    coloured = colorize_clip(lumas, references, _MATRIX, settings)
    try:
        cbcr = next(itertools.islice(coloured, position - start, None))
    finally:
        coloured.close()
    luma = lumas[position - start]
    rgb = np.clip(color.ycbcr_to_rgb(np.dstack([luma, cbcr]), _MATRIX), 0.0, 1.0)
    return np.ascontiguousarray((rgb[..., ::-1] * 255.0 + 0.5).astype(np.uint8))
