"""Lattice artifacts: how much more power a model puts on the period-2/4/8 px grid than real photos have.

    python benchmarks/artifacts.py [--model NAME|PATH] [FOLDER] [--json]
    python benchmarks/artifacts.py --images A.png B.png ...

The measure (upscale2x.metrics.lattice_share) is the share of an image's non-DC luma spectral power that falls
in the FFT bins of period 2, 4 and 8 px on both axes, after a periodic-plus-smooth decomposition. It is
reported as a ratio:
- sr8x: against the ground truth. Each held-out photo (scikit-image's colour photos, or FOLDER) is
  area-downscaled 8x and brought back by the model (tiled) and by bicubic; 1.0 = no more grid than the photo.
  Target: <= 1.5 (sr8x), <= 2 (sr8x-detail).
- see: against natural photos. The model renders examples/sketch.png and photos it never saw (its own
  grayscale preprocessing); each output's share is divided by the mean share of the scikit-image colour
  photos, all cut to one centre-crop size. Target: <= 3.
- --images: the same ratio against natural photos for any image files (e.g. a render of your own).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from _common import bundle, heldout_photos, images_in

from upscale2x.metrics import lattice_ratio, lattice_share
from upscale2x.model import preprocess
from upscale2x.render.stages import open_stage

ROOT = Path(__file__).resolve().parent.parent
SEE_INPUTS = ("sketch", "camera", "coffee", "astronaut", "grass")  # examples/sketch.png + scikit-image photos


def _crop(img: np.ndarray, h: int, w: int) -> np.ndarray:
    top, left = (img.shape[0] - h) // 2 // 8 * 8, (img.shape[1] - w) // 2 // 8 * 8
    return img[top : top + h, left : left + w]


def natural_ratio(img: np.ndarray, photos: list[np.ndarray]) -> float:
    """``img``'s lattice share over the mean share of ``photos``, all centre-cropped to one size."""
    h = min(img.shape[0], *(p.shape[0] for p in photos)) // 8 * 8
    w = min(img.shape[1], *(p.shape[1] for p in photos)) // 8 * 8
    reference = np.mean([lattice_share(_crop(p, h, w)) for p in photos])
    return lattice_share(_crop(img, h, w)) / reference


def sr8x_rows(b, photos: dict[str, np.ndarray], engine: str = "keras") -> dict[str, float]:
    stage, _ = open_stage(b.path, engine)
    model, bic = [], []
    for name, img in photos.items():
        h, w = img.shape[0] // 8 * 8, img.shape[1] // 8 * 8
        target = img[:h, :w, :3]
        small = np.asarray(preprocess.sr8x_degrade(target[None]))[0]
        out = stage.run(small)
        b_out = np.asarray(preprocess.sr8x_lift(small[None]))[0]
        model.append(lattice_ratio(out, target))
        bic.append(lattice_ratio(b_out, target))
        print(f"{name:22s} {w}x{h}  lattice ratio vs the photo: model {model[-1]:7.2f}  bicubic {bic[-1]:6.2f}")
    mean = {"lattice_model": float(np.mean(model)), "lattice_bicubic": float(np.mean(bic)), "images": len(photos)}
    print(
        f"mean over {len(photos)}: lattice ratio model {mean['lattice_model']:.2f}, bicubic "
        f"{mean['lattice_bicubic']:.2f} (1.0 = as much grid as the real photos; targets: sr8x <= 1.5, "
        "sr8x-detail <= 2)"
    )
    return mean


def see_inputs() -> dict[str, np.ndarray]:
    from skimage import data

    from upscale2x.io.read import read_image

    inputs = {"sketch": read_image(ROOT / "examples" / "sketch.png").rgb}
    for name in SEE_INPUTS[1:]:
        img = getattr(data, name)().astype(np.float32) / 255.0
        inputs[name] = np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img
    return inputs


def see_rows(b, references: list[np.ndarray], engine: str = "keras") -> dict[str, float]:
    stage, _ = open_stage(b.path, engine)
    ratios = []
    for name, img in see_inputs().items():
        out = stage.run(img)
        ratios.append(natural_ratio(out, references))
        print(f"{name:22s} {img.shape[1]}x{img.shape[0]}  lattice ratio vs natural photos: {ratios[-1]:8.2f}")
    mean = {"lattice_natural": float(np.mean(ratios)), "lattice_natural_max": float(np.max(ratios))}
    mean["images"] = len(ratios)
    print(
        f"mean over {len(ratios)}: lattice ratio {mean['lattice_natural']:.2f} (worst "
        f"{mean['lattice_natural_max']:.2f}); 1.0 = as much grid as natural photos; target <= 3"
    )
    return mean


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, help="sr8x: held-out photos (default: scikit-image's)")
    ap.add_argument("--model", default=None, help="bundle name or folder (default: shipped sr8x), or 'tiny'")
    ap.add_argument("--images", nargs="+", type=Path, help="measure these image files against natural photos")
    ap.add_argument("--json", action="store_true", help="print one JSON line of the mean results at the end")
    ap.add_argument("--engine", default="keras", choices=["keras", "litert"], help="run the model on this engine")
    a = ap.parse_args()
    references = list(heldout_photos().values())
    if a.images:
        from upscale2x.io.read import read_image

        ratios = [natural_ratio(read_image(p).rgb, references) for p in a.images]
        for p, r in zip(a.images, ratios, strict=True):
            print(f"{p}: lattice ratio vs natural photos {r:.2f}")
        mean = {"lattice_natural": float(np.mean(ratios)), "images": len(ratios)}
    else:
        b = bundle(a.model)
        if b.card.task == "sr8x":
            mean = sr8x_rows(b, images_in(a.folder) if a.folder else heldout_photos(), a.engine)
        else:
            mean = see_rows(b, references, a.engine)
    if a.json:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in mean.items()}))


if __name__ == "__main__":
    main()
