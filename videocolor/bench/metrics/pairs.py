"""The images a metric compares: both the same shape, as float64, on the 0..255 scale."""

from __future__ import annotations

import numpy as np

#: Peak value of 8-bit data, the data range of PSNR and SSIM.
DATA_RANGE = 255.0


def image_pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64, refusing mismatched shapes (a silent broadcast hides bugs)."""
    pred = np.asarray(pred)
    target = np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} differ in shape")
    if pred.ndim not in (2, 3):
        raise ValueError(f"expected an HxW or HxWxC image, got shape {pred.shape}")
    return pred.astype(np.float64), target.astype(np.float64)


def rgb_pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 HxWx3 RGB, refusing anything else."""
    pred, target = image_pair(pred, target)
    if pred.ndim != 3 or pred.shape[2] != 3:
        raise ValueError(f"expected HxWx3 RGB images, got shape {pred.shape}")
    return pred, target
