"""Colourisation metrics: hand-computed cases, and scikit-image as the reference for SSIM."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import skimage.data
from skimage.metrics import structural_similarity

from videocolor import color
from videocolor.bench.metrics import accuracy, classification, fidelity, temporal
from videocolor.color import rgb_to_lab
from videocolor.engine.flow import warp


def _random_image(seed: int, shape: tuple[int, ...] = (32, 40, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _gray_rgb(rgb: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=-1)


def _noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[::4, ::4])  # 128 x 128


# ------------------------------------------------------------------------------- PSNR


def test_mse_and_psnr_hand_computed() -> None:
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 12  # one value off by 12 among 12: MSE = 144 / 12 = 12
    assert fidelity.mse(a, b) == pytest.approx(12.0)
    assert fidelity.psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 12))
    assert fidelity.psnr_from_mse(255.0**2) == pytest.approx(0.0)


def test_psnr_identical_is_infinite_and_mse_zero() -> None:
    a = _random_image(1)
    assert fidelity.mse(a, a) == 0.0
    assert fidelity.psnr(a, a) == float("inf")
    assert fidelity.psnr_from_mse(0.0) == float("inf")


def test_psnr_uint8_does_not_wrap_around() -> None:
    a = np.full((4, 4, 3), 10, np.uint8)
    b = np.full((4, 4, 3), 250, np.uint8)
    assert fidelity.mse(a, b) == pytest.approx(240.0**2)


def test_psnr_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError):
        fidelity.psnr(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError):
        fidelity.psnr_from_mse(-1.0)


# ------------------------------------------------------------------------------- SSIM


def test_ssim_matches_scikit_image(astronaut: np.ndarray) -> None:
    cases = [
        (_noisy(astronaut, 20), astronaut),
        (_gray_rgb(astronaut), astronaut),
        (_random_image(2), _random_image(3)),
        (np.roll(astronaut, 3, axis=1), astronaut),
    ]
    for pred, target in cases:
        expected = structural_similarity(pred, target, channel_axis=-1, data_range=255)
        assert fidelity.ssim(pred, target) == pytest.approx(expected, abs=1e-4)


def test_ssim_grey_images_match_scikit_image() -> None:
    a, b = _random_image(4, (20, 24)), _random_image(5, (20, 24))
    expected = structural_similarity(a, b, data_range=255)
    assert fidelity.ssim(a, b) == pytest.approx(expected, abs=1e-4)


def test_ssim_identical_is_one_and_order_of_degradation(astronaut: np.ndarray) -> None:
    assert fidelity.ssim(astronaut, astronaut) == pytest.approx(1.0, abs=1e-9)
    mild = fidelity.ssim(_noisy(astronaut, 5), astronaut)
    strong = fidelity.ssim(_noisy(astronaut, 40), astronaut)
    assert 1.0 > mild > strong


def test_ssim_rejects_images_smaller_than_window() -> None:
    with pytest.raises(ValueError):
        fidelity.ssim(np.zeros((6, 10, 3), np.uint8), np.zeros((6, 10, 3), np.uint8))


# ------------------------------------------------------------------------------ QSSIM


def test_quaternion_product_rules() -> None:
    i, j, k = np.eye(4)[1], np.eye(4)[2], np.eye(4)[3]
    assert fidelity.quaternion_multiply(i, j) == pytest.approx(k)
    assert fidelity.quaternion_multiply(j, i) == pytest.approx(-k)
    assert fidelity.quaternion_multiply(i, i) == pytest.approx([-1, 0, 0, 0])
    q = np.array([1.0, 2.0, -3.0, 0.5])
    # q q* = |q|^2, a real quaternion.
    product = fidelity.quaternion_multiply(q, fidelity.quaternion_conjugate(q))
    assert product == pytest.approx([float(q @ q), 0, 0, 0])


def test_qssim_identical_is_one(astronaut: np.ndarray) -> None:
    assert fidelity.qssim(astronaut, astronaut) == pytest.approx(1.0, abs=1e-6)


def test_qssim_grey_below_colour_and_symmetric(astronaut: np.ndarray) -> None:
    gray = _gray_rgb(astronaut)
    value = fidelity.qssim(gray, astronaut)
    assert value < 0.999
    assert fidelity.qssim(astronaut, gray) == pytest.approx(value, abs=1e-9)
    assert fidelity.qssim(_noisy(astronaut, 40), astronaut) < fidelity.qssim(
        _noisy(astronaut, 5), astronaut
    )


def test_qssim_constant_images_by_hand() -> None:
    # Constant images: no variance, so the structure term is C2 / C2 = 1 and
    # QSSIM = |2 mu1 mu2* + C1| / (|mu1|^2 + |mu2|^2 + C1). For pure quaternions a, b:
    # a b* = (a.b, -a x b).
    c1 = 0.01**2
    grey_half = np.full((16, 16, 3), 127.5, np.float64)  # mu = (0, .5, .5, .5)
    grey_quarter = np.full((16, 16, 3), 63.75, np.float64)  # mu = (0, .25, .25, .25)
    expected = (2 * 0.375 + c1) / (0.75 + 0.1875 + c1)  # a.b = 3 * 0.125, a x b = 0
    assert fidelity.qssim(grey_half, grey_quarter) == pytest.approx(expected, abs=1e-9)

    red = np.zeros((16, 16, 3))
    red[..., 0] = 255
    green = np.zeros((16, 16, 3))
    green[..., 1] = 255
    # a.b = 0 and |a x b| = 1: |(C1, -2k)| = sqrt(C1^2 + 4) over 1 + 1 + C1.
    expected = math.sqrt(c1**2 + 4) / (2 + c1)
    assert fidelity.qssim(red, green) == pytest.approx(expected, abs=1e-9)


# ------------------------------------------------------------------------ raw accuracy


def test_color_error_rgb_and_ab_by_hand() -> None:
    target = np.zeros((1, 2, 3), np.uint8)
    pred = np.array([[[6, 8, 0], [0, 0, 0]]], np.uint8)
    assert accuracy.color_error(pred, target, "rgb") == pytest.approx(np.array([[10.0, 0.0]]))

    pred = np.array([[[200, 30, 40], [10, 120, 250]]], np.uint8)
    target = np.array([[[180, 60, 60], [10, 120, 250]]], np.uint8)
    ab_p = rgb_to_lab(pred.astype(np.float32) / 255)[..., 1:]
    ab_t = rgb_to_lab(target.astype(np.float32) / 255)[..., 1:]
    expected = np.linalg.norm(ab_p - ab_t, axis=-1)
    assert accuracy.color_error(pred, target, "ab") == pytest.approx(expected, abs=1e-4)
    assert accuracy.color_error(pred, target, "ab")[0, 1] == 0.0
    with pytest.raises(ValueError):
        accuracy.color_error(pred, target, "xyz")  # type: ignore[arg-type]


def test_accuracy_curve_rgb_by_hand() -> None:
    # Errors 0, 10 (6-8-0 triangle), 5 and 200 -> curve steps at 0, 5, 10; 200 is never counted.
    target = np.zeros((2, 2, 3), np.uint8)
    pred = np.array([[[0, 0, 0], [6, 8, 0]], [[3, 4, 0], [200, 0, 0]]], np.uint8)
    curve = accuracy.accuracy_curve(pred, target, "rgb")
    assert curve.shape == (151,)
    assert curve[0] == 0.25
    assert curve[4] == 0.25
    assert curve[5] == 0.5
    assert curve[9] == 0.5
    assert curve[10] == 0.75
    assert curve[150] == 0.75
    # Area: 0.25 over thresholds 0..4, 0.5 over 5..9, 0.75 over 10..150.
    expected_auc = (5 * 0.25 + 5 * 0.5 + 141 * 0.75) / 151
    assert accuracy.auc(pred, target, "rgb") == pytest.approx(expected_auc)
    assert accuracy.accuracy_at(pred, target, 10, "rgb") == 0.75
    assert accuracy.accuracy_at(pred, target, 9.99, "rgb") == 0.5


def test_accuracy_identical_is_perfect_and_grey_is_not(astronaut: np.ndarray) -> None:
    assert accuracy.auc(astronaut, astronaut) == 1.0
    assert accuracy.accuracy_at(astronaut, astronaut, 0) == 1.0
    assert accuracy.auc(_gray_rgb(astronaut), astronaut) < 0.99


def test_accuracy_pooled_equals_accuracy_on_all_pixels(astronaut: np.ndarray) -> None:
    frames = [astronaut, _noisy(astronaut, 15, seed=1), _gray_rgb(astronaut)]
    preds = [_noisy(f, 25, seed=2) for f in frames]
    for space in ("ab", "rgb"):
        pooled = accuracy.AccuracyCurve(space)
        for pred, target in zip(preds, frames, strict=True):
            pooled.add(pred, target)
        assert pooled.pixels == 3 * astronaut.shape[0] * astronaut.shape[1]
        everything = accuracy.accuracy_curve(np.concatenate(preds), np.concatenate(frames), space)
        assert pooled.curve() == pytest.approx(everything, abs=1e-12)
        assert pooled.auc() == pytest.approx(everything.mean(), abs=1e-12)
        assert pooled.at(10) == pytest.approx(everything[10], abs=1e-12)
        assert 0.0 < pooled.at(10) < 1.0


def test_accuracy_accumulator_errors() -> None:
    pooled = accuracy.AccuracyCurve("rgb")
    with pytest.raises(ValueError):
        pooled.auc()
    pooled.add(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError):
        pooled.at(151)


# -------------------------------------------------------------------------------- CDC


def test_cdc_identical_frames_is_zero(astronaut: np.ndarray) -> None:
    assert temporal.cdc([astronaut] * 6) == 0.0
    assert temporal.cdc([astronaut]) == 0.0
    assert temporal.cdc([]) == 0.0


def test_cdc_two_tiny_frames_by_hand() -> None:
    # Frame 0: one black and one white pixel; frame 1: two black pixels. Every channel has
    # P = {0: 1/2, 255: 1/2}, Q = {0: 1}, M = {0: 3/4, 255: 1/4}:
    # KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2) = 1 - log2(3)/2, KL(Q||M) = log2(4/3) = 2 - log2(3),
    # JS = (KL(P||M) + KL(Q||M)) / 2 = 3/2 - 3/4 log2(3). Only d = 1 has a pair.
    first = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    second = np.zeros((1, 2, 3), np.uint8)
    expected = 1.5 - 0.75 * math.log2(3)
    assert temporal.cdc([first, second]) == pytest.approx(expected, abs=1e-12)
    # Three frames A B A: d = 1 gives JS twice, d = 2 gives 0; d = 4 dropped, weights 1/2 each.
    assert temporal.cdc([first, second, first]) == pytest.approx(expected / 2, abs=1e-12)


def test_cdc_disjoint_histograms_is_one_bit() -> None:
    black = np.zeros((4, 4, 3), np.uint8)
    white = np.full((4, 4, 3), 255, np.uint8)
    assert temporal.cdc([black, white]) == pytest.approx(1.0)
    # Five frames alternating: d = 1 pairs all differ (JS 1), d = 2 and d = 4 pairs are equal.
    assert temporal.cdc([black, white, black, white, black]) == pytest.approx(1 / 3)


def test_cdc_needs_uint8_rgb() -> None:
    with pytest.raises(ValueError):
        temporal.cdc([np.zeros((4, 4, 3), np.float32)] * 2)


# ---------------------------------------------------------------------- warping error


def _texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random colour texture: plenty of structure for the flow, no aliasing."""
    noise = np.random.default_rng(seed).uniform(0, 255, (height, width, 3)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 2.0)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min()) * 255
    return smooth.astype(np.uint8)


def test_warp_integer_flow_is_a_shift() -> None:
    image = _texture(24, 32)
    flow = np.zeros((24, 32, 2), np.float32)
    flow[..., 0] = 3  # each pixel of the source looks 3 pixels to the right in the target
    flow[..., 1] = 2
    warped = warp(image, flow)
    assert np.array_equal(warped[:-2, :-3], image[2:, 3:])


def test_occlusion_mask_rules() -> None:
    height, width = 20, 30
    forward = np.zeros((height, width, 2), np.float32)
    forward[..., 0] = 4
    backward = -forward
    mask = temporal.occlusion_mask(forward, backward)
    assert mask[:, : width - 4].all()
    assert not mask[:, width - 4 :].any()  # lands outside the next frame
    # A backward flow that does not return home marks the pixels occluded.
    assert not temporal.occlusion_mask(forward, np.zeros_like(forward))[:, :10].any()
    # A flow discontinuity is a motion boundary.
    step = np.zeros((height, width, 2), np.float32)
    step[:, 15:, 0] = 3
    back = np.zeros_like(step)
    back[:, 18:, 0] = -3
    mask = temporal.occlusion_mask(step, back)
    assert not mask[:, 14:16].any()
    assert mask[:, 2:12].all()


def _translating_clip(
    frames: int, dx: int, dy: int, flicker: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Crops of one texture, the window moving by (dx, dy) >= 0 a frame: colour and grey."""
    height, width = 64, 64
    scene = _texture(height + frames * dy, width + frames * dx, seed=3)
    colour, gray = [], []
    for t in range(frames):
        y0, x0 = t * dy, t * dx
        crop = np.ascontiguousarray(scene[y0 : y0 + height, x0 : x0 + width])
        colour.append(crop[..., ::-1].copy() if flicker and t % 2 else crop)
        gray.append(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY))
    return colour, gray


def test_dis_flow_recovers_a_translation() -> None:
    _, gray = _translating_clip(2, 3, 2)
    # Content moves by -(3, 2) between the crops, so frame 0's pixel x is at x - (3, 2) in frame 1.
    flow = temporal.dis_flow(gray[0], gray[1])
    inner = flow[8:-8, 8:-8]
    assert np.median(inner[..., 0]) == pytest.approx(-3, abs=0.1)
    assert np.median(inner[..., 1]) == pytest.approx(-2, abs=0.1)


def test_warp_error_static_video_is_zero() -> None:
    frame = _texture(48, 48, seed=5)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    assert temporal.warp_error([frame] * 3, [gray] * 3) == pytest.approx(0.0, abs=1e-8)
    assert temporal.warp_error([frame], [gray]) == 0.0


def test_warp_error_known_translation_is_near_zero_and_flicker_is_not() -> None:
    colour, gray = _translating_clip(4, 3, 2)
    steady = temporal.warp_error_pairs(colour, gray)
    assert steady.shape == (3,)
    assert steady.max() < 2e-3
    # Same motion, but every other frame has its red and blue swapped.
    flicker, gray = _translating_clip(4, 3, 2, flicker=True)
    flickering = temporal.warp_error(flicker, gray)
    assert flickering > 0.02
    assert flickering > 20 * steady.mean()


def test_warp_error_accepts_rgb_input_and_checks_lengths() -> None:
    colour, gray = _translating_clip(3, 1, 0)
    rgb_input = [np.repeat(g[..., None], 3, axis=-1) for g in gray]
    assert temporal.warp_error(colour, rgb_input) == pytest.approx(
        temporal.warp_error(colour, gray), abs=1e-12
    )
    with pytest.raises(ValueError):
        temporal.warp_error(colour, gray[:2])


# ----------------------------------------------------------------------- colourfulness


def test_colorfulness_grey_is_zero() -> None:
    assert color.colorfulness(_gray_rgb(_random_image(6))) == 0.0


def test_colorfulness_two_pixels_by_hand() -> None:
    # Red and black: rg = [255, 0], yb = [127.5, 0]; std = mean = half of each.
    pixels = np.array([[[255, 0, 0], [0, 0, 0]]], np.uint8)
    expected = 1.3 * math.hypot(127.5, 63.75)
    assert color.colorfulness(pixels) == pytest.approx(expected)
    # A single blue pixel: no spread, rg = 0, yb = -255 -> 0.3 * 255.
    assert color.colorfulness(np.array([[[0, 0, 255]]], np.uint8)) == pytest.approx(76.5)


def test_colorfulness_ranks_saturation(astronaut: np.ndarray) -> None:
    gray = _gray_rgb(astronaut).astype(np.float64)
    half = (0.5 * astronaut + 0.5 * gray).astype(np.uint8)
    assert color.colorfulness(astronaut) > color.colorfulness(half) > 0


# ------------------------------------------------------------ semantic interpretability


def test_top_k_accuracy_by_hand() -> None:
    logits = np.array(
        [
            [0.1, 0.7, 0.2],  # label 1 ranked 1st
            [0.5, 0.3, 0.2],  # label 1 ranked 2nd
            [0.5, 0.3, 0.2],  # label 2 ranked 3rd
            [0.9, 0.0, 0.1],  # label 0 ranked 1st
        ]
    )
    labels = np.array([1, 1, 2, 0])
    assert classification.top_k_accuracy(logits, labels, 1) == 0.5
    assert classification.top_k_accuracy(logits, labels, 2) == 0.75
    assert classification.top_k_accuracy(logits, labels, 3) == 1.0


def test_top_k_accuracy_ties_count_against_the_label() -> None:
    logits = np.zeros((4, 5))
    labels = np.array([0, 1, 2, 3])
    assert classification.top_k_accuracy(logits, labels, 1) == 0.0
    assert classification.top_k_accuracy(logits, labels, 5) == 1.0
    with pytest.raises(ValueError):
        classification.top_k_accuracy(logits, labels[:3], 1)


def test_gap_recovered() -> None:
    assert classification.gap_recovered(0.4, 0.55, 0.7) == pytest.approx(0.5)
    assert classification.gap_recovered(0.4, 0.7, 0.7) == pytest.approx(1.0)
    assert classification.gap_recovered(0.4, 0.3, 0.7) == pytest.approx(-1 / 3)
    assert math.isnan(classification.gap_recovered(0.6, 0.7, 0.6))


def _hits(rng: np.random.Generator, rate: float, count: int) -> np.ndarray:
    return rng.random(count) < rate


def test_gap_recovered_interval_holds_the_estimate_and_narrows_with_more_photos() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for count in (200, 2000):
        grey, colour, original = (_hits(rng, r, count) for r in (0.75, 0.78, 0.87))
        low, high = classification.gap_recovered_interval(grey, colour, original)
        estimate = classification.gap_recovered(grey.mean(), colour.mean(), original.mean())
        assert low < estimate < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2  # about 1/sqrt(10) of it
    assert widths[0] > 0.2  # 200 photos cannot tell a few per cent apart


def test_gap_recovered_interval_is_paired_and_repeatable() -> None:
    rng = np.random.default_rng(2)
    grey, original = _hits(rng, 0.7, 300), _hits(rng, 0.9, 300)
    same = classification.gap_recovered_interval(grey, grey, original)
    assert same == (0.0, 0.0)  # colour identical to grey in every resample: exactly no gain
    assert classification.gap_recovered_interval(grey, original, original) == (1.0, 1.0)
    colour = _hits(rng, 0.8, 300)
    assert classification.gap_recovered_interval(grey, colour, original) == (
        classification.gap_recovered_interval(grey, colour, original)
    )
    assert all(math.isnan(v) for v in classification.gap_recovered_interval(grey, colour, grey))
