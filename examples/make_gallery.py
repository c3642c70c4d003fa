"""Make the README gallery: input (pixels enlarged) | bicubic | sr8x | sr8x-detail, and a sketch through the see models.

python examples/make_gallery.py        (writes examples/gallery.png and examples/gallery_see.png)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from upscale2x import preprocess
from upscale2x.bundle import load_bundle, models_dir
from upscale2x.imageio import read_image
from upscale2x.imagewrite import write_image
from upscale2x.pipeline import Chain, Stage

HERE = Path(__file__).resolve().parent


def labelled(panels: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """Panels side by side with a caption strip above each."""
    h = max(p.shape[0] for _, p in panels)
    canvas = Image.new("RGB", (sum(p.shape[1] for _, p in panels) + 8 * (len(panels) - 1), h + 22), (255, 255, 255))
    draw, x = ImageDraw.Draw(canvas), 0
    for title, p in panels:
        canvas.paste(Image.fromarray((np.clip(p, 0, 1) * 255 + 0.5).astype(np.uint8)), (x, 22))
        draw.text((x + 4, 5), title, fill=(0, 0, 0))
        x += p.shape[1] + 8
    return np.asarray(canvas, np.float32) / 255


def main() -> None:
    small = read_image(HERE / "coffee.png").rgb
    nearest = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)
    bicubic = np.asarray(preprocess.sr8x_lift(small[None]))[0]
    panels = [("input 96x64 (pixels enlarged)", nearest), ("bicubic 8x", bicubic)]
    for name in ("sr8x", "sr8x-detail"):
        panels.append((f"upscale2x {name}", Stage(load_bundle(models_dir() / name)).run(small)))
    write_image(HERE / "gallery.png", labelled(panels), overwrite=True)
    sketch = read_image(HERE / "sketch.png").rgb
    see = [("sketch 256x256", sketch)]
    for name in ("see-flowers", "see-abstracts"):
        out = Chain([Stage(load_bundle(models_dir() / name))]).run(sketch)
        see.append((name, out))
    write_image(HERE / "gallery_see.png", labelled(see), overwrite=True)


if __name__ == "__main__":
    main()
