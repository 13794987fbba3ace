"""Pictures the page shows: a frame at the preview resolution, its colour, image files.

Colour is shown as the engine writes it: the frame's own Y' with Cb/Cr from CIELAB ``ab``, fitted
into the gamut (:func:`videocolor.color.fit_chroma_to_gamut`), so what the page shows has the
film's tones exactly.
"""

from __future__ import annotations

import cv2
import numpy as np

from videocolor import color
from videocolor.engine.clip import resize, work_size

#: Lines of the preview resolution: hints and previews at this size answer within a second on a
#: laptop CPU, and it is enough to judge colour.
PREVIEW_LINES = 240
JPEG_QUALITY = 88


def preview_size(width: int, height: int, lines: int = PREVIEW_LINES) -> tuple[int, int]:
    """(width, height) of a frame at the preview resolution (never larger than the frame)."""
    return work_size(width, height, lines)


def shrink(luma: np.ndarray, lines: int = PREVIEW_LINES) -> np.ndarray:
    """Y' (float32) at the preview resolution."""
    height, width = luma.shape
    return resize(np.ascontiguousarray(luma, np.float32), preview_size(width, height, lines))


def colour_rgb(luma: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """R'G'B' in [0, 1] of Y' ``luma`` given the chroma of CIELAB ``ab`` (BT.709, as reference
    images are read), Y' kept."""
    cbcr = color.fit_chroma_to_gamut(luma, color.lab_chroma_to_cbcr(luma, ab))
    rgb = color.ycbcr_to_rgb(np.dstack([luma, cbcr]))
    return np.clip(rgb, 0.0, 1.0)


def grey_rgb(luma: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(luma, 0.0, 1.0)[..., None], 3, axis=-1)


def to_8bit(rgb: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def encode(rgb8: np.ndarray, extension: str = ".jpg") -> bytes:
    """An RGB (or RGBA) uint8 picture as image file bytes."""
    code = cv2.COLOR_RGBA2BGRA if rgb8.shape[-1] == 4 else cv2.COLOR_RGB2BGR
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if extension == ".jpg" else []
    ok, data = cv2.imencode(extension, cv2.cvtColor(rgb8, code), params)
    if not ok:
        raise ValueError(f"could not encode a {rgb8.shape} picture as {extension}")
    return data.tobytes()


def unsure_overlay(confidence: np.ndarray) -> np.ndarray:
    """RGBA uint8: magenta where the engine is unsure of the colour, as opaque as the doubt,
    transparent where it is sure (drawn over the coloured frame)."""
    doubt = np.clip(1.0 - confidence, 0.0, 1.0)
    alpha = np.rint(np.clip((doubt - 0.25) / 0.75, 0.0, 1.0) * 200.0).astype(np.uint8)
    height, width = confidence.shape
    overlay = np.empty((height, width, 4), np.uint8)
    overlay[..., :3] = (255, 0, 200)
    overlay[..., 3] = alpha
    return overlay
