"""Colour conversions between R'G'B', Y'CbCr and CIELAB, and the luma-preserving recombination.

Every function is vectorised numpy on float32 arrays with the channel axis last. Conventions:

- R'G'B' is gamma-encoded (sRGB transfer for Lab conversions) in [0, 1].
- Y'CbCr is *normalised*: Y' in [0, 1], Cb and Cr in [-0.5, 0.5]. Code values (limited or full
  range, any bit depth) are produced and read only by :func:`encode_ycbcr` / :func:`decode_luma`
  and :func:`decode_chroma`, so the rest of the program never thinks about ranges.
- CIELAB uses D65, L in [0, 100], a/b roughly in [-110, 110]: the network's colour space, as in the
  colourisation literature.

:func:`colorfulness` measures how colourful a picture is (a grey reference has none).

The one rule the product never breaks lives here: :func:`recombine` returns the *input* luma plane
untouched and only ever adds chroma, fitted into the gamut so that converting to RGB and back
reproduces the film's tones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

Matrix = Literal["bt601", "bt709", "bt2020"]

#: Luma coefficients (Kr, Kb) of each matrix; Kg = 1 - Kr - Kb.
LUMA_COEFFICIENTS: dict[str, tuple[float, float]] = {
    "bt601": (0.299, 0.114),
    "bt709": (0.2126, 0.0722),
    "bt2020": (0.2627, 0.0593),
}


def _coefficients(matrix: str) -> tuple[float, float, float]:
    try:
        kr, kb = LUMA_COEFFICIENTS[matrix]
    except KeyError:
        raise ValueError(
            f"unknown colour matrix {matrix!r}; expected one of {sorted(LUMA_COEFFICIENTS)}"
        ) from None
    return kr, 1.0 - kr - kb, kb


def default_matrix(height: int) -> Matrix:
    """The matrix an untagged stream of this height uses: BT.601 for SD, BT.709 from 720 lines."""
    return "bt709" if height >= 720 else "bt601"


# --------------------------------------------------------------------------- R'G'B' <-> Y'CbCr


def rgb_to_luma(rgb: np.ndarray, matrix: Matrix = "bt709") -> np.ndarray:
    """Y' of gamma-encoded RGB (last axis), the weighted sum every video matrix defines."""
    kr, kg, kb = _coefficients(matrix)
    rgb = np.asarray(rgb, dtype=np.float32)
    return (kr * rgb[..., 0] + kg * rgb[..., 1] + kb * rgb[..., 2]).astype(np.float32)


def _ycbcr_matrix(matrix: Matrix) -> np.ndarray:
    """The 3x3 matrix taking R'G'B' to normalised Y'CbCr."""
    kr, kg, kb = _coefficients(matrix)
    return np.array(
        [
            [kr, kg, kb],
            [-kr / (2.0 * (1.0 - kb)), -kg / (2.0 * (1.0 - kb)), 0.5],
            [0.5, -kg / (2.0 * (1.0 - kr)), -kb / (2.0 * (1.0 - kr))],
        ],
        np.float32,
    )


def rgb_to_ycbcr(rgb: np.ndarray, matrix: Matrix = "bt709") -> np.ndarray:
    """Normalised Y'CbCr (Y' in [0,1], Cb/Cr in [-0.5,0.5]) from R'G'B' in [0,1]."""
    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3:
        return (rgb @ _ycbcr_matrix(matrix).T).astype(np.float32)
    # cv2.transform is one pass over the image, several times faster than numpy's temporaries.
    return cv2.transform(np.ascontiguousarray(rgb), _ycbcr_matrix(matrix))


def _chroma_offset_matrix(matrix: Matrix) -> np.ndarray:
    """The 3x2 matrix taking (Cb, Cr) to what they add to Y' in each of R', G', B'."""
    kr, kg, kb = _coefficients(matrix)
    cr_to_r = 2.0 * (1.0 - kr)
    cb_to_b = 2.0 * (1.0 - kb)
    return np.array(
        [[0.0, cr_to_r], [-kb * cb_to_b / kg, -kr * cr_to_r / kg], [cb_to_b, 0.0]], np.float32
    )


def _chroma_to_rgb_offsets(
    cb: np.ndarray, cr: np.ndarray, matrix: Matrix
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What chroma adds to Y' in each of R', G', B' (so that RGB = Y' + offset)."""
    rows = _chroma_offset_matrix(matrix)
    return tuple(row[0] * cb + row[1] * cr for row in rows)


def ycbcr_to_rgb(ycbcr: np.ndarray, matrix: Matrix = "bt709") -> np.ndarray:
    """R'G'B' (not clipped) from normalised Y'CbCr; the exact inverse of :func:`rgb_to_ycbcr`."""
    ycbcr = np.asarray(ycbcr, dtype=np.float32)
    y = ycbcr[..., 0]
    dr, dg, db = _chroma_to_rgb_offsets(ycbcr[..., 1], ycbcr[..., 2], matrix)
    return np.stack([y + dr, y + dg, y + db], axis=-1).astype(np.float32)


# ------------------------------------------------------------------------- code values


@dataclass(frozen=True)
class CodeRange:
    """How normalised Y'CbCr maps to integer code values at one bit depth and range."""

    bit_depth: int = 8
    full_range: bool = False

    @property
    def max_code(self) -> int:
        return (1 << self.bit_depth) - 1

    @property
    def _scale(self) -> float:
        return float(1 << (self.bit_depth - 8))

    def luma_offset_gain(self) -> tuple[float, float]:
        if self.full_range:
            return 0.0, float(self.max_code)
        return 16.0 * self._scale, 219.0 * self._scale

    def chroma_offset_gain(self) -> tuple[float, float]:
        mid = float(1 << (self.bit_depth - 1))
        if self.full_range:
            return mid, float(self.max_code)
        return mid, 224.0 * self._scale

    @property
    def dtype(self) -> type[np.unsignedinteger]:
        return np.uint8 if self.bit_depth <= 8 else np.uint16


def decode_luma(codes: np.ndarray, code_range: CodeRange) -> np.ndarray:
    """Normalised Y' in [0, 1] (clipped) from luma code values.

    Every frame passes through here (often twice), so 8-bit codes are looked up in a 256-entry
    table in one OpenCV pass rather than converted with four numpy passes.
    """
    if codes.dtype == np.uint8 and codes.ndim == 2:
        return cv2.LUT(codes, _luma_table(code_range))
    offset, gain = code_range.luma_offset_gain()
    return np.clip((codes.astype(np.float32) - offset) / gain, 0.0, 1.0)


@functools.lru_cache(maxsize=8)
def _luma_table(code_range: CodeRange) -> np.ndarray:
    offset, gain = code_range.luma_offset_gain()
    codes = np.arange(256, dtype=np.float32)
    table = np.clip((codes - offset) / gain, 0.0, 1.0).reshape(1, 256)
    table.flags.writeable = False
    return table


def encode_luma(y: np.ndarray, code_range: CodeRange) -> np.ndarray:
    """Luma code values from normalised Y'."""
    offset, gain = code_range.luma_offset_gain()
    codes = np.rint(np.clip(y, 0.0, 1.0) * gain + offset)
    return np.clip(codes, 0, code_range.max_code).astype(code_range.dtype)


def decode_chroma(codes: np.ndarray, code_range: CodeRange) -> np.ndarray:
    """Normalised Cb or Cr in [-0.5, 0.5] from chroma code values."""
    offset, gain = code_range.chroma_offset_gain()
    return np.clip((codes.astype(np.float32) - offset) / gain, -0.5, 0.5)


def encode_chroma(c: np.ndarray, code_range: CodeRange) -> np.ndarray:
    """Chroma code values from normalised Cb or Cr."""
    offset, gain = code_range.chroma_offset_gain()
    codes = np.rint(np.clip(c, -0.5, 0.5) * gain + offset)
    return np.clip(codes, 0, code_range.max_code).astype(code_range.dtype)


def rescale_codes(codes: np.ndarray, source: CodeRange, target: CodeRange) -> np.ndarray:
    """Luma codes in another bit depth of the *same* range, exact when the depth grows.

    Limited-range video scales by a power of two (16·2^(n-8)…), so 8 → 10 bit is a shift and
    loses nothing; full range and shrinking depth round to the nearest code.
    """
    if source == target:
        return codes
    if source.full_range == target.full_range and not source.full_range:
        shift = target.bit_depth - source.bit_depth
        if shift >= 0:
            return codes.astype(target.dtype) << shift
        # Ties to even, as np.rint does elsewhere: rounding halves up would brighten on average.
        wide = codes.astype(np.uint32)
        rounded = (wide + (1 << (-shift - 1)) - 1 + ((wide >> -shift) & 1)) >> -shift
        return np.clip(rounded, 0, target.max_code).astype(target.dtype)
    return encode_luma(decode_luma(codes, source), target)


# ------------------------------------------------------------------------------ CIELAB


def _cv_colour(image: np.ndarray, code: int) -> np.ndarray:
    """OpenCV's colour conversion (float32, sRGB/D65) on any leading shape with 3 channels."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    if image.ndim == 3:  # keep rows: OpenCV parallelises over them
        return cv2.cvtColor(image, code)
    return cv2.cvtColor(image.reshape(-1, 1, 3), code).reshape(image.shape)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) from sRGB-encoded RGB in [0, 1]; OpenCV's implementation, ~15x numpy's speed."""
    return _cv_colour(np.clip(rgb, 0.0, 1.0), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """sRGB-encoded RGB clipped to [0, 1] from CIELAB (D65)."""
    return np.clip(_cv_colour(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)


def _as_image_row(values: np.ndarray, channels: int = 1) -> np.ndarray:
    """Pixels of any shape as a one-row image of at least two pixels.

    OpenCV's kernels want images, and OpenCV 5.1 takes a one-pixel image beside a Python scalar
    for a Scalar, answering in the wrong shape; a second copy of the pixel avoids that.
    """
    row = values.reshape(1, -1, channels) if channels > 1 else values.reshape(1, -1)
    return np.concatenate([row, row], axis=1) if row.shape[1] == 1 else row


def _needs_image_row(y: np.ndarray) -> bool:
    return y.ndim != 2 or y.size == 1


#: CIELAB L of grey R'=G'=B'=Y' at 16,385 evenly spaced Y' in [0, 1] (a step of 0.004 L at most),
#: padded with white's L to every 16-bit index, so that OpenCV's saturating conversion to
#: uint16 (which rounds and clamps in one pass) makes the index.
_LIGHTNESS_STEPS = 16384
_LIGHTNESS_TABLE = cv2.cvtColor(
    np.repeat(np.linspace(0, 1, _LIGHTNESS_STEPS + 1, dtype=np.float32)[:, None, None], 3, axis=2),
    cv2.COLOR_RGB2Lab,
)[:, 0, 0]
_LIGHTNESS_TABLE = np.concatenate(
    [_LIGHTNESS_TABLE, np.full(65536 - _LIGHTNESS_TABLE.size, _LIGHTNESS_TABLE[-1], np.float32)]
)


def luma_to_lightness(y: np.ndarray) -> np.ndarray:
    """CIELAB L of a grey pixel whose R'=G'=B'=Y': how the network sees a black-and-white frame.

    A one-dimensional function of Y', so it is looked up in a table rather than computed through a
    three-channel conversion for every pixel.
    """
    y = np.asarray(y, np.float32)
    if _needs_image_row(y):
        return luma_to_lightness(_as_image_row(y))[:, : y.size].reshape(y.shape)
    index = cv2.multiply(np.ascontiguousarray(y), float(_LIGHTNESS_STEPS), dtype=cv2.CV_16U)
    return np.take(_LIGHTNESS_TABLE, index)


def lab_chroma_to_cbcr(y: np.ndarray, ab: np.ndarray, matrix: Matrix = "bt709") -> np.ndarray:
    """Cb/Cr (last axis 2, contiguous) that give a Y' frame the hue and saturation of Lab chroma
    ``ab``.

    The lightness comes from Y' itself, so predicted chroma never carries a tone change. Every
    frame the engine delivers passes here, so it stays in OpenCV's one-pass kernels: at 854x480
    5 ms, against 7 ms for numpy's stacking, clipping and a strided Cb/Cr view that the
    consumer then had to copy.
    """
    y = np.asarray(y, np.float32)
    ab = np.asarray(ab, np.float32)
    if _needs_image_row(y):
        row = lab_chroma_to_cbcr(_as_image_row(y), _as_image_row(ab, 2), matrix)
        return row[:, : y.size].reshape(ab.shape)
    lab = cv2.merge([luma_to_lightness(y), np.ascontiguousarray(ab)])
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    cv2.threshold(rgb, 1.0, 1.0, cv2.THRESH_TRUNC, dst=rgb)  # clip to [0, 1] in place
    cv2.threshold(rgb, 0.0, 0.0, cv2.THRESH_TOZERO, dst=rgb)
    _, cb, cr = cv2.split(cv2.transform(rgb, _ycbcr_matrix(matrix)))
    return cv2.merge([cb, cr])


# ---------------------------------------------------------------------------- recombine


def fit_chroma_to_gamut(y: np.ndarray, cbcr: np.ndarray, matrix: Matrix = "bt709") -> np.ndarray:
    """Scale chroma towards grey, per pixel, just enough that Y' + chroma stays inside RGB [0,1].

    Without this, saturated chroma on dark or bright luma turns into clipped RGB whose luma is no
    longer the film's; desaturating keeps the tone exact and the hue unchanged. Only the largest
    positive and the most negative of the three R'G'B' offsets can leave the gamut first, so the
    scale is min(1, (1 - Y') / largest, Y' / -smallest).
    """
    y = np.asarray(y, dtype=np.float32)
    cbcr = np.ascontiguousarray(cbcr, dtype=np.float32)
    if _needs_image_row(y):
        row = fit_chroma_to_gamut(_as_image_row(y), _as_image_row(cbcr, 2), matrix)
        return row[:, : y.size].reshape(cbcr.shape)
    # Single planes: cv2.transform on the two-channel image took three times as long, and this
    # runs on every full-resolution frame the sink writes.
    cb, cr = cv2.split(cbcr)
    offsets = _chroma_to_rgb_offsets(cb, cr, matrix)
    highest = cv2.max(cv2.max(offsets[0], offsets[1]), offsets[2])
    lowest = cv2.min(cv2.min(offsets[0], offsets[1]), offsets[2])
    room_up = cv2.divide(1.0 - y, cv2.max(highest, 1e-12))
    room_down = cv2.divide(y, cv2.max(-lowest, 1e-12))
    scale = cv2.max(cv2.min(cv2.min(room_up, room_down), 1.0), 0.0)
    return cv2.merge([cv2.multiply(cb, scale), cv2.multiply(cr, scale)])


def recombine(
    luma: np.ndarray,
    cbcr: np.ndarray,
    code_range: CodeRange = CodeRange(),
    matrix: Matrix = "bt709",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y', Cb, Cr code planes of a coloured frame whose Y' plane *is* ``luma``.

    ``luma`` holds code values of the source (any bit depth, same size as ``cbcr``); ``cbcr`` is
    normalised chroma at full resolution. The returned Y' plane is the same array, bit for bit;
    chroma is fitted into the gamut so that converting to RGB and back to Y' reproduces each code
    value within ±1 (the RGB quantisation step). Chroma subsampling for 4:2:0 happens later in the
    encoder and does not touch Y'.
    """
    if luma.shape != cbcr.shape[:2]:
        raise ValueError(f"luma {luma.shape} and chroma {cbcr.shape[:2]} differ in size")
    y = decode_luma(luma, code_range)
    fitted = fit_chroma_to_gamut(y, cbcr, matrix)
    return (
        luma,
        encode_chroma(fitted[..., 0], code_range),
        encode_chroma(fitted[..., 1], code_range),
    )


def planes_to_rgb(
    y_codes: np.ndarray,
    cb_codes: np.ndarray,
    cr_codes: np.ndarray,
    code_range: CodeRange,
    matrix: Matrix = "bt709",
) -> np.ndarray:
    """R'G'B' in [0, 1] (float32, HxWx3) from full-resolution Y'CbCr code planes."""
    ycbcr = np.stack(
        [
            decode_luma(y_codes, code_range),
            decode_chroma(cb_codes, code_range),
            decode_chroma(cr_codes, code_range),
        ],
        axis=-1,
    )
    return np.clip(ycbcr_to_rgb(ycbcr, matrix), 0.0, 1.0)


def colorfulness(rgb: np.ndarray) -> float:
    """Colourfulness M of Hasler & Süsstrunk 2003 (no reference needed; 0 for grey).

    On the 0..255 scale, rg = R - G and yb = (R + G)/2 - B;
    M = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2), population statistics
    over the pixels. A colouriser that plays safe with sepia scores low here whatever its PSNR.
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.shape[-1] != 3:
        raise ValueError(f"expected RGB on the last axis, got shape {rgb.shape}")
    r, g, b = rgb[..., 0].ravel(), rgb[..., 1].ravel(), rgb[..., 2].ravel()
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
