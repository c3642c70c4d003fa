"""sr8x quality against bicubic: PSNR, SSIM, sharpness and lattice artifacts on held-out photos, tiled and untiled.

    python benchmarks/quality.py [FOLDER] [--model NAME|PATH] [--engine keras|litert] [--ensemble N] [--jpeg Q] [--json]

Each photo (cropped to a multiple of 8) is area-downscaled 8x, then brought back by bicubic, by the model
through the tiler, and by the model on the whole image (--no-tiles). Without FOLDER the held-out set is the
colour photos inside scikit-image (astronaut, chelsea, coffee, rocket, immunohistochemistry), which no shipped
model was trained on. PSNR and SSIM are on the luma with an 8-px border left out; sharpness is the mean
|Laplacian| of the luma, relative to the real photo's (1.0 = as much fine detail); the lattice ratio is the
share of power on the period-2/4/8 px grid relative to the real photo's (benchmarks/artifacts.py); the dither ratio
is the share of power at periods under 2.7 px (a GAN's fine screen, which the lattice bins miss), relative likewise.
`--jpeg Q` saves each 8x-downscaled input as a JPEG of quality Q (4:2:0, as photos arrive from the web) and
upscales what comes back, model and bicubic alike: how much of the gain survives real-world inputs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from _common import bundle, heldout_photos, images_in, jpeg_roundtrip

from upscale2x.metrics import compare, psnr
from upscale2x.model import preprocess
from upscale2x.render.stages import MAX_UNTILED_PIXELS, Stage, open_stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, help="held-out photos (default: scikit-image's)")
    ap.add_argument("--model", default=None, help="sr8x bundle name or folder (default: shipped sr8x), or 'tiny'")
    ap.add_argument("--json", action="store_true", help="print one JSON line of the mean metrics at the end")
    ap.add_argument("--engine", default="keras", choices=["keras", "litert"], help="the tiled run's engine")
    ap.add_argument("--ensemble", type=int, default=1, help="self-ensemble copies per cell: 1, 2, 4 or 8")
    ap.add_argument("--jpeg", type=int, default=None, help="save each input as a JPEG of this quality (1-100) first")
    a = ap.parse_args()
    if a.jpeg is not None and not 1 <= a.jpeg <= 100:
        ap.error(f"--jpeg must be 1..100, got {a.jpeg}")
    photos = images_in(a.folder) if a.folder else heldout_photos()
    b = bundle(a.model)
    tiled, _ = open_stage(b.path, a.engine, ensemble=a.ensemble)
    whole = Stage(b, tiles=False, ensemble=a.ensemble)  # untiled runs are Keras's
    outs, bics, tgts, untiled = [], [], [], []
    for name, img in photos.items():
        h, w = img.shape[0] // 8 * 8, img.shape[1] // 8 * 8
        target = img[:h, :w, :3]
        small = np.asarray(preprocess.sr8x_degrade(target[None]))[0]
        if a.jpeg is not None:
            small = jpeg_roundtrip(small, a.jpeg)
        bic = np.asarray(preprocess.sr8x_lift(small[None]))[0]
        out = tiled.run(small)
        row = compare([out], [bic], [target])
        line = f"{name:22s} {w}x{h}  PSNR {row['psnr_model']:6.2f} vs bicubic {row['psnr_bicubic']:6.2f}"
        line += f"  SSIM {row['ssim_model']:.3f} vs {row['ssim_bicubic']:.3f}"
        line += f"  sharpness {row['sharpness_vs_target']:.2f}  lattice {row['lattice_model']:.2f}"
        line += f"  dither {row['dither_model']:.2f}"
        padded = (-(-h // 256) * 256) * (-(-w // 256) * 256)
        if padded <= MAX_UNTILED_PIXELS:
            u = whole.run(small)
            untiled.append(psnr(u, target))
            line += f"  untiled PSNR {untiled[-1]:6.2f}"
        print(line)
        outs.append(out), bics.append(bic), tgts.append(target)
    mean = compare(outs, bics, tgts)
    if untiled:
        mean["psnr_untiled"] = round(float(np.mean(untiled)), 4)
    mean["images"] = len(photos)
    if a.jpeg is not None:
        mean["jpeg"] = a.jpeg
    print(
        f"mean over {len(photos)}: PSNR {mean['psnr_model']:.2f} dB vs bicubic {mean['psnr_bicubic']:.2f} "
        f"({mean['psnr_gain_db']:+.2f} dB), SSIM {mean['ssim_model']:.3f} vs {mean['ssim_bicubic']:.3f}, "
        f"sharpness {mean['sharpness_vs_target']:.2f} of the real photos' (bicubic "
        f"{mean['sharpness_bicubic'] / mean['sharpness_target']:.2f}), lattice ratio {mean['lattice_model']:.2f}, "
        f"dither ratio {mean['dither_model']:.2f}"
    )
    print(
        "targets: sr8x >= +1.0 dB, SSIM above bicubic, lattice <= 1.5; "
        "sr8x-detail >= -0.5 dB, sharpness >= 0.5, lattice <= 2, dither <= 1"
    )
    if a.json:
        print(json.dumps(mean))


if __name__ == "__main__":
    main()
