"""Image quality measures (numpy / scikit-image) used by training cards and benchmarks.

All take float images ``[H, W, 3]`` (or ``[H, W]`` luma) in [0, 1]. PSNR and SSIM follow the usual
super-resolution protocol: on the luma, with a border of ``SHAVE`` pixels left out (the edge of an upscale has
no neighbours on one side and says little about the model). Sharpness is the mean absolute Laplacian of the
luma; the lattice share measures regular grids (checkerboards, halftone dots) that a generator stamps.
"""

from __future__ import annotations

import numpy as np

from .preprocess import luma

SHAVE = 8  # border pixels left out of PSNR and SSIM
LATTICE_PERIOD = 8  # the lattice measure counts periods 2, 4 and 8 px (every divisor of 8) on both axes


def _shaved_luma(a: np.ndarray) -> np.ndarray:
    y = luma(a)
    s = SHAVE if min(y.shape) > 4 * SHAVE else 0
    return y[s : y.shape[0] - s, s : y.shape[1] - s]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of the luma, border shaved (data range 1)."""
    from skimage.metrics import peak_signal_noise_ratio

    with np.errstate(divide="ignore"):  # identical images: inf dB, not a warning
        return float(peak_signal_noise_ratio(_shaved_luma(b), _shaved_luma(a), data_range=1.0))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of the luma, border shaved (data range 1)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(_shaved_luma(a), _shaved_luma(b), data_range=1.0))


def sharpness(a: np.ndarray) -> float:
    """Mean absolute Laplacian of the luma: how much fine detail an image has (compare with the real photo's)."""
    from scipy.ndimage import laplace

    return float(np.mean(np.abs(laplace(luma(a), mode="reflect"))))


def periodic_component(u: np.ndarray) -> np.ndarray:
    """The periodic part of a 2-D image (Moisan's periodic-plus-smooth decomposition, 2011).

    An FFT treats an image as one tile of a periodic plane, so its borders become edges that smear power along
    both axes, right through the lattice bins. Subtracting the smooth component removes exactly those edges.
    """
    u = u.astype(np.float64)
    h, w = u.shape
    v = np.zeros_like(u)
    v[0, :] += u[-1, :] - u[0, :]
    v[-1, :] += u[0, :] - u[-1, :]
    v[:, 0] += u[:, -1] - u[:, 0]
    v[:, -1] += u[:, 0] - u[:, -1]
    q = np.arange(h).reshape(-1, 1)
    r = np.arange(w).reshape(1, -1)
    denom = 2 * np.cos(2 * np.pi * q / h) + 2 * np.cos(2 * np.pi * r / w) - 4
    denom[0, 0] = 1.0
    smooth_hat = np.fft.fft2(v) / denom
    smooth_hat[0, 0] = 0.0
    return u - np.real(np.fft.ifft2(smooth_hat))


def lattice_share(a: np.ndarray) -> float:
    """Share of the luma's non-DC spectral power in the bins of period 2, 4 and 8 px on both axes.

    ``a`` is cropped to a multiple of 8 px, so a pattern repeating every 2, 4 or 8 px falls exactly on the bins
    (multiples of H/8 and W/8 cycles) instead of leaking around them. A natural photo puts a tiny share there
    (63 bins out of H x W); a checkerboard or an 8-px grid puts most of its power there. Compare images of one
    size only: the share of a natural image scales as 1 / (H x W). Raises ``ValueError`` below 16x16.
    """
    y = luma(a)
    h, w = (d // LATTICE_PERIOD * LATTICE_PERIOD for d in y.shape)
    if h < 2 * LATTICE_PERIOD or w < 2 * LATTICE_PERIOD:
        raise ValueError(f"lattice share needs at least 16x16 pixels, got {y.shape[1]}x{y.shape[0]}")
    p = periodic_component(y[:h, :w])
    power = np.abs(np.fft.fft2(p - p.mean())) ** 2
    power[0, 0] = 0.0
    total = power.sum()
    if total <= 0:
        return 0.0
    lattice = power[:: h // LATTICE_PERIOD, :: w // LATTICE_PERIOD].sum()
    return float(lattice / total)


def lattice_ratio(a: np.ndarray, reference: np.ndarray) -> float:
    """:func:`lattice_share` of ``a`` over that of ``reference`` (same size: the ground truth, or a photo).

    1 means no more grid than the reference has; a visible checkerboard scores tens to thousands.
    """
    if luma(a).shape != luma(reference).shape:
        raise ValueError(f"lattice ratio compares images of one size, got {a.shape[:2]} and {reference.shape[:2]}")
    return lattice_share(a) / max(lattice_share(reference), 1e-12)


def compare(outputs: list[np.ndarray], baselines: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, float]:
    """Mean PSNR / SSIM / sharpness / lattice ratio of ``outputs`` and ``baselines`` (bicubic) against ``targets``.

    ``sharpness_vs_target`` is the model's sharpness over the real photos' (1.0 = as much fine detail);
    ``lattice_model`` / ``lattice_bicubic`` are mean lattice ratios against the targets (1.0 = no more grid).
    """
    res: dict[str, float] = {}
    for name, imgs in (("model", outputs), ("bicubic", baselines)):
        pairs = list(zip(imgs, targets, strict=True))
        res[f"psnr_{name}"] = float(np.mean([psnr(x, t) for x, t in pairs]))
        res[f"ssim_{name}"] = float(np.mean([ssim(x, t) for x, t in pairs]))
        res[f"sharpness_{name}"] = float(np.mean([sharpness(x) for x in imgs]))
        res[f"lattice_{name}"] = float(np.mean([lattice_ratio(x, t) for x, t in pairs]))
    res["sharpness_target"] = float(np.mean([sharpness(t) for t in targets]))
    res["psnr_gain_db"] = res["psnr_model"] - res["psnr_bicubic"]
    res["sharpness_ratio"] = res["sharpness_model"] / max(res["sharpness_bicubic"], 1e-12)
    res["sharpness_vs_target"] = res["sharpness_model"] / max(res["sharpness_target"], 1e-12)
    return {k: round(v, 4) for k, v in res.items()}
