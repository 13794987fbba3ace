"""Colour conversions and the luma-preserving recombination."""

from __future__ import annotations

import numpy as np
import pytest

from videocolor import color
from videocolor.color import CodeRange

MATRICES = ["bt601", "bt709", "bt2020"]


@pytest.mark.parametrize("matrix", MATRICES)
def test_rgb_ycbcr_round_trip(matrix: str) -> None:
    rgb = np.random.default_rng(0).uniform(0, 1, (32, 32, 3)).astype(np.float32)
    back = color.ycbcr_to_rgb(color.rgb_to_ycbcr(rgb, matrix), matrix)
    assert np.abs(back - rgb).max() < 1e-5


def test_bt709_white_red_and_grey() -> None:
    ycc = color.rgb_to_ycbcr(np.array([[1, 1, 1], [1, 0, 0], [0.5, 0.5, 0.5]], np.float32), "bt709")
    assert ycc[0] == pytest.approx([1, 0, 0], abs=1e-6)
    assert ycc[1] == pytest.approx([0.2126, -0.1146, 0.5], abs=1e-4)
    assert ycc[2] == pytest.approx([0.5, 0, 0], abs=1e-6)


def test_lab_known_values_and_round_trip() -> None:
    lab = color.rgb_to_lab(np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0]], np.float32))
    assert lab[0] == pytest.approx([100, 0, 0], abs=0.05)
    assert lab[1] == pytest.approx([53.24, 80.09, 67.20], abs=0.1)
    assert lab[2] == pytest.approx([0, 0, 0], abs=1e-3)
    rgb = np.random.default_rng(1).uniform(0, 1, (16, 16, 3)).astype(np.float32)
    # OpenCV's float Lab uses a tabulated gamma: round trips within half an 8-bit code value
    assert np.abs(color.lab_to_rgb(color.rgb_to_lab(rgb)) - rgb).max() < 2.5e-3


def test_lightness_of_grey_matches_lab() -> None:
    y = np.linspace(0, 1, 11, dtype=np.float32)
    grey = np.repeat(y[:, None], 3, axis=1)
    assert np.allclose(color.luma_to_lightness(y), color.rgb_to_lab(grey)[:, 0], atol=1e-3)
    # luma beyond [0, 1] (a superwhite, a negative undershoot) is black's or white's lightness
    outside = color.luma_to_lightness(np.array([[-0.2, 0.0, 1.0, 1.5]], np.float32))
    assert np.allclose(outside, [[0.0, 0.0, 100.0, 100.0]], atol=1e-3)


@pytest.mark.parametrize(
    ("code_range", "black", "white", "mid_chroma"),
    [
        (CodeRange(8, False), 16, 235, 128),
        (CodeRange(8, True), 0, 255, 128),
        (CodeRange(10, False), 64, 940, 512),
        (CodeRange(16, True), 0, 65535, 32768),
    ],
)
def test_code_ranges(code_range: CodeRange, black: int, white: int, mid_chroma: int) -> None:
    assert color.encode_luma(np.array([0.0, 1.0]), code_range).tolist() == [black, white]
    assert color.encode_chroma(np.array([0.0]), code_range).tolist() == [mid_chroma]
    codes = np.arange(black, white + 1, max(1, (white - black) // 50), dtype=code_range.dtype)
    assert np.array_equal(
        color.encode_luma(color.decode_luma(codes, code_range), code_range), codes
    )


def test_rescale_codes_is_exact_for_deeper_limited_range() -> None:
    codes = np.arange(16, 236, dtype=np.uint8)
    deeper = color.rescale_codes(codes, CodeRange(8), CodeRange(10))
    assert deeper.dtype == np.uint16
    assert np.array_equal(deeper, codes.astype(np.uint16) * 4)
    assert np.array_equal(color.rescale_codes(deeper, CodeRange(10), CodeRange(8)), codes)


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("full_range", [False, True])
def test_recombine_keeps_luma_and_round_trips_through_rgb(matrix: str, full_range: bool) -> None:
    rng = np.random.default_rng(2)
    code_range = CodeRange(8, full_range)
    lo, hi = (0, 255) if full_range else (16, 235)
    luma = rng.integers(lo, hi + 1, (64, 64)).astype(np.uint8)
    cbcr = rng.uniform(-0.5, 0.5, (64, 64, 2)).astype(np.float32)  # often far out of gamut
    y, cb, cr = color.recombine(luma, cbcr, code_range, matrix)
    assert y is luma
    rgb = color.planes_to_rgb(y, cb, cr, code_range, matrix)
    rgb8 = np.rint(rgb * 255) / 255
    again = color.encode_luma(color.rgb_to_luma(rgb8, matrix), code_range)
    assert np.abs(again.astype(int) - luma.astype(int)).max() <= 1
    assert np.abs(cb.astype(int) - 128).max() > 20  # chroma really is there


def test_gamut_fit_only_desaturates() -> None:
    y = np.array([0.02, 0.5, 0.98], np.float32)
    cbcr = np.array([[0.3, 0.3], [0.05, -0.05], [-0.3, 0.2]], np.float32)
    fitted = color.fit_chroma_to_gamut(y, cbcr, "bt709")
    ratio = fitted / cbcr
    assert np.allclose(ratio[:, 0], ratio[:, 1])  # hue kept: both components scaled alike
    assert np.all(ratio <= 1 + 1e-6) and ratio[1, 0] == pytest.approx(1.0)
    rgb = color.ycbcr_to_rgb(np.concatenate([y[:, None], fitted], axis=1), "bt709")
    assert rgb.min() >= -1e-5 and rgb.max() <= 1 + 1e-5


def test_lab_chroma_to_cbcr_keeps_hue() -> None:
    y = np.full((1,), 0.5, np.float32)
    reddish = color.lab_chroma_to_cbcr(y, np.array([[40.0, 20.0]], np.float32), "bt709")
    assert reddish[0, 1] > 0.05  # Cr up for a red hue
    neutral = color.lab_chroma_to_cbcr(y, np.zeros((1, 2), np.float32), "bt709")
    assert np.abs(neutral).max() < 1e-3


@pytest.mark.parametrize("matrix", ["bt601", "bt709"])
def test_lab_chroma_to_cbcr_of_a_frame_is_the_colour_conversion(matrix: str) -> None:
    """The frame path (OpenCV kernels) gives the chroma of the plain conversion chain, Y' to L,
    Lab to R'G'B' clipped, R'G'B' to Y'CbCr, as one contiguous Cb/Cr image."""
    rng = np.random.default_rng(3)
    y = rng.random((24, 40), dtype=np.float32)
    ab = ((rng.random((24, 40, 2)) - 0.5) * 200).astype(np.float32)  # some far out of gamut
    cbcr = color.lab_chroma_to_cbcr(y, ab, matrix)
    lab = np.dstack([color.luma_to_lightness(y), ab])
    expected = color.rgb_to_ycbcr(color.lab_to_rgb(lab), matrix)[..., 1:]
    assert cbcr.shape == (24, 40, 2) and cbcr.flags.c_contiguous
    assert np.allclose(cbcr, expected, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 1), (1,), (2, 1)])
def test_one_pixel_gives_what_it_gives_inside_a_frame(shape: tuple[int, ...]) -> None:
    frame_y = np.full((4, 4), 0.9, np.float32)
    frame_ab = np.full((4, 4, 2), 60.0, np.float32)
    frame_cbcr = color.lab_chroma_to_cbcr(frame_y, frame_ab)
    frame_fit = color.fit_chroma_to_gamut(frame_y, frame_cbcr * 3)
    y = np.full(shape, 0.9, np.float32)
    cbcr = color.lab_chroma_to_cbcr(y, np.full((*shape, 2), 60.0, np.float32))
    fitted = color.fit_chroma_to_gamut(y, cbcr * 3)
    assert cbcr.shape == fitted.shape == (*shape, 2)
    np.testing.assert_allclose(cbcr.reshape(-1, 2), frame_cbcr.reshape(-1, 2)[: y.size], atol=1e-6)
    np.testing.assert_allclose(fitted.reshape(-1, 2), frame_fit.reshape(-1, 2)[: y.size], atol=1e-6)
