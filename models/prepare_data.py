"""Build the training folders the shipped models were trained on (run from the repository root).

    python models/prepare_data.py WALLPAPER_ROOT OUT

WALLPAPER_ROOT is a folder where the Debian packages plasma-workspace-wallpapers, mate-backgrounds,
gnome-backgrounds and ukui-wallpapers were unpacked (`apt-get download NAME && dpkg -x NAME*.deb ROOT`).
OUT gets four folders:
  sr8x/      the flower photos + the 22 photo wallpapers at native resolution (2560x1600 and so on), for
             `train --scale-range` (held out: Path and ColorfulCups, kept for benchmarks/quality.py)
  heldout/   Path and ColorfulCups as PNG
  flowers/   the flower photos (Learning to See, `see-flowers`)
  abstracts/ 1024x1024 tiles of the gnome and ukui abstract renders (`see-abstracts`)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

FLOWERS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "flowers102-train"
# Every photograph among the wallpapers (the others are renders and illustrations), GPL-2+ per each package's
# Debian copyright file.
PLASMA_PHOTOS = [
    "Autumn",
    "BytheWater",
    "ColdRipple",
    "DarkestHour",
    "EveningGlow",
    "FallenLeaf",
    "Grey",
    "Kite",
    "OneStandsOut",
    "summer_1am",
]
HELD_OUT = ["Path", "ColorfulCups"]
MATE_NATURE = [
    "Aqua",
    "Blinds",
    "Dune",
    "FreshFlower",
    "Garden",
    "GreenMeadow",
    "LadyBird",
    "RainDrops",
    "Storm",
    "TwoWings",
    "Wood",
    "YellowFlower",
]


def tiles(path: Path, out: Path, size: int, prefix: str) -> int:
    img = np.asarray(Image.open(path).convert("RGB"))
    n = 0
    for y in range(0, img.shape[0] - size + 1, size):
        for x in range(0, img.shape[1] - size + 1, size):
            Image.fromarray(img[y : y + size, x : x + size]).save(out / f"{prefix}_{y}_{x}.png")
            n += 1
    return n


def link_flowers(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted(FLOWERS.glob("*.jpg")):
        target = out / p.name
        if not target.exists():
            target.symlink_to(p)


def main(root: Path, out: Path) -> None:
    sr, flowers, abstracts, held = out / "sr8x", out / "flowers", out / "abstracts", out / "heldout"
    for d in (sr, flowers, abstracts, held):
        d.mkdir(parents=True, exist_ok=True)
    link_flowers(sr)
    link_flowers(flowers)
    wall = root / "usr/share/wallpapers"
    for name in PLASMA_PHOTOS:
        shutil.copyfile(wall / name / "contents/images/2560x1600.jpg", sr / f"{name}.jpg")
    for name in HELD_OUT:
        Image.open(wall / name / "contents/images/2560x1600.jpg").convert("RGB").save(held / f"{name}.png")
    for name in MATE_NATURE:
        shutil.copyfile(root / f"usr/share/backgrounds/mate/nature/{name}.jpg", sr / f"{name}.jpg")
    for p in sorted((root / "usr/share/backgrounds/gnome").glob("*.webp")):
        print(p.stem, tiles(p, abstracts, 1024, p.stem))
    for name in [
        "2004default",
        "firstgeneration",
        "rhythm",
        "string",
        "the-mouse",
        "calla",
        "fluent-color",
        "focal-ubuntukylin",
        "goldfish",
    ]:
        p = next((root / "usr/share/backgrounds").glob(f"{name}.*"))
        print(name, tiles(p, abstracts, 1024, name))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
