"""Make the README gallery: input (pixels enlarged) | bicubic | sr8x | sr8x-detail, a sketch through the see models,
and a 100 % crop of a 64x chain (sketch -> see-flowers -> sr8x -> sr8x, a 16384x16384 print).

python examples/make_gallery.py        (writes examples/gallery.png, gallery_see.png and gallery_64x.png)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from upscale2x.io.read import read_image
from upscale2x.io.write import write_image
from upscale2x.model import preprocess
from upscale2x.model.bundle import load_bundle, models_dir
from upscale2x.render.stages import Chain, Stage

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


def chain_crop(chain: Chain, image: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """A ``size`` x ``size`` window of ``chain``'s output, kept from the streamed bands (the whole is never held)."""
    rows, y = [], [0]

    def sink(band: np.ndarray) -> None:
        y0, y1 = y[0], y[0] + len(band)
        y[0] = y1
        lo, hi = max(top, y0), min(top + size, y1)
        if lo < hi:
            rows.append(band[lo - y0 : hi - y0, left : left + size, :3])

    chain.run(image, sink)
    return np.concatenate(rows)


def print_scale_crop(sketch: np.ndarray) -> np.ndarray:
    """see-flowers' world, a window of it enlarged 64x by pixel repetition, and the same window of the 64x chain."""
    see = Stage(load_bundle(models_dir() / "see-flowers"))
    sr = Stage(load_bundle(models_dir() / "sr8x"))
    world = see.run(sketch)
    top, left, side = 144, 144, 8  # an 8x8 window on an edge of the 256x256 world, 512x512 at print scale
    crop = chain_crop(Chain([see, sr, sr]), sketch, top * 64, left * 64, side * 64)
    marked = world.copy()
    marked[top - 1, left - 1 : left + side + 1] = marked[top + side, left - 1 : left + side + 1] = (1, 0, 0)
    marked[top - 1 : top + side + 1, left - 1] = marked[top - 1 : top + side + 1, left + side] = (1, 0, 0)
    window = np.repeat(np.repeat(world[top : top + side, left : left + side], 64, axis=0), 64, axis=1)
    return labelled(
        [
            ("see-flowers 256x256 (red: the window)", np.repeat(np.repeat(marked, 2, axis=0), 2, axis=1)),
            ("the 8x8 window, pixels enlarged 64x", window),
            ("see -> sr8x -> sr8x: 100 % crop of 16384x16384", crop),
        ]
    )


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
    write_image(HERE / "gallery_64x.png", print_scale_crop(sketch), overwrite=True)


if __name__ == "__main__":
    main()
