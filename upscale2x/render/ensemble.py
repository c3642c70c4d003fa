"""Geometric self-ensemble: run a cell function on flipped and rotated copies of its input and average them.

A convolutional upscaler is not exactly equivariant to flips and quarter turns, so its errors on the eight
symmetries of a cell (the dihedral group) are partly independent; mapping each output back and averaging them
removes part of those errors (EDSR+, Lim et al., 2017). On scikit-image's photos the shipped ``sr8x`` goes from
+0.92 dB over bicubic to +0.97 with 2 copies and +1.01 with 8 (benchmarks/quality.py --ensemble), at 2 and 8 times
the model time; its leftover 8-px lattice drops by a third. A GAN model's invented texture differs
between copies, so averaging smooths it: for ``sr8x-detail`` and ``see`` this trades detail for calm.

The copies are, in order: as is, mirrored left-right, mirrored top-bottom, turned half way (``--ensemble 2``
takes the first two, ``4`` the first four, which keep a cell's shape for any cell), then the four that transpose
(``8``), which swap a cell's height and width: the tiler's cells are square.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import RenderError

SIZES = (1, 2, 4, 8)  # copies per cell: none, + left-right mirror, + the other two mirrors, + the transposes


def _forward(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k``-th symmetry of a batch ``[N, H, W, C]``."""
    if k & 1:
        x = x[:, :, ::-1]
    if k & 2:
        x = x[:, ::-1]
    if k & 4:
        x = x.transpose(0, 2, 1, 3)
    return np.ascontiguousarray(x)


def _inverse(y: np.ndarray, k: int) -> np.ndarray:
    """Undo :func:`_forward` (the steps in reverse order; each one is its own inverse)."""
    if k & 4:
        y = y.transpose(0, 2, 1, 3)
    if k & 2:
        y = y[:, ::-1]
    if k & 1:
        y = y[:, :, ::-1]
    return y


def check_size(n: int) -> int:
    """``n`` if it is a copy count this module knows, else a RenderError."""
    if n not in SIZES:
        raise RenderError(f"--ensemble must be one of {', '.join(map(str, SIZES))}, got {n}")
    return n


def self_ensemble(fn: Callable[[np.ndarray], np.ndarray], n: int) -> Callable[[np.ndarray], np.ndarray]:
    """``fn`` averaged over the first ``n`` symmetries of its batch ``[N, H, W, C]`` (``fn`` itself for 1)."""
    check_size(n)
    if n == 1:
        return fn

    def call(batch: np.ndarray) -> np.ndarray:
        total = None
        for k in range(n):
            y = _inverse(np.asarray(fn(_forward(batch, k)), np.float32), k)
            total = y.copy() if total is None else total + y
        return total / n

    return call
