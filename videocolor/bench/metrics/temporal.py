"""Temporal stability of a coloured sequence: CDC (Liu et al. 2021) and the warping error (Lai et
al. 2018), with the flow and occlusion helpers public so that other modules reuse the same ones."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from videocolor.bench.metrics.pairs import DATA_RANGE
from videocolor.engine.flow import lands_inside, warp

#: Frame distances of CDC (Liu et al. 2021), each weighted 1/3.
CDC_DILATIONS = (1, 2, 4)


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
