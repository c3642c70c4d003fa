"""Helpers shared by the benchmark scripts (run them from the repository root: python benchmarks/NAME.py)."""

from __future__ import annotations

import resource
import tempfile
from pathlib import Path

import numpy as np


def bundle(name: str | None, task: str = "sr8x"):
    """Load a bundle by name/path; 'tiny' makes a tiny random one (for a quick check without shipped models)."""
    from upscale2x.model.bundle import Bundle, Card, default_bundle, load_bundle, resolve_bundle, save_bundle

    if name == "tiny":
        from upscale2x.model.nets import unet_generator
        from upscale2x.model.tasks import TASKS

        s = TASKS[task]
        model = unet_generator(base_width=2, max_width=8, in_channels=s.in_channels, out_channels=s.out_channels)
        folder = save_bundle(Bundle(model, Card(task=task, base_width=2, max_width=8)), tempfile.mkdtemp())
        return load_bundle(folder)
    return load_bundle(resolve_bundle(name) if name else default_bundle(task))


def photo(height: int, width: int) -> np.ndarray:
    """A test photo (scikit-image's astronaut, CC0) area-resized to height x width, float RGB in [0, 1]."""
    from PIL import Image
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.BOX)
    return np.asarray(img, np.float32) / 255.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def heldout_photos() -> dict[str, np.ndarray]:
    """Colour photos shipped inside scikit-image (public domain / CC0), never used for training."""
    from skimage import data

    names = ["astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry"]
    return {n: getattr(data, n)().astype(np.float32) / 255.0 for n in names}


def images_in(folder: Path) -> dict[str, np.ndarray]:
    from upscale2x.io.read import image_files, read_image

    return {p.stem: read_image(p).rgb for p in image_files(folder)}


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    """``img`` (float RGB in [0, 1]) saved as a JPEG of ``quality`` (Pillow's default 4:2:0) and read back."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.float32) / 255.0


def with_litert(folder: Path, tmp: Path, quantize: str = "int8", name: str = "bundle") -> Path:
    """``folder``'s bundle with a LiteRT export: itself, or a copy in ``tmp/name`` that `upscale2x export` made.

    The export runs in a child process: TensorFlow's idle threads here would slow LiteRT down.
    """
    import subprocess
    import sys

    from upscale2x.model.bundle import read_card
    from upscale2x.model.engines import litert_record

    if litert_record(read_card(folder)) is not None:
        return folder
    out = tmp / name
    cmd = [sys.executable, "-m", "upscale2x", "export", str(folder), "--quantize", quantize, "-o", str(out)]
    subprocess.run([*cmd, "--max-error", "1"], check=True, capture_output=True)
    return out
