"""Starting images for see models (float RGB in [0, 1]): seeded blobs, gradients or noise fields, and mixes.

Learning to See turns any rough grayscale input into its world, so a series can start from nothing but a seed,
or from a blend of a few photos (the *Abstracts* seed's "new mixes of their faces").
"""

from __future__ import annotations

import numpy as np

from ..colour import luma


def _smooth(field: np.ndarray, passes: int) -> np.ndarray:
    for _ in range(passes):
        rolled = [np.roll(field, d, axis) for d in (1, -1) for axis in (0, 1)]
        field = (field + sum(rolled)) / 5
    return field


def generate(kind: str, size: int, seed: int) -> np.ndarray:
    """A ``[size, size, 3]`` gray start of ``kind`` (blobs, gradients, noise); the same seed, the same image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == "blobs":
        g = np.full((size, size), rng.uniform(0.2, 0.5), np.float32)
        for _ in range(rng.integers(3, 8)):
            cy, cx, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
            g += rng.uniform(-0.6, 0.8) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    elif kind == "gradients":
        angle, freq = rng.uniform(0, np.pi), rng.uniform(0.5, 3)
        t = np.cos(angle) * xx + np.sin(angle) * yy
        g = 0.5 + 0.4 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    elif kind == "noise":
        coarse = rng.random((max(2, size // 32), max(2, size // 32))).astype(np.float32)
        g = np.kron(coarse, np.ones((32, 32), np.float32))[:size, :size]
        g = np.pad(g, ((0, size - g.shape[0]), (0, size - g.shape[1])), mode="edge")
        g = _smooth(g, 24)
    else:
        raise ValueError(f"unknown generator {kind!r}")
    g = np.clip(g, 0, 1).astype(np.float32)
    return np.repeat(g[..., None], 3, axis=2)


def mix_weights(n: int, seed: int) -> tuple[float, ...]:
    """``n`` blend weights summing to 1, drawn from the seed (Dirichlet, alpha 2: every image shows)."""
    w = np.random.default_rng(seed).dirichlet(np.full(n, 2.0))
    w = np.round(w, 4)
    w[-1] = round(1.0 - float(w[:-1].sum()), 4)
    return tuple(float(x) for x in w)


def mix(images: list[np.ndarray], weights: tuple[float, ...], size: int) -> np.ndarray:
    """A ``[size, size, 3]`` gray blend of ``images`` (float RGB): each one's luma, its centred square scaled to
    ``size``, summed with ``weights``. Faces centred in their photos come out aligned by centre."""
    from skimage.transform import resize

    out = np.zeros((size, size), np.float32)
    for img, w in zip(images, weights, strict=True):
        y = luma(img)
        side = min(y.shape[:2])
        top, left = (y.shape[0] - side) // 2, (y.shape[1] - side) // 2
        square = y[top : top + side, left : left + side]
        out += w * resize(square, (size, size), order=1, anti_aliasing=side > size, preserve_range=True)
    return np.repeat(np.clip(out, 0, 1)[..., None], 3, axis=2).astype(np.float32)
