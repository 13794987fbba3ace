"""Colourisation quality metrics on numpy frames, following the papers' published definitions.

Images are H x W x 3 RGB on the 0..255 scale (``uint8`` unless a function says otherwise) and
videos are sequences of such frames. Every metric reproduces the convention of the table it is
compared against, because a number that differs from the literature by a windowing or
normalisation choice is not comparable at all:

- fidelity to a reference: :func:`psnr` (with :func:`mse` / :func:`psnr_from_mse` for pooling),
  :func:`ssim` (scikit-image convention), :func:`qssim` (quaternion SSIM), and the raw accuracy
  curve of Zhang et al. 2016 (:func:`accuracy_curve`, :func:`auc`, :class:`AccuracyCurve`);
- temporal stability: :func:`cdc` (Liu et al. 2021) and :func:`warp_error` (Lai et al. 2018),
  with the flow, warp and occlusion helpers public so that other modules reuse the same ones;
- no-reference: :func:`colorfulness` (Hasler & Süsstrunk 2003);
- classifier-based scoring lives elsewhere; :func:`top_k_accuracy` and :func:`gap_recovered` are
  the pure arithmetic it needs.

The module is torch-free: numpy and OpenCV only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np

from videocolor.color import rgb_to_lab
from videocolor.engine.flow import lands_inside, warp

Space = Literal["ab", "rgb"]

#: Peak value of 8-bit data, the data range of PSNR and SSIM.
DATA_RANGE = 255.0

#: Thresholds of Zhang et al.'s raw accuracy curve: 0..150 in steps of 1.
DEFAULT_THRESHOLDS = np.arange(0, 151)
MAX_THRESHOLD = 150

#: Frame distances of CDC (Liu et al. 2021), each weighted 1/3.
CDC_DILATIONS = (1, 2, 4)


# ----------------------------------------------------------------------------- helpers


def _pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64, refusing mismatched shapes (a silent broadcast hides bugs)."""
    pred = np.asarray(pred)
    target = np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} differ in shape")
    if pred.ndim not in (2, 3):
        raise ValueError(f"expected an HxW or HxWxC image, got shape {pred.shape}")
    return pred.astype(np.float64), target.astype(np.float64)


def _rgb_pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, target = _pair(pred, target)
    if pred.ndim != 3 or pred.shape[2] != 3:
        raise ValueError(f"expected HxWx3 RGB images, got shape {pred.shape}")
    return pred, target


# -------------------------------------------------------------------------------- PSNR


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over all pixels and channels, on the 0..255 scale.

    Exposed separately because a video's PSNR is pooled by averaging MSE over frames and
    converting once (:func:`psnr_from_mse`); averaging per-frame PSNRs weights near-perfect frames
    without bound and a single identical frame makes the mean infinite.
    """
    pred, target = _pair(pred, target)
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


# -------------------------------------------------------------------------------- SSIM

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
    pred, target = _pair(pred, target)
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


# ------------------------------------------------------------------------------- QSSIM

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
    pred, target = _rgb_pair(pred, target)
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


# ------------------------------------------------------------------- raw accuracy (AuC)


def color_error(pred: np.ndarray, target: np.ndarray, space: Space = "ab") -> np.ndarray:
    """Per-pixel colour error (H x W, float64) of Zhang et al.'s raw accuracy.

    ``'ab'``: Euclidean distance in the CIELAB a*b* plane (lightness ignored, since colourisation
    keeps the input's); ``'rgb'``: Euclidean distance of RGB on the 0..255 scale.
    """
    pred, target = _rgb_pair(pred, target)
    if space == "ab":
        pred = rgb_to_lab((pred / DATA_RANGE).astype(np.float32))[..., 1:].astype(np.float64)
        target = rgb_to_lab((target / DATA_RANGE).astype(np.float32))[..., 1:].astype(np.float64)
    elif space != "rgb":
        raise ValueError(f"space must be 'ab' or 'rgb', got {space!r}")
    return np.sqrt(((pred - target) ** 2).sum(-1))


def accuracy_curve(
    pred: np.ndarray,
    target: np.ndarray,
    space: Space = "ab",
    thresholds: np.ndarray = DEFAULT_THRESHOLDS,
) -> np.ndarray:
    """Share of pixels whose :func:`color_error` is <= each threshold (Zhang et al. 2016)."""
    errors = np.sort(color_error(pred, target, space).ravel())
    counts = np.searchsorted(errors, np.asarray(thresholds, dtype=np.float64), side="right")
    return counts / errors.size


def auc(pred: np.ndarray, target: np.ndarray, space: Space = "ab") -> float:
    """Area under the raw accuracy curve over thresholds 0..150, normalised to [0, 1].

    Computed as the mean of the curve at the 151 integer thresholds (a Riemann sum with step 1
    divided by the range), the usual reading of Zhang et al.'s "AuC"; 1.0 means every pixel exact.
    """
    return float(accuracy_curve(pred, target, space).mean())


def accuracy_at(
    pred: np.ndarray, target: np.ndarray, threshold: float = 10, space: Space = "ab"
) -> float:
    """Share of pixels within ``threshold`` colour error (e.g. 10 ab units, a common cut-off)."""
    return float(accuracy_curve(pred, target, space, np.array([threshold]))[0])


class AccuracyCurve:
    """Raw accuracy pooled over many frames: every pixel of every frame weighs the same.

    Holds a histogram of integer-ceiled errors, so memory is constant whatever the video length.
    For an integer threshold t, ``error <= t`` exactly when ``ceil(error) <= t``, so the pooled
    curve at integer thresholds equals :func:`accuracy_curve` on all the pixels at once. Errors
    beyond ``max_threshold`` share one overflow bin.
    """

    def __init__(self, space: Space = "ab", max_threshold: int = MAX_THRESHOLD) -> None:
        if space not in ("ab", "rgb"):
            raise ValueError(f"space must be 'ab' or 'rgb', got {space!r}")
        self.space: Space = space
        self.max_threshold = int(max_threshold)
        self.counts = np.zeros(self.max_threshold + 2, dtype=np.int64)

    @property
    def pixels(self) -> int:
        return int(self.counts.sum())

    def add(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Count one frame's pixels."""
        errors = color_error(pred, target, self.space).ravel()
        bins = np.minimum(np.ceil(errors), self.max_threshold + 1).astype(np.int64)
        self.counts += np.bincount(bins, minlength=self.counts.size)

    def curve(self) -> np.ndarray:
        """Accuracy at thresholds 0..max_threshold."""
        if self.pixels == 0:
            raise ValueError("no frames added")
        return np.cumsum(self.counts)[: self.max_threshold + 1] / self.pixels

    def at(self, threshold: int = 10) -> float:
        """Accuracy at an integer threshold in 0..max_threshold."""
        if not 0 <= threshold <= self.max_threshold or int(threshold) != threshold:
            raise ValueError(f"threshold must be an integer in 0..{self.max_threshold}")
        return float(self.curve()[int(threshold)])

    def auc(self) -> float:
        """Mean of the curve over thresholds 0..max_threshold, as :func:`auc`."""
        return float(self.curve().mean())


# --------------------------------------------------------------------------------- CDC


def _channel_histograms(frame: np.ndarray) -> np.ndarray:
    """(3, 256) probability distributions of the R, G, B values of one 8-bit frame."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"CDC needs HxWx3 uint8 frames, got {frame.dtype} {frame.shape}")
    pixels = frame.reshape(-1, 3)
    hist = np.stack([np.bincount(pixels[:, c], minlength=256) for c in range(3)])
    return hist / pixels.shape[0]


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence in bits (log base 2, so in [0, 1]) along the last axis."""
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / m), 0.0)
        return terms.sum(-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


def cdc(frames: Sequence[np.ndarray]) -> float:
    """Colour distribution consistency (Liu et al. 2021); lower is steadier colour.

    For each RGB channel, each frame's 256-bin histogram as a probability distribution; the
    Jensen-Shannon divergence (base 2, in [0, 1]) between frames t and t+d, averaged over t and
    the three channels, for d = 1, 2 and 4, weighted 1/3 each. Distances longer than the clip
    have no pairs and are dropped, the remaining weights renormalised. Fewer than two frames have
    no temporal change to measure and give 0.0.
    """
    if len(frames) < 2:
        return 0.0
    hists = np.stack([_channel_histograms(frame) for frame in frames])
    per_dilation = [
        float(js_divergence(hists[:-d], hists[d:]).mean()) for d in CDC_DILATIONS if d < len(frames)
    ]
    return float(np.mean(per_dilation))


# ------------------------------------------------------------------------ warping error


def to_gray_u8(frame: np.ndarray) -> np.ndarray:
    """Contiguous 8-bit grey for DIS from HxW / HxWx1 / HxWx3 (RGB) uint8, or float in [0, 1]."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        frame = np.clip(np.rint(frame.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[..., 0]
    elif frame.ndim == 3 and frame.shape[2] == 3:
        frame = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    elif frame.ndim != 2:
        raise ValueError(f"expected a grey or RGB frame, got shape {frame.shape}")
    return np.ascontiguousarray(frame)


def dis_flow(a: np.ndarray, b: np.ndarray, dis: cv2.DISOpticalFlow | None = None) -> np.ndarray:
    """Optical flow (H x W x 2 float32, x then y) from frame ``a`` to ``b``, DIS medium preset.

    The flow is sampled on a's pixels and points into b. Pass ``dis`` to reuse one instance over
    a video (creating it costs about as much as a small frame's flow).
    """
    if dis is None:
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(to_gray_u8(a), to_gray_u8(b), None)


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """True where a pixel of the source frame is *visible* (non-occluded) in the target frame.

    ``forward`` is the flow a -> b, ``backward`` b -> a. A pixel is rejected (Sundaram et al.
    2010, Ruder et al. 2016) when

    - forward and backward flow disagree: |F + B_w|^2 >= 0.01 (|F|^2 + |B_w|^2) + 0.5, with B_w
      the backward flow warped onto a's grid (the round trip does not come home);
    - it is on a motion boundary: |grad u|^2 + |grad v|^2 > 0.01 |F|^2 + 0.002;
    - its forward flow lands outside frame b (nothing there to compare with).
    """
    forward = np.asarray(forward, dtype=np.float32)
    backward_warped = warp(np.asarray(backward, dtype=np.float32), forward)
    f2 = (forward**2).sum(-1)
    consistent = ((forward + backward_warped) ** 2).sum(-1) < (
        0.01 * (f2 + (backward_warped**2).sum(-1)) + 0.5
    )
    grads = [np.gradient(forward[..., c].astype(np.float64)) for c in range(2)]
    gradient2 = sum(gy**2 + gx**2 for gy, gx in grads)
    boundary = gradient2 > 0.01 * f2 + 0.002
    return consistent & ~boundary & (lands_inside(forward) > 0)


def warp_error_pairs(
    output_frames: Sequence[np.ndarray], input_gray_frames: Sequence[np.ndarray]
) -> np.ndarray:
    """Warping error of each consecutive pair (t, t+1), for pooling across clips.

    E_t = sum M ||V_t - warp(V_{t+1})||^2 / sum M with V the output in [0, 1] RGB, ||.||^2 summed
    over the three channels of a pixel (so the mean is per *pixel*, not per value, like Lai et
    al.'s evaluation code), the flow and mask M from the *input* grey frames so that the metric
    judges the colours and not the flow. A pair without any visible pixel contributes 0.
    """
    if len(output_frames) != len(input_gray_frames):
        raise ValueError(
            f"{len(output_frames)} output frames but {len(input_gray_frames)} input frames"
        )
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    gray = [to_gray_u8(frame) for frame in input_gray_frames]
    errors = []
    for t in range(len(output_frames) - 1):
        current = np.asarray(output_frames[t], dtype=np.float32) / np.float32(DATA_RANGE)
        following = np.asarray(output_frames[t + 1], dtype=np.float32) / np.float32(DATA_RANGE)
        if current.shape[:2] != gray[t].shape:
            raise ValueError(f"output {current.shape} and input {gray[t].shape} differ in size")
        forward = dis_flow(gray[t], gray[t + 1], dis)
        backward = dis_flow(gray[t + 1], gray[t], dis)
        mask = occlusion_mask(forward, backward)
        diff2 = ((current - warp(following, forward)).astype(np.float64) ** 2).sum(-1)
        visible = int(mask.sum())
        errors.append(float(diff2[mask].sum() / visible) if visible else 0.0)
    return np.array(errors, dtype=np.float64)


def warp_error(
    output_frames: Sequence[np.ndarray], input_gray_frames: Sequence[np.ndarray]
) -> float:
    """Warping error (Lai et al. 2018, "Learning blind video temporal consistency").

    Mean of :func:`warp_error_pairs` over consecutive pairs; 0.0 for fewer than two frames.
    Lower is steadier. ``output_frames`` are HxWx3 uint8 RGB, ``input_gray_frames`` the
    black-and-white source (grey uint8, or RGB that is converted to grey).
    """
    errors = warp_error_pairs(output_frames, input_gray_frames)
    return float(errors.mean()) if errors.size else 0.0


# ------------------------------------------------------------------------- colourfulness


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


# ------------------------------------------------------------ semantic interpretability


def top_k_accuracy(logits: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Share of samples whose label is among the k highest-scoring classes (:func:`top_k_hits`)."""
    return float(np.mean(top_k_hits(logits, labels, k)))


def top_k_hits(logits: np.ndarray, labels: np.ndarray, k: int = 1) -> np.ndarray:
    """Per sample, whether its label is among the k highest-scoring classes.

    Ties count against the label (its rank is the number of *other* classes scoring at least as
    high), so a classifier that outputs constant scores cannot look accurate.
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(
            f"expected logits (N, C) and labels (N,), got {logits.shape} and {labels.shape}"
        )
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if logits.shape[0] == 0:
        raise ValueError("no samples")
    rows = np.arange(logits.shape[0])
    label_scores = logits[rows, labels][:, None]
    rank = (logits >= label_scores).sum(1) - 1
    return rank < k


def gap_recovered(acc_gray: float, acc_color: float, acc_original: float) -> float:
    """Share of the classifier accuracy lost to greyscale that the colourisation wins back.

    (acc_color - acc_gray) / (acc_original - acc_gray): 1 means as recognisable as the true
    colours, 0 no better than grey, negative worse than grey; ``nan`` when grey loses nothing.
    """
    gap = acc_original - acc_gray
    if gap == 0:
        return float("nan")
    return float((acc_color - acc_gray) / gap)


def gap_recovered_interval(
    grey: np.ndarray,
    colour: np.ndarray,
    original: np.ndarray,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap interval of :func:`gap_recovered` from per-photo hits (bool arrays, one entry
    per photo in the same order), resampling photos with their three versions together.

    On 195 ImageNet photos whose grey versions lose 11 points of top-1, one photo is 5 % of the
    gap: a difference of a few per cent between two colourisers is noise, and this says how much.
    Resamples where grey loses nothing are left out.
    """
    hits = np.stack([np.asarray(h, np.float64) for h in (grey, colour, original)])
    if hits.shape[1] == 0:
        raise ValueError("no samples")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, hits.shape[1], (resamples, hits.shape[1]))
    grey_acc, colour_acc, original_acc = (h[picks].mean(axis=1) for h in hits)
    gap = original_acc - grey_acc
    valid = gap != 0
    if not valid.any():
        return float("nan"), float("nan")
    shares = (colour_acc[valid] - grey_acc[valid]) / gap[valid]
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(shares, [tail, 100 - tail])
    return float(low), float(high)
