"""Per-epoch feedback: input | output | target strips of held-out images, and TensorBoard summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.write import write_image
from ..model._tf import tf


def _as_rgb256(x: np.ndarray) -> np.ndarray:
    """Show any task input at 256x256 RGB: grayscale repeated, small inputs enlarged (nearest: honest pixels)."""
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    f = 256 // x.shape[0]
    return np.repeat(np.repeat(x, f, axis=0), f, axis=1) if f > 1 else x


def strip(inputs: np.ndarray, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Rows of input | output | target, ``[n*256, 768, 3]``."""
    rows = [np.concatenate([_as_rgb256(i), o, t], axis=1) for i, o, t in zip(inputs, outputs, targets, strict=True)]
    return np.concatenate(rows, axis=0)


def write_preview(folder: Path, epoch: int, image: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_image(folder / f"epoch_{epoch:04d}.png", image, overwrite=True)


class Logs:
    """TensorBoard scalars and images in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.writer = tf.summary.create_file_writer(str(folder))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        with self.writer.as_default(step=step):
            for k, v in values.items():
                tf.summary.scalar(k, v)

    def image(self, step: int, name: str, image: np.ndarray) -> None:
        with self.writer.as_default(step=step):
            tf.summary.image(name, image[None])
        self.writer.flush()
