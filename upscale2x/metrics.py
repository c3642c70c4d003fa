"""Image quality measures (numpy / scikit-image) used by training cards and benchmarks.

All take float images ``[H, W, 3]`` (or ``[H, W]`` luma) in [0, 1]. PSNR and SSIM follow the usual
super-resolution protocol: on the luma, with a border of ``SHAVE`` pixels left out (the edge of an upscale has
no neighbours on one side and says little about the model). Sharpness is the mean absolute Laplacian of the
luma; the lattice share measures regular grids (checkerboards, halftone dots) that a generator stamps.
"""

from __future__ import annotations

import numpy as np

from .colour import luma

SHAVE = 8  # border pixels left out of PSNR and SSIM
LATTICE_PERIOD = 8  # the lattice measure counts periods 2, 4 and 8 px (every divisor of 8) on both axes
DITHER_FREQ = 0.37  # the dither measure counts frequencies from this many cycles per px (periods under 2.7 px) up


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
    power = _power(y[:h, :w])
    total = power.sum()
    if total <= 0:
        return 0.0
    lattice = power[:: h // LATTICE_PERIOD, :: w // LATTICE_PERIOD].sum()
    return float(lattice / total)


def _power(y: np.ndarray) -> np.ndarray:
    """The spectral power of a luma plane's periodic component, DC left out."""
    p = periodic_component(y)
    power = np.abs(np.fft.fft2(p - p.mean())) ** 2
    power[0, 0] = 0.0
    return power


def _share_ratio(share, what: str, a: np.ndarray, reference: np.ndarray) -> float:
    """``share(a) / share(reference)`` for two images of one size."""
    if luma(a).shape != luma(reference).shape:
        raise ValueError(f"{what} ratio compares images of one size, got {a.shape[:2]} and {reference.shape[:2]}")
    return share(a) / max(share(reference), 1e-12)


def lattice_ratio(a: np.ndarray, reference: np.ndarray) -> float:
    """:func:`lattice_share` of ``a`` over that of ``reference`` (same size: the ground truth, or a photo).

    1 means no more grid than the reference has; a visible checkerboard scores tens to thousands.
    """
    return _share_ratio(lattice_share, "lattice", a, reference)


def dither_share(a: np.ndarray) -> float:
    """Share of the luma's non-DC spectral power at the finest frequencies: >= DITHER_FREQ cycles/px on either axis.

    A GAN pushed for fine detail can stamp a near-Nyquist mesh (periods of 2-2.7 px, seen at 100 % as a fine
    screen) that raises the sharpness measure; off the 2/4/8 px bins, the lattice measure misses most of it. A
    photo puts little power there. Compare images of one size with :func:`dither_ratio`.
    """
    y = luma(a)
    if min(y.shape) < 16:
        raise ValueError(f"dither share needs at least 16x16 pixels, got {y.shape[1]}x{y.shape[0]}")
    power = _power(y)
    total = power.sum()
    if total <= 0:
        return 0.0
    fy = np.abs(np.fft.fftfreq(y.shape[0]))[:, None]
    fx = np.abs(np.fft.fftfreq(y.shape[1]))[None, :]
    return float(power[(fy >= DITHER_FREQ) | (fx >= DITHER_FREQ)].sum() / total)


def dither_ratio(a: np.ndarray, reference: np.ndarray) -> float:
    """:func:`dither_share` of ``a`` over that of ``reference`` (same size): 1 = as fine-grained as the photo."""
    return _share_ratio(dither_share, "dither", a, reference)


def compare(outputs: list[np.ndarray], baselines: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, float]:
    """Mean PSNR / SSIM / sharpness / lattice ratio of ``outputs`` and ``baselines`` (bicubic) against ``targets``.

    ``sharpness_vs_target`` is the model's sharpness over the real photos' (1.0 = as much fine detail);
    ``lattice_model`` / ``lattice_bicubic`` are mean lattice ratios against the targets (1.0 = no more grid),
    ``dither_model`` / ``dither_bicubic`` mean dither ratios (1.0 = no more near-Nyquist mesh than the photo).
    """
    res: dict[str, float] = {}
    for name, imgs in (("model", outputs), ("bicubic", baselines)):
        pairs = list(zip(imgs, targets, strict=True))
        res[f"psnr_{name}"] = float(np.mean([psnr(x, t) for x, t in pairs]))
        res[f"ssim_{name}"] = float(np.mean([ssim(x, t) for x, t in pairs]))
        res[f"sharpness_{name}"] = float(np.mean([sharpness(x) for x in imgs]))
        res[f"lattice_{name}"] = float(np.mean([lattice_ratio(x, t) for x, t in pairs]))
        res[f"dither_{name}"] = float(np.mean([dither_ratio(x, t) for x, t in pairs]))
    res["sharpness_target"] = float(np.mean([sharpness(t) for t in targets]))
    res["psnr_gain_db"] = res["psnr_model"] - res["psnr_bicubic"]
    res["sharpness_ratio"] = res["sharpness_model"] / max(res["sharpness_bicubic"], 1e-12)
    res["sharpness_vs_target"] = res["sharpness_model"] / max(res["sharpness_target"], 1e-12)
    return {k: round(v, 4) for k, v in res.items()}


# --- Measures of imagined pictures (the see models and chains): each compared with a real photo's. ---

FRAME_RING = 4  # the outer ring whose step to the image's inside reads a frame, in pixels
FRAME_INNER = 8  # the ring just inside it, the reference level


def colourfulness(a: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness (2003) of an RGB image in [0, 1], on the 0-255 scale.

    ``sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` with ``rg = R - G`` and
    ``yb = (R + G) / 2 - B``: 0 for a grey image, about 30-60 for everyday photos, above 100 for saturated ones.
    """
    if a.ndim != 3 or a.shape[-1] < 3:
        return 0.0
    rgb = a[..., :3].astype(np.float64) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def axis_share(a: np.ndarray) -> float:
    """Share of the luma's non-DC power on the kx = 0 and ky = 0 axes of a Hann-windowed FFT.

    Horizontal or vertical streaks (and a frame, or any pattern constant along rows or columns) put their power
    on those two lines of the spectrum; a natural photo spreads its power over all orientations. The window keeps
    the image's own borders (an FFT's wrap-around edges) off the axes. Raises ``ValueError`` below 16x16.
    """
    y = luma(a).astype(np.float64)
    if min(y.shape) < 16:
        raise ValueError(f"axis share needs at least 16x16 pixels, got {y.shape[1]}x{y.shape[0]}")
    window = np.outer(np.hanning(y.shape[0]), np.hanning(y.shape[1]))
    power = np.abs(np.fft.fft2((y - y.mean()) * window)) ** 2
    power[0, 0] = 0.0
    total = power.sum()
    if total <= 0:
        return 0.0
    return float((power[0, :].sum() + power[:, 0].sum()) / total)


def frame_step(a: np.ndarray) -> float:
    """The outer 4-px ring's mean luma minus that of the 8-px ring inside it, in grey levels (0-255).

    A generator that knows where its cell ends (zero padding) paints a lighter or darker frame there; a photo's
    step is a few grey levels either way. Raises ``ValueError`` below 32x32 (no inside left).
    """
    y = luma(a).astype(np.float64) * 255.0
    h, w = y.shape
    r, q = FRAME_RING, FRAME_RING + FRAME_INNER
    if min(h, w) < 2 * q + 8:
        raise ValueError(f"frame step needs at least {2 * q + 8}x{2 * q + 8} pixels, got {w}x{h}")

    def ring_mean(outer: int, inner: int) -> float:
        mask = np.zeros_like(y, dtype=bool)
        mask[outer : h - outer, outer : w - outer] = True
        mask[inner : h - inner, inner : w - inner] = False
        return float(y[mask].mean())

    return ring_mean(0, r) - ring_mean(r, q)


def frame_excess(a: np.ndarray, photo: np.ndarray) -> float:
    """How far the frame step of ``a`` departs from the photo's, in grey levels (0 = no stronger frame)."""
    return abs(frame_step(a) - frame_step(photo))


def imagine_scores(output: np.ndarray, photo: np.ndarray) -> dict[str, float]:
    """An imagined picture against the real photo it was made from (same size), each 1.0 = as the photo.

    ``detail`` (mean abs. Laplacian), ``colourfulness`` and ``axis`` (axis share) are ratios output / photo;
    ``frame`` is :func:`frame_excess` in grey levels; ``lattice`` is :func:`lattice_ratio`.
    """
    if luma(output).shape != luma(photo).shape:
        raise ValueError(f"imagine scores compare images of one size, got {output.shape[:2]} and {photo.shape[:2]}")
    return {
        "detail": sharpness(output) / max(sharpness(photo), 1e-12),
        "colourfulness": colourfulness(output) / max(colourfulness(photo), 1e-12),
        "axis": axis_share(output) / max(axis_share(photo), 1e-12),
        "frame": frame_excess(output, photo),
        "lattice": lattice_ratio(output, photo),
    }
