"""Render speed: wall time of a tiled render over (cells x per-cell model time), measured in one run.

    python benchmarks/render_speed.py [--model NAME|PATH|tiny] [--size 256] [--batch 8]

Target: ratio <= 1.05, i.e. cutting, blending, IO and the progress machinery cost almost nothing beside the model.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import bundle, photo

from upscale2x.imagewrite import ImageWriter
from upscale2x.pipeline import Stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="bundle name or folder (default: shipped sr8x), or 'tiny'")
    ap.add_argument("--size", type=int, default=256, help="input side in pixels")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=10, help="model-only timing repetitions")
    a = ap.parse_args()
    stage = Stage(bundle(a.model), batch=a.batch)
    spec = stage.tile_spec
    image = photo(a.size, a.size)
    stage.run(photo(spec.in_cell * 3, spec.in_cell * 3))  # warm-up: traces full and partial batch shapes
    fn = stage.cell_fn(alpha=False)
    cells_in = np.stack([image[: spec.in_cell, : spec.in_cell]] * a.batch)
    fn(cells_in)
    t0 = time.perf_counter()
    for _ in range(a.repeats):
        fn(cells_in)
    per_cell = (time.perf_counter() - t0) / (a.repeats * a.batch)
    cells = stage.cells(a.size, a.size)
    t0 = time.perf_counter()
    stage.run(image, lambda rows: None)
    no_write = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.png"
        t0 = time.perf_counter()
        with ImageWriter(out, a.size * spec.scale, a.size * spec.scale) as w:
            stage.run(image, w.write)
        render = time.perf_counter() - t0
    print(f"input {a.size}x{a.size}, {cells} cells of {spec.in_cell}px (overlap {spec.overlap}), batch {a.batch}")
    print(f"model alone: {per_cell * 1000:.2f} ms/cell -> {cells * per_cell:.2f} s for {cells} cells")
    ratio = no_write / (cells * per_cell)
    print(f"render without writing (tile + model + blend): {no_write:.2f} s -> ratio {ratio:.3f}")
    print(f"render (tile + model + blend + PNG write): {render:.2f} s")
    print(f"ratio render / (cells x model time): {render / (cells * per_cell):.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
