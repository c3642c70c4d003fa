"""Generated starting images for see models: seeded blobs, gradients or noise fields (float RGB in [0, 1]).

Learning to See turns any rough grayscale input into its world, so a series can start from nothing but a seed.
"""

from __future__ import annotations

import numpy as np


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
