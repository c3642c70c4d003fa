"""Image quality measures (numpy / scikit-image) used by training cards and benchmarks.

All take float images ``[H, W, 3]`` in [0, 1].
"""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (data range 1)."""
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(b, a, data_range=1.0))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity over RGB (data range 1)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=1.0))


def sharpness(a: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of the luma: how much edge detail an image has."""
    from skimage.filters import sobel

    luma = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.mean(sobel(luma)))


def compare(outputs: list[np.ndarray], baselines: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, float]:
    """Mean PSNR / SSIM / sharpness of ``outputs`` and of ``baselines`` (e.g. bicubic) against ``targets``."""
    res: dict[str, float] = {}
    for name, imgs in (("model", outputs), ("bicubic", baselines)):
        res[f"psnr_{name}"] = float(np.mean([psnr(x, t) for x, t in zip(imgs, targets, strict=True)]))
        res[f"ssim_{name}"] = float(np.mean([ssim(x, t) for x, t in zip(imgs, targets, strict=True)]))
        res[f"sharpness_{name}"] = float(np.mean([sharpness(x) for x in imgs]))
    res["sharpness_target"] = float(np.mean([sharpness(t) for t in targets]))
    res["psnr_gain_db"] = res["psnr_model"] - res["psnr_bicubic"]
    res["sharpness_ratio"] = res["sharpness_model"] / max(res["sharpness_bicubic"], 1e-12)
    return {k: round(v, 4) for k, v in res.items()}
