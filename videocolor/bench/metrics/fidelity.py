"""Fidelity to a reference: PSNR (with MSE for pooling), SSIM (scikit-image's convention) and
quaternion SSIM."""

from __future__ import annotations

import cv2
import numpy as np

from videocolor.bench.metrics.pairs import DATA_RANGE, image_pair, rgb_pair


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over all pixels and channels, on the 0..255 scale.

    Exposed separately because a video's PSNR is pooled by averaging MSE over frames and
    converting once (:func:`psnr_from_mse`); averaging per-frame PSNRs weights near-perfect frames
    without bound and a single identical frame makes the mean infinite.
    """
    pred, target = image_pair(pred, target)
    return float(np.mean((pred - target) ** 2))


def psnr_from_mse(mse_value: float) -> float:
    """PSNR in dB for 8-bit data (peak 255) from an MSE; ``inf`` when the MSE is 0."""
    if mse_value < 0:
        raise ValueError(f"MSE cannot be negative, got {mse_value}")
    if mse_value == 0:
        return float("inf")
    return float(10.0 * np.log10(DATA_RANGE**2 / mse_value))


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """PSNR in dB of 8-bit RGB, data range 255.

    Identical images have no error, so the PSNR is ``float('inf')``: that is the true value, and
    callers pooling a video should average :func:`mse` instead of PSNRs.
    """
    return psnr_from_mse(mse(pred, target))


_SSIM_WIN = 7
_SSIM_K1 = 0.01
_SSIM_K2 = 0.03


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean SSIM in the scikit-image convention that published colourisation tables use.

    That is ``structural_similarity(pred, target, channel_axis=-1, data_range=255)``: a 7x7
    uniform window, K1 = 0.01, K2 = 0.03, sample covariance (x 49/48), each channel separately and
    averaged, and the map's mean taken after cropping 3 pixels at each border (where the window
    would reach outside the image). Differs from Wang et al.'s Gaussian-window MATLAB code by
    about 0.01, which is why the convention matters. Accepts HxW or HxWxC images.
    """
    pred, target = image_pair(pred, target)
    if min(pred.shape[:2]) < _SSIM_WIN:
        raise ValueError(f"SSIM needs images of at least {_SSIM_WIN}x{_SSIM_WIN}")

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.blur(np.ascontiguousarray(x), (_SSIM_WIN, _SSIM_WIN))

    n = _SSIM_WIN * _SSIM_WIN
    cov_norm = n / (n - 1)
    ux, uy = mean(pred), mean(target)
    vx = cov_norm * (mean(pred * pred) - ux * ux)
    vy = cov_norm * (mean(target * target) - uy * uy)
    vxy = cov_norm * (mean(pred * target) - ux * uy)
    c1 = (_SSIM_K1 * DATA_RANGE) ** 2
    c2 = (_SSIM_K2 * DATA_RANGE) ** 2
    ssim_map = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    pad = (_SSIM_WIN - 1) // 2
    # Averaging the cropped map over every channel at once equals the mean of per-channel means.
    return float(ssim_map[pad:-pad, pad:-pad].mean(dtype=np.float64))


_QSSIM_WIN = 11
_QSSIM_SIGMA = 1.5
_QSSIM_C1 = 0.01**2
_QSSIM_C2 = 0.03**2


def quaternion_multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product of quaternion arrays (last axis: w, x, y, z), broadcasting."""
    pw, px, py, pz = np.moveaxis(p, -1, 0)
    qw, qx, qy, qz = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
        ],
        axis=-1,
    )


def quaternion_conjugate(q: np.ndarray) -> np.ndarray:
    """(w, -x, -y, -z)."""
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def _rgb_quaternions(rgb: np.ndarray) -> np.ndarray:
    """Each pixel as the pure quaternion (0, R, G, B) / 255."""
    q = np.zeros((*rgb.shape[:2], 4), dtype=np.float64)
    q[..., 1:] = rgb / DATA_RANGE
    return q


def _squares(q: np.ndarray) -> np.ndarray:
    """|q|^2 over the last axis, written out (numpy's reduction over a 4-long axis is slow)."""
    return q[..., 0] ** 2 + q[..., 1] ** 2 + q[..., 2] ** 2 + q[..., 3] ** 2


def qssim(pred: np.ndarray, target: np.ndarray) -> float:
    """Quaternion SSIM (Kolaman & Yadid-Pecht, IEEE TIP 2012) of two RGB images.

    SSIM per channel cannot see a hue change that keeps every channel's structure; treating a
    pixel as the quaternion (0, R, G, B)/255 couples the channels. With Gaussian-weighted local
    means mu (11x11 window, sigma 1.5, as in Wang et al.'s SSIM), variances
    sigma^2 = E|q - mu|^2 and the quaternion covariance sigma_12 = E[(q1 - mu1)(q2 - mu2)*]:

        QSSIM = |(2 mu1 mu2* + C1)(2 sigma_12 + C2)| / ((|mu1|^2 + |mu2|^2 + C1)(s1^2 + s2^2 + C2))

    with C1 = 0.01^2, C2 = 0.03^2 added to the real parts and |.| the quaternion norm. The map is
    averaged over the pixels whose window lies inside the image (5-pixel border cropped, like the
    MATLAB reference's 'valid' filtering), so images must be at least 11x11.
    """
    pred, target = rgb_pair(pred, target)
    if min(pred.shape[:2]) < _QSSIM_WIN:
        raise ValueError(f"QSSIM needs images of at least {_QSSIM_WIN}x{_QSSIM_WIN}")

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(
            np.ascontiguousarray(x),
            (_QSSIM_WIN, _QSSIM_WIN),
            _QSSIM_SIGMA,
            _QSSIM_SIGMA,
            borderType=cv2.BORDER_REFLECT,
        )

    q1, q2 = _rgb_quaternions(pred), _rgb_quaternions(target)
    mu1, mu2 = mean(q1), mean(q2)
    # E|q - mu|^2 = E|q|^2 - |mu|^2, weights summing to one.
    var1 = mean(_squares(q1)) - _squares(mu1)
    var2 = mean(_squares(q2)) - _squares(mu2)
    # The product is bilinear, so E[(q1-mu1)(q2-mu2)*] = E[q1 q2*] - mu1 mu2*.
    mu12 = quaternion_multiply(mu1, quaternion_conjugate(mu2))
    cov12 = mean(quaternion_multiply(q1, quaternion_conjugate(q2))) - mu12

    real = np.array([1.0, 0.0, 0.0, 0.0])
    luminance = 2 * mu12 + _QSSIM_C1 * real
    structure = 2 * cov12 + _QSSIM_C2 * real
    # The quaternion norm is multiplicative: |pq| = |p||q|, no product needed.
    numerator = np.sqrt(_squares(luminance) * _squares(structure))
    denominator = (_squares(mu1) + _squares(mu2) + _QSSIM_C1) * (var1 + var2 + _QSSIM_C2)
    pad = (_QSSIM_WIN - 1) // 2
    return float((numerator / denominator)[pad:-pad, pad:-pad].mean())
