"""Up-imagining: how much a see model imagines, and how much detail a chain holds at 100 % of a 64x print.

    python benchmarks/imagine.py --model see-flowers [--held-out FOLDER | --photos GLOB] [--upscaler sr8x] [--json]

1. See quality. The held-out photos of the model's own run (FOLDER is the training folder; the images the run
   held out are found again from the card's image count, held-out count and seed, as `upscale2x train` split
   them, so none was trained on) are cut to 256x256 (shorter side area-resized to 256, centre crop), put through
   the bundle's own preprocessing and model, and each output is compared with its photo
   (upscale2x.metrics.imagine_scores): fine detail (mean abs. Laplacian of the luma), colourfulness
   (Hasler-Süsstrunk), axis share (non-DC luma power on the kx = 0 / ky = 0 axes of a windowed FFT: streaks),
   each output / photo, 1.0 = as the photo; frame (the outer 4-px ring's mean luma step to the next 8-px ring,
   less the photo's, in grey levels, mean of its size over the photos); lattice ratio against the photo. The
   photo's own border step is content a 24x-blurred input cannot hold: the model's input itself scores about
   2.6 on `frame`, so the frame is also given as `frame_bias` (the mean signed excess: a consistent light or dark
   ring) and `frame_abs` (the outputs' mean |step|, beside the inputs' and the photos'). Each measure's median over
   the photos is given too: a ratio to a nearly flat photo (a plain tile of an abstract render) is mostly noise.
2. Print detail. A see output S (of examples/sketch.png and of the first held-out photos) through the upscaler U
   gives the 8x octave (2048 px); its centre 256 px through U again gives a 2048 px window of the 64x print at
   100 %. Each octave's mean abs. Laplacian over that of 256 px centre crops of natural photos at native
   resolution (scikit-image's colour photos), and the window's lattice ratio (mean lattice share of its 256 px
   tiles over the natural crops').
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from _common import heldout_photos

from upscale2x.metrics import frame_step, imagine_scores, lattice_share, sharpness
from upscale2x.model.bundle import read_card, resolve_bundle
from upscale2x.render.stages import open_stage

ROOT = Path(__file__).resolve().parent.parent
CELL = 256  # see cell, and the window side natural photos are measured at
PRINT_SOURCES = 2  # held-out photos whose see output also goes to print (besides the sketch)
KEYS = ("detail", "colourfulness", "axis", "frame", "lattice")


def held_out_files(folder: Path, card) -> list[Path]:
    """The images the bundle's training run held out of ``folder`` (as train/data.split chose them)."""
    from upscale2x.io.read import image_files
    from upscale2x.train.data import split

    files = image_files(folder)
    t = card.training
    n, n_val, seed = t.get("images"), t.get("held_out"), t.get("seed", 0)
    if not n or not n_val:
        raise SystemExit(f"{card.name}: the card records no held-out images (training.images / held_out)")
    if len(files) != n:
        raise SystemExit(f"{folder}: {len(files)} images, but the run split {n}: not its training folder")
    _, val = split(n, n_val / n, seed)
    return [files[i] for i in val]


def photo_files(pattern: str, most: int) -> list[Path]:
    """An even sample of at most ``most`` of the images a folder or glob (relative to the repository) names."""
    import glob

    from upscale2x.io.read import EXTENSIONS

    where = ROOT / pattern
    found = sorted(where.iterdir()) if where.is_dir() else sorted(Path(p) for p in glob.glob(str(where)))
    found = [p for p in found if p.suffix.lower() in EXTENSIONS]
    if not found:
        raise SystemExit(f"{pattern}: no photos there")
    step = max(1, -(-len(found) // most))
    return found[::step][:most]


def photo_cell(path: Path) -> np.ndarray:
    """``path`` with its shorter side area-resized to 256 and the centre 256x256 kept: float RGB in [0, 1]."""
    from PIL import Image

    from upscale2x.io.read import read_image, to_uint

    img = Image.fromarray(to_uint(read_image(path).rgb, 8))
    f = CELL / min(img.size)
    img = img.resize((max(CELL, round(img.width * f)), max(CELL, round(img.height * f))), Image.Resampling.BOX)
    left, top = (img.width - CELL) // 2, (img.height - CELL) // 2
    return np.asarray(img.crop((left, top, left + CELL, top + CELL)), np.float32) / 255.0


def centre(img: np.ndarray, side: int = CELL) -> np.ndarray:
    top, left = (img.shape[0] - side) // 2, (img.shape[1] - side) // 2
    return img[top : top + side, left : left + side]


def tiles_lattice(img: np.ndarray) -> float:
    """Mean lattice share of the 256 px tiles of ``img`` (shares compare only at one size)."""
    h, w = img.shape[0] // CELL, img.shape[1] // CELL
    return float(
        np.mean(
            [
                lattice_share(img[i * CELL : (i + 1) * CELL, j * CELL : (j + 1) * CELL])
                for i in range(h)
                for j in range(w)
            ]
        )
    )


def print_detail(up, worlds: dict[str, np.ndarray]) -> dict[str, float]:
    """Detail of each see output (``worlds``), of its 8x octave and of the 64x window, relative to natural photos."""
    natural = [centre(p) for p in heldout_photos().values()]
    nat_detail = float(np.mean([sharpness(p) for p in natural]))
    nat_lattice = float(np.mean([lattice_share(p) for p in natural]))
    rows = {}
    for name, s in worlds.items():
        x8 = up.run(s)  # 2048 px: the 8x octave
        x64 = up.run(centre(x8))  # 2048 px window of the 64x print at 100 %
        rows[name] = {
            "see": sharpness(s) / nat_detail,
            "x8": sharpness(x8) / nat_detail,
            "x64": sharpness(x64) / nat_detail,
            "lattice_x64": tiles_lattice(x64) / nat_lattice,
        }
        print(
            f"print  {name:24s} detail vs natural photos: see {rows[name]['see']:.3f}  8x {rows[name]['x8']:.3f}  "
            f"64x {rows[name]['x64']:.3f}   lattice at 64x {rows[name]['lattice_x64']:.2f}"
        )
    return {k: float(np.mean([r[k] for r in rows.values()])) for k in ("see", "x8", "x64", "lattice_x64")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="see bundle (name or folder)")
    ap.add_argument("--held-out", type=Path, default=None, help="the run's training folder (default: the card's)")
    ap.add_argument(
        "--photos",
        default=None,
        help="instead: a folder or glob of photos the run never saw (e.g. people held out by name), relative to "
        "the repository; an even sample of --max-photos of them (default: the card's)",
    )
    ap.add_argument("--max-photos", type=int, default=48, help="with --photos: how many (an even sample)")
    ap.add_argument("--upscaler", default=None, help="8x bundle for the print octaves (default: the card's, else sr8x)")
    ap.add_argument("--engine", default="auto", choices=["auto", "keras", "litert"])
    ap.add_argument("--no-print", action="store_true", help="see quality only (no upscaler runs)")
    ap.add_argument("--json", action="store_true", help="print one JSON line of the results at the end")
    a = ap.parse_args()
    folder = resolve_bundle(a.model)
    card = read_card(folder)
    if card.task != "see":
        raise SystemExit(f"{a.model}: a {card.task} model; imagine.py measures see models")
    stored = card.metrics.get("imagine", {})
    photos = a.photos or (None if a.held_out else stored.get("photos_from"))
    if photos:
        files = photo_files(photos, a.max_photos)
    else:
        data = a.held_out or Path(stored.get("held_out_from") or card.training["data"])
        data = data if data.is_absolute() else ROOT / data
        if not data.is_dir():
            raise SystemExit(f"{data}: no such folder; give the run's training folder with --held-out")
        files = held_out_files(data, card)
    see, _ = open_stage(folder, a.engine)
    rows = []
    outs = {}  # the see outputs, kept for the print octaves
    steps = []  # (output, photo, input) frame steps
    for p in files:
        photo = photo_cell(p)
        prepared = see.prepare(photo)  # the model's input: its frame step is the reference a frame is read against
        out = outs[p.stem] = see.run_prepared(prepared)
        rows.append(imagine_scores(out, photo))
        steps.append((frame_step(out), frame_step(photo), frame_step(prepared[..., :1])))
        r = rows[-1]
        print(f"see    {p.stem:24s} " + "  ".join(f"{k} {r[k]:.3f}" for k in KEYS))
    result = {k: float(np.mean([r[k] for r in rows])) for k in KEYS}
    result["frame_max"] = float(max(r["frame"] for r in rows))
    st = np.array(steps)
    result["frame_bias"] = float(np.mean(st[:, 0] - st[:, 1]))
    result["frame_abs"] = float(np.mean(np.abs(st[:, 0])))
    result["frame_abs_photo"] = float(np.mean(np.abs(st[:, 1])))
    result["frame_abs_input"] = float(np.mean(np.abs(st[:, 2])))
    result["images"] = len(rows)
    # A ratio to a nearly flat photo (a plain tile of an abstract render) is mostly noise and can dominate the mean.
    result["median"] = {k: float(np.median([r[k] for r in rows])) for k in KEYS}
    print("see    mean" + " " * 21 + "  ".join(f"{k} {result[k]:.3f}" for k in KEYS))
    print("see    median" + " " * 19 + "  ".join(f"{k} {result['median'][k]:.3f}" for k in KEYS))
    print(
        f"frame  bias {result['frame_bias']:+.2f}  |step| of outputs {result['frame_abs']:.2f}, of their inputs "
        f"{result['frame_abs_input']:.2f}, of the photos {result['frame_abs_photo']:.2f} (grey levels)"
    )
    if not a.no_print:
        from upscale2x.io.read import read_image

        upscaler = a.upscaler or card.metrics.get("imagine", {}).get("print", {}).get("upscaler") or "sr8x"
        up, _ = open_stage(resolve_bundle(upscaler), a.engine)
        worlds = {"sketch": see.run(read_image(ROOT / "examples" / "sketch.png").rgb)}
        worlds.update({k: outs[k] for k in list(outs)[:PRINT_SOURCES]})  # computed above, not run twice
        result["print"] = {"upscaler": Path(upscaler).name, **print_detail(up, worlds)}
        pr = result["print"]
        print(
            f"print  mean detail: see {pr['see']:.3f}  8x {pr['x8']:.3f}  64x {pr['x64']:.3f}  "
            f"lattice {pr['lattice_x64']:.2f}"
        )
    if photos:
        result["photos_from"] = photos  # as given: relative to the repository
    else:
        result["held_out_from"] = os.path.relpath(data.resolve(), ROOT)  # as the card stores it: from the repository
    if a.json:
        print(json.dumps(rounded(result)))


def rounded(value):
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return round(value, 4) if isinstance(value, float) else value


if __name__ == "__main__":
    main()
