"""The render-time transforms in numpy, equal to TensorFlow's (preprocess.py) to float rounding.

Training runs its transforms as TensorFlow ops inside tf.data; rendering on LiteRT (and live `see`) must not
import TensorFlow, so the transforms a render needs (tasks' ``image_prep`` and ``cell_prep``) are here as well,
built from the same definitions: ``tf.image.resize``'s half-pixel bicubic (Keys, a = -0.5, its 1024-entry
weight table, taps outside the image dropped and the rest renormalised) and its area resize, each written as a
separable matrix. ``tests/test_resample.py`` checks every one against TensorFlow.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..colour import luma
from .tasks import TASKS

SR_FACTOR = TASKS["sr8x"].scale  # sr8x: 256x256 target <-> 32x32 input
SEE_FACTOR = 24  # Learning to See: 24x area downscale, then cubic back up

_TABLE = 1024  # tf's resize_bicubic looks its weights up in a table of this many steps
_A = -0.5  # Keys' cubic with a = -0.5 (tf's half-pixel bicubic)


def _keys(d: np.ndarray) -> np.ndarray:
    d = np.abs(d)
    near = ((_A + 2) * d - (_A + 3)) * d * d + 1
    far = ((_A * d - 5 * _A) * d + 8 * _A) * d - 4 * _A
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


@lru_cache(maxsize=64)
def cubic_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` float32: row i holds the bicubic weights of output pixel i (tf.image.resize 'bicubic')."""
    m = np.zeros((n_out, n_in), np.float64)
    pos = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    base = np.floor(pos).astype(np.int64)
    delta = np.rint((pos - base) * _TABLE) / _TABLE  # tf rounds the fraction to its table step
    for k in range(-1, 3):
        idx = base + k
        w = _keys(delta - k)
        ok = (idx >= 0) & (idx < n_in)
        np.add.at(m, (np.nonzero(ok)[0], idx[ok]), w[ok])
    m /= m.sum(axis=1, keepdims=True)
    return m.astype(np.float32)


def area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Area (box) weights as taps: output pixel i averages input [i*s, (i+1)*s), s = n_in/n_out.

    Returns ``idx[n_out, T]`` input indices and ``w[n_out, T]`` float32 weights (0 for unused taps): sparse, so
    a band-wise resize of a very wide image (bands.AreaSink) never builds an ``n_out x n_in`` matrix.
    """
    s = n_in / n_out
    lo = np.arange(n_out) * s
    hi = lo + s
    first = np.floor(lo).astype(np.int64)
    taps = int(np.ceil(s)) + 1
    idx = first[:, None] + np.arange(taps)[None, :]
    w = np.clip(np.minimum(hi[:, None], idx + 1) - np.maximum(lo[:, None], idx), 0.0, None)
    w[idx >= n_in] = 0.0
    idx = np.minimum(idx, n_in - 1)
    w /= w.sum(axis=1, keepdims=True)
    return idx, w.astype(np.float32)


@lru_cache(maxsize=64)
def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` float32 area weights (:func:`area_taps` as a dense matrix)."""
    idx, w = area_taps(n_in, n_out)
    m = np.zeros((n_out, n_in), np.float64)
    np.add.at(m, (np.repeat(np.arange(n_out), idx.shape[1]), idx.ravel()), w.ravel())
    return m.astype(np.float32)


def resize(x: np.ndarray, height: int, width: int, method: str = "bicubic") -> np.ndarray:
    """Resize ``[H, W, C]`` or ``[N, H, W, C]`` float32 to ``height`` x ``width`` ('bicubic' or 'area').

    Two large matrix products (rows, then columns), each one BLAS call over the whole batch.
    """
    matrix = cubic_matrix if method == "bicubic" else area_matrix
    x = np.asarray(x, np.float32)
    rows, cols = matrix(x.shape[-3], height), matrix(x.shape[-2], width)
    xh = np.moveaxis(x, -3, 0)  # [H, ..., W, C]
    y = (rows @ xh.reshape(xh.shape[0], -1)).reshape(height, *xh.shape[1:])
    y = np.swapaxes(np.moveaxis(y, 0, -3), -1, -2)  # [..., h, C, W]
    return np.ascontiguousarray(np.swapaxes(y @ cols.T, -1, -2))


def grayscale(x: np.ndarray) -> np.ndarray:
    """RGB -> ``[..., 1]`` (ITU-R 601 luma, as preprocess.grayscale); one channel passes through."""
    x = np.asarray(x, np.float32)
    return x if x.shape[-1] == 1 else luma(x)[..., None]


def area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """High-quality (area) resize of a float image ``[H, W, C]`` to ``height`` x ``width``."""
    return resize(image, height, width, "area")


def sr8x_lift(small: np.ndarray) -> np.ndarray:
    """preprocess.sr8x_lift: bicubic 8x, clipped to [0, 1]."""
    h, w = small.shape[-3:-1]
    return np.clip(resize(small, h * SR_FACTOR, w * SR_FACTOR), 0.0, 1.0)


def see_abstract(x: np.ndarray) -> np.ndarray:
    """preprocess.see_abstract: grayscale, 24x area down (size rounded, at least 1), cubic back up, clipped."""
    g = grayscale(x)
    h, w = g.shape[-3:-1]
    small = resize(g, max(1, round(h / SEE_FACTOR)), max(1, round(w / SEE_FACTOR)), "area")
    return np.clip(resize(small, h, w), 0.0, 1.0)


# The transforms a render may need (each task's image_prep and cell_prep), checked at import like preprocess's.
TRANSFORMS = {"sr8x_lift": sr8x_lift, "see_abstract": see_abstract}
_missing = sorted({t for s in TASKS.values() for t in (s.image_prep, s.cell_prep) if t} - set(TRANSFORMS))
if _missing:
    raise ImportError(f"tasks.py names render transforms resample does not have: {', '.join(_missing)}")


def transform(name: str):
    """The numpy transform called ``name``, or identity for ""."""
    return TRANSFORMS[name] if name else (lambda x: x)
