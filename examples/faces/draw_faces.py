"""Draw the example face sketches (sketch_1..4.png): head, hair, eyes, brows, nose, mouth from a seed.

Generated here, not photographed: no licence attached (CC0). `python examples/faces/draw_faces.py` redraws them.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def face(seed, size=256):
    rng = np.random.default_rng(seed)
    bg = int(rng.integers(150, 215))
    im = Image.new("L", (size, size), bg)
    d = ImageDraw.Draw(im)
    cx = size / 2 + rng.uniform(-6, 6)
    hw, hh = rng.uniform(0.27, 0.33) * size, rng.uniform(0.36, 0.42) * size
    top = size * 0.52 - hh
    hair = int(rng.integers(20, 90))
    d.ellipse([cx - hw - 10, top - 14, cx + hw + 10, top + hh * 1.3], fill=hair)  # hair
    d.rectangle([cx - hw * 1.3, size * 0.88, cx + hw * 1.3, size], fill=int(rng.integers(40, 120)))  # shoulders
    d.rectangle([cx - hw * 0.35, size * 0.75, cx + hw * 0.35, size * 0.92], fill=int(rng.integers(150, 190)))  # neck
    skin = int(rng.integers(160, 215))
    d.ellipse([cx - hw, top + 10, cx + hw, top + 2 * hh], fill=skin)  # face
    ey = top + hh * rng.uniform(0.85, 0.95)
    ex = hw * rng.uniform(0.38, 0.46)
    for s in (-1, 1):
        x = cx + s * ex
        d.ellipse([x - 13, ey - 6, x + 13, ey + 6], fill=235)
        d.ellipse([x - 6, ey - 6, x + 6, ey + 6], fill=40)
        d.line([x - 16, ey - 16 + rng.uniform(-3, 3), x + 14, ey - 18], fill=hair, width=4)  # brow
    ny = ey + hh * 0.38
    d.line([cx, ey + 8, cx - 5, ny], fill=skin - 45, width=3)
    d.arc([cx - 12, ny - 6, cx + 12, ny + 6], 0, 180, fill=skin - 50, width=3)
    my = ny + hh * 0.28
    mw = hw * rng.uniform(0.3, 0.42)
    d.chord([cx - mw, my - 8, cx + mw, my + 10 + rng.uniform(0, 8)], 0, 180, fill=int(rng.integers(90, 130)))
    return im.filter(ImageFilter.GaussianBlur(1.5))


if __name__ == "__main__":
    here = Path(__file__).parent
    for i, seed in enumerate((3, 11, 27, 42)):
        face(seed).save(here / f"sketch_{i + 1}.png", optimize=True)
