"""Make the README gallery: input (pixels enlarged) | bicubic | sr8x | sr8x-detail, a sketch through the see models,
and a 100 % crop of a 64x chain (sketch -> see-flowers -> sr8x -> sr8x, a 16384x16384 print).

python examples/make_gallery.py              (writes examples/gallery.png, gallery_see.png and gallery_64x.png)
python examples/make_gallery.py --portraits (writes examples/gallery_portraits.png from examples/portraits.toml)
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


def boxed(img: np.ndarray, top: int, left: int, side: int) -> np.ndarray:
    """``img`` with a red box round the ``side`` x ``side`` square at (top, left)."""
    out = img.copy()
    t, b, lft, r = (
        max(top - 1, 0),
        min(top + side, img.shape[0] - 1),
        max(left - 1, 0),
        min(left + side, img.shape[1] - 1),
    )
    out[t, lft : r + 1] = out[b, lft : r + 1] = (1, 0, 0)
    out[t : b + 1, lft] = out[t : b + 1, r] = (1, 0, 0)
    return out


def upscaler() -> str:
    """The imagining upscaler where it is shipped (it keeps inventing at every octave), else sr8x."""
    return "sr8x-dream" if (models_dir() / "sr8x-dream").is_dir() else "sr8x"


def print_scale_crop(sketch: np.ndarray) -> np.ndarray:
    """Every octave of a 64x print at 100 %: see-flowers' 256 px world, a 512 px crop of its 8x and of its 64x (a
    16384 px print), each box marking the part the next panel enlarges 8x."""
    from upscale2x.render.stages import open_stage

    up_name = upscaler()
    see, _ = open_stage(models_dir() / "see-flowers")
    up, _ = open_stage(models_dir() / up_name)
    world = see.run(sketch)
    top, left = 112, 112  # a 64 px square of the world (on the disc's edge) -> 512 px of the 8x octave
    x8 = chain_crop(Chain([see, up]), sketch, top * 8, left * 8, 512)
    inner = 224  # a 64 px square of that crop -> 512 px of the 64x octave
    x64 = chain_crop(Chain([see, up, up]), sketch, (top * 8 + inner) * 8, (left * 8 + inner) * 8, 512)
    return labelled(
        [
            ("see-flowers 256x256 (shown 2x)", np.repeat(np.repeat(boxed(world, top, left, 64), 2, 0), 2, 1)),
            (f"x8 ({up_name}): 100 % crop of 2048x2048", boxed(x8, inner, inner, 64)),
            (f"x64 ({up_name} twice): 100 % crop of 16384x16384", x64),
        ]
    )


def portraits() -> np.ndarray:
    """The portrait workflow: the example face sketches | three mixes of them | see-faces' candidates of each mix |
    a 100 % crop of a candidate's A3 print at 300 dpi (through the imagining upscaler twice)."""
    import shutil
    import tempfile
    from dataclasses import replace

    from upscale2x.series.run import Series, jitter
    from upscale2x.series.spec import load_spec

    spec = load_spec(HERE / "portraits.toml")
    faces = sorted((HERE / "faces").glob("sketch_*.png"))
    small = lambda a: np.asarray(Image.fromarray((a * 255 + 0.5).astype(np.uint8)).resize((128, 128)), np.float32) / 255  # noqa: E731
    inputs = np.concatenate([small(read_image(f).rgb) for f in faces], axis=0)
    tmp = Path(tempfile.mkdtemp())
    try:
        series = Series(replace(spec, candidates=2), tmp)
        series.render_candidates()
        starts, cands = [], []
        for c in series.candidates:
            if c.id % 2 == 0:
                starts.append(small(jitter(series.source(c), c)))
            cands.append(small(read_image(series.candidate_path(c.id)).rgb))
        column = lambda imgs: np.concatenate(imgs, axis=0)  # noqa: E731
        pairs = [np.concatenate(cands[i : i + 2], axis=1) for i in range(0, len(cands), 2)]
        world = read_image(series.candidate_path(0)).rgb  # the first candidate, 256 px
        up = series.stage(spec.upscaler, None)
        y, x = 100, 96  # an eye of the face
        x8 = up.run(world[y - 24 : y + 24, x - 24 : x + 24])  # 384 px of the 8x octave
        x64 = up.run(x8[128:256, 128:256])[256:768, 256:768]  # 512 px of the 64x octave: 8 px of the candidate
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return labelled(
        [
            ("face sketches", column([inputs])),
            ("mixes of two (series mix = 2)", column(starts)),
            ("see-faces candidates", column(pairs)),
            (f"100 % of a 64x print ({spec.upscaler} twice)", x64),
        ]
    )


def main() -> None:
    import sys

    if "--portraits" in sys.argv:
        write_image(HERE / "gallery_portraits.png", portraits(), overwrite=True)
        return
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
