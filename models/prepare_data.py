"""Build the training folders the shipped models were trained on (run from the repository root).

    python models/prepare_data.py WALLPAPER_ROOT OUT [--photos SHARED_PHOTOS]

WALLPAPER_ROOT is a folder where the Debian packages plasma-workspace-wallpapers, mate-backgrounds,
gnome-backgrounds, ukui-wallpapers, lomiri-wallpapers-16.04, lomiri-wallpapers-20.04 and palapeli-data were
unpacked (`apt-get download NAME && dpkg -x NAME*.deb ROOT`). OUT gets five folders:
  sr8x/      the flower photos + the 42 photographs among the wallpapers and puzzles at native resolution
             (2560x1600 up to 6028x3391), for `train --scale-range` (held out: Path and ColorfulCups, kept for
             benchmarks/quality.py)
  heldout/   Path and ColorfulCups as PNG
  flowers/   the flower photos (Learning to See, `see-flowers`)
  abstracts/ 1024x1024 tiles of the gnome and ukui abstract renders (`see-abstracts`)
  sr8x-all/  the 1,607 images the shipped upscalers last trained on (their cards' `/work/data/sr8x-all`): links
             to sr8x/'s 514 and to the everyday photos of ../shared/data/photos/ (bsds500 as bsds_NAME,
             imagenet-samples as inet_NAME; kodak24 left out, the held-out set). The names fix the seed-0 split.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FLOWERS = SHARED_DATA / "flowers102-train"
# The everyday photos in sr8x-all, each folder under its own prefix (kodak24 stays out: the held-out set).
EVERYDAY = {"bsds500": "bsds_", "imagenet-samples": "inet_"}
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
# The photographs of the Ubuntu Touch 16.04 and 20.04 wallpapers (CC-BY-4.0 / CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC0-1.0
# per file, see /usr/share/doc/lomiri-wallpapers-*/copyright; the others are renders) and the KDE Palapeli puzzle photos
# (GPL-2+).
LOMIRI_PHOTOS = [
    "Bridge_by_Sander_Klootwijk",
    "Dragonfly_by_Bolly",
    "Kleiber_by_Lukas_Baubkus",
    "Picture_0B_by_freespace",
    "Picture_1A_by_freespace",
    "Wine_by_Jakkub_Mede",
    "aitzgorri_by_Aitzol_Berasategi",
    "analogpattern_by_Peter_Nerlich",
    "free_by_Peter_Nerlich",
    "friends_by_Aitzol_Berasategi",
    "greentock_by_Peter_Nerlich",
    "life_by_Aitzol_Berasategi",
    "picosdeeuropa_by_Aitzol_Berasategi",
    "seeding_by_Clements_Engelhardt",
    "sunset_by_Aitzol_Berasategi",
]
PUZZLE_PHOTOS = [
    "castle-maintenon",
    "cincinnati-bridge",
    "citrus-fruits",
    "european-honey-bee",
    "panther-chameleon-female",
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


def link_all(sr: Path, photos: Path, out: Path) -> int:
    """Fill ``out`` with links to every image of ``sr`` and of ``photos``' EVERYDAY folders (prefixed); the count."""
    out.mkdir(parents=True, exist_ok=True)
    sources = [(p, p.name) for p in sorted(sr.iterdir())]
    for folder, prefix in EVERYDAY.items():
        sources += [(p, prefix + p.name) for p in sorted((photos / folder).iterdir()) if p.is_file()]
    for src, name in sources:
        target = out / name
        if not target.is_symlink() and not target.exists():
            target.symlink_to(src.resolve())
    return len(sources)


def main(root: Path, out: Path, photos: Path) -> None:
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
    for name in LOMIRI_PHOTOS:
        shutil.copyfile(root / f"usr/share/backgrounds/{name}.jpg", sr / f"{name}.jpg")
    for name in PUZZLE_PHOTOS:
        shutil.copyfile(root / f"usr/share/palapeli/collection/{name}.jpg", sr / f"{name}.jpg")
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
    print("sr8x-all", link_all(sr, photos, out / "sr8x-all"))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="folder where the wallpaper packages were unpacked")
    ap.add_argument("out", type=Path, help="where the training folders go")
    ap.add_argument("--photos", type=Path, default=SHARED_DATA / "photos", help="../shared/data/photos")
    args = ap.parse_args()
    if not (args.root / "usr/share/wallpapers").is_dir():
        ap.error(f"{args.root}: no usr/share/wallpapers inside (unpack the packages there: dpkg -x NAME.deb ROOT)")
    for folder in EVERYDAY:
        if not (args.photos / folder).is_dir():
            ap.error(f"{args.photos / folder}: not a folder (--photos names ../shared/data/photos)")
    main(args.root, args.out, args.photos)
