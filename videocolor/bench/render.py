"""The grey input a method sees and the picture it is scored on, built exactly as the product does.

A score is only worth having if it is the score of what a user gets. So the grey input is the
product's own luma of an 8-bit RGB frame (8-bit full-range codes, BT.601 below 720 lines, as
:func:`videocolor.io.imageseq.image_luma` reads a folder of frames), and the output is those same
codes recombined with the method's chroma (:func:`videocolor.color.recombine`, which fits chroma
into the gamut), converted to RGB and rounded to 8 bits as the PNG sink writes it. The grey
baseline is therefore the true luma with zero chroma, and no method can win by changing tones.
"""

from __future__ import annotations

import numpy as np

from videocolor.color import (
    CodeRange,
    Matrix,
    decode_luma,
    encode_luma,
    lab_chroma_to_cbcr,
    planes_to_rgb,
    recombine,
    rgb_to_luma,
)

#: Code range of the grey input: 8-bit full range, what an image sequence's luma is read as.
CODE_RANGE = CodeRange(bit_depth=8, full_range=True)


def luma_codes(rgb: np.ndarray, matrix: Matrix) -> np.ndarray:
    """8-bit Y' codes (H, W) of an 8-bit RGB image: its black-and-white version."""
    return encode_luma(rgb_to_luma(rgb.astype(np.float32) / 255.0, matrix), CODE_RANGE)


def unit_luma(codes: np.ndarray) -> np.ndarray:
    """Y' in [0, 1] (float32) of luma codes: what a method is given."""
    return decode_luma(codes, CODE_RANGE)


def compose(codes: np.ndarray, cbcr: np.ndarray | None, matrix: Matrix) -> np.ndarray:
    """The 8-bit RGB picture of luma codes with normalised Cb/Cr (None: grey)."""
    if cbcr is None:
        cbcr = np.zeros((*codes.shape, 2), np.float32)
    if cbcr.shape != (*codes.shape, 2):
        raise ValueError(f"chroma of shape {cbcr.shape} for a {codes.shape} frame")
    planes = recombine(codes, cbcr, CODE_RANGE, matrix)
    return np.rint(planes_to_rgb(*planes, CODE_RANGE, matrix) * 255.0).astype(np.uint8)


def compose_ab(codes: np.ndarray, ab: np.ndarray, matrix: Matrix) -> np.ndarray:
    """The 8-bit RGB picture of luma codes with CIELAB chroma ``ab`` (lightness from the luma)."""
    return compose(codes, lab_chroma_to_cbcr(unit_luma(codes), ab, matrix), matrix)
