"""Render speed per engine: wall time of a tiled render over (cells x per-cell model time), in one run.

    python benchmarks/render_speed.py [--model NAME|PATH] [--size 256] [--engines keras litert] [--quantize int8]

For each engine, the model time is the cell function alone (the sr8x lift + generator, in the engine's own
batches), timed on full batches; the render is the whole thing: cutting, the model, blending and a PNG written
to a temporary folder. A bundle without a LiteRT export is exported to a temporary copy (--quantize).
Target: ratio <= 1.10 with LiteRT, PNG written included.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the CLI has it (upscale2x/__init__.py), before numpy loads

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np  # noqa: E402
from _common import photo, with_litert  # noqa: E402

from upscale2x.io.write import ImageWriter  # noqa: E402
from upscale2x.model.bundle import default_bundle, resolve_bundle  # noqa: E402
from upscale2x.render.stages import open_stage  # noqa: E402


def measure(folder: Path, engine: str, size: int, repeats: int) -> None:
    stage, _ = open_stage(folder, engine)
    spec, image = stage.tile_spec, photo(size, size)
    stage.run(photo(spec.in_cell * 3, spec.in_cell * 3))  # warm-up: traces full and partial batch shapes
    fn = stage.cell_fn(alpha=False)
    cells_in = np.stack([stage.prepare(image)[: spec.in_cell, : spec.in_cell]] * spec.batch)
    fn(cells_in)
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn(cells_in)
    per_cell = (time.perf_counter() - t0) / (repeats * spec.batch)
    cells = stage.cells(size, size)
    t0 = time.perf_counter()
    stage.run(image, lambda rows: None)
    no_write = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with ImageWriter(Path(tmp) / "out.png", size * spec.scale, size * spec.scale) as w:
            stage.run(image, w.write)
        render = time.perf_counter() - t0
    model = cells * per_cell
    print(f"[{engine}] {cells} cells of {spec.in_cell}px (overlap {spec.overlap}), batch {spec.batch}")
    print(f"  model alone: {per_cell * 1000:.2f} ms/cell -> {model:.2f} s")
    print(f"  render without writing: {no_write:.2f} s -> ratio {no_write / model:.3f}")
    print(f"  render with the PNG written: {render:.2f} s -> ratio {render / model:.3f}  (target <= 1.10)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="bundle name or folder (default: shipped sr8x)")
    ap.add_argument("--size", type=int, default=256, help="input side in pixels")
    ap.add_argument("--engines", nargs="+", default=["litert", "keras"], help="LiteRT first: before TF loads")
    ap.add_argument("--quantize", default="int8", help="for a bundle without a LiteRT export")
    ap.add_argument("--repeats", type=int, default=10, help="model-only timing repetitions")
    a = ap.parse_args()
    folder = resolve_bundle(a.model) if a.model else default_bundle("sr8x")
    with tempfile.TemporaryDirectory() as tmp:
        if "litert" in a.engines:
            folder = with_litert(folder, Path(tmp), a.quantize)
        print(f"input {a.size}x{a.size}, bundle {folder}")
        for engine in a.engines:
            measure(folder, engine, a.size, a.repeats)


if __name__ == "__main__":
    main()
