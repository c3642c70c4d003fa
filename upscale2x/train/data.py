"""Training data: a folder of images made into (input, target) pairs with tf.data.

Randomness is per example and stateless: every random op takes a seed derived from (run seed, epoch, position),
so an epoch is the same whether it runs straight through or is resumed halfway, and nothing depends on Python's
``random`` (which a mapped function would freeze at trace time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DatasetError, ImageReadError
from ..io.read import EXTENSIONS, image_files, read_image, to_uint
from ..model.tasks import TASKS

MIN_IMAGES = 4  # fewer usable images than this cannot train anything (nor hold some out)
CROP = 256  # the generator's cell
SCALE_RANGE = (1.0, 1.3)  # random scale: shorter side becomes 100-130 % of the crop
KEEP_SIDE = round(CROP * SCALE_RANGE[1])  # images are stored with the shorter side at most this
REPEAT_AREA = 512 * 512  # native-resolution data: an image is drawn once per epoch per this many pixels


@dataclass(frozen=True)
class DataSpec:
    """How a folder becomes training pairs."""

    task: str  # sr8x / see / paired
    input_side: str = "left"  # paired side-by-side AB images: which half is the input (left or right)
    val_fraction: float = 0.05  # share held out for previews and metrics
    flip_vertical: bool = False  # see: also flip vertically (skies, textures; not for upright scenes)
    native: bool = False  # keep images at native resolution (crops at a random scale) instead of shrinking them

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DatasetError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.input_side not in ("left", "right"):
            raise DatasetError(f"input side must be left or right, got {self.input_side!r}")
        if not 0.0 <= self.val_fraction < 0.5:
            raise DatasetError(f"val fraction must be in [0, 0.5), got {self.val_fraction}")


def _shrink(img: np.ndarray, keep: int = KEEP_SIDE) -> np.ndarray:
    """Area-downscale so the shorter side is at most ``keep`` (saves memory; training never needs more)."""
    h, w = img.shape[:2]
    f = keep / min(h, w)
    if f >= 1:
        return img
    from PIL import Image

    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BOX))


def _read_u8(path: Path) -> np.ndarray:
    return to_uint(read_image(path).rgb, 8)


def _split_ab(img: np.ndarray, input_side: str) -> tuple[np.ndarray, np.ndarray]:
    half = img.shape[1] // 2
    left, right = img[:, :half], img[:, half : 2 * half]
    return (left, right) if input_side == "left" else (right, left)


def load_folder(
    folder: str | Path, spec: DataSpec, on_skip: Callable[[Path, str], None] | None = None
) -> list[np.ndarray]:
    """Decode every usable image of ``folder`` into uint8 arrays ``[H, W, 3]`` (pairs: ``[H, W, 6]``, input first).

    Files that fail to decode are passed to ``on_skip(path, reason)`` once and left out. Raises
    :class:`DatasetError` for a missing folder, no images, fewer than 4 usable ones, or A/B names that differ.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such data folder" if not folder.exists() else f"{folder}: not a folder")
    skip = on_skip or (lambda path, reason: None)
    pairs = TASKS[spec.task].layout == "pairs"
    if pairs and (folder / "A").is_dir():
        return _load_ab_folders(folder, skip)
    files = image_files(folder)
    if not files:
        raise DatasetError(f"{folder}: no images found (expected {', '.join(sorted(EXTENSIONS))} files)")
    images = []
    for p in files:
        try:
            img = _read_u8(p)
        except ImageReadError as e:
            skip(p, str(e).removeprefix(f"{p}: "))
            continue
        if pairs:
            a, b = _split_ab(img, spec.input_side)
            img = np.concatenate([a, b], axis=2)
        images.append(_shrink(img) if not pairs and not spec.native else img)
    _check_count(folder, len(images), len(files))
    return images


def _load_ab_folders(folder: Path, skip) -> list[np.ndarray]:
    a_dir, b_dir = folder / "A", folder / "B"
    if not b_dir.is_dir():
        raise DatasetError(f"{folder}: has A/ but no B/ (paired data needs A/ and B/ with matching names)")
    a_names = {p.name for p in image_files(a_dir)}
    b_names = {p.name for p in image_files(b_dir)}
    if a_names != b_names:
        only_a, only_b = sorted(a_names - b_names), sorted(b_names - a_names)
        raise DatasetError(
            f"{folder}: A/ and B/ file names differ (only in A: {', '.join(only_a[:3]) or '-'}; "
            f"only in B: {', '.join(only_b[:3]) or '-'})"
        )
    pairs = []
    for name in sorted(a_names):
        try:
            a, b = _read_u8(a_dir / name), _read_u8(b_dir / name)
        except ImageReadError as e:
            skip(Path(str(e).split(": ")[0]), str(e).split(": ", 1)[-1])
            continue
        if a.shape != b.shape:
            skip(a_dir / name, f"A is {a.shape[1]}x{a.shape[0]} but B is {b.shape[1]}x{b.shape[0]}")
            continue
        pairs.append(np.concatenate([a, b], axis=2))
    _check_count(folder, len(pairs), len(a_names))
    return pairs


def _check_count(folder: Path, usable: int, found: int) -> None:
    if usable < MIN_IMAGES:
        raise DatasetError(f"{folder}: only {usable} usable images of {found} found; need at least {MIN_IMAGES}")


def epoch_repeats(images: list[np.ndarray], native: bool) -> np.ndarray:
    """How often each image is drawn per epoch: once, or (native data) once per 512x512 pixels it holds.

    A 2560x1600 photo then weighs as much as the 16 tiles it could be cut into, not as much as one thumbnail.
    """
    if not native:
        return np.ones(len(images), np.int64)
    return np.array([max(1, round(i.shape[0] * i.shape[1] / REPEAT_AREA)) for i in images], np.int64)


def split(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held out) of ``n`` examples: a seeded shuffle, at least one held out when asked for."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 1, max(1, round(n * val_fraction))) if val_fraction > 0 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])
