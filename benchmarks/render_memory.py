"""Peak memory of a large render against the size of its output.

    python benchmarks/render_memory.py [--out-size 16384] [--model NAME|PATH|tiny|fake]

Renders an (out-size/8)^2 input with one 8x stage to a streamed PNG in a temporary folder and reports peak RSS.
'fake' replaces the model by nearest-neighbour 8x (measures the tiler and writer alone). Target for a
16384x16384 RGB output: peak RSS under 1.5 GB (a float32 canvas alone would be 3.2 GB).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import bundle, peak_rss_mb, photo

from upscale2x.imagewrite import ImageWriter
from upscale2x.tiling import TileSpec, tile_apply


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-size", type=int, default=16384)
    ap.add_argument("--model", default=None, help="bundle (default: shipped sr8x), 'tiny', or 'fake'")
    ap.add_argument("--batch", type=int, default=8)
    a = ap.parse_args()
    side = a.out_size // 8
    image = photo(side, side)
    if a.model == "fake":
        fn, spec = (lambda b: np.repeat(np.repeat(b, 8, axis=1), 8, axis=2)), TileSpec(32, 8, 8, a.batch)
    else:
        from upscale2x.pipeline import Stage

        stage = Stage(bundle(a.model), batch=a.batch)
        fn, spec = stage.cell_fn(alpha=False), stage.tile_spec
        fn(np.zeros((a.batch, 32, 32, 3), np.float32))
    base = peak_rss_mb()
    done = [0, time.perf_counter()]

    def progress(n, total):
        if n - done[0] >= total // 10 or n == total:
            done[0] = n
            print(f"  {n}/{total} cells, {time.perf_counter() - done[1]:.0f} s, peak RSS {peak_rss_mb():.0f} MB")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big.png"
        with ImageWriter(out, a.out_size, a.out_size) as w:
            tile_apply(image, fn, spec, w.write, progress)
        size_mb = out.stat().st_size / 1e6
    peak = peak_rss_mb()
    canvas = a.out_size**2 * 3 * 4 / 1e6
    print(f"output {a.out_size}x{a.out_size} RGB ({size_mb:.0f} MB PNG); float32 canvas would be {canvas:.0f} MB")
    print(f"peak RSS {peak:.0f} MB (before rendering: {base:.0f} MB); peak / canvas = {peak / canvas:.3f}")
    print(f"peak RSS under 1500 MB: {'yes' if peak < 1500 else 'NO'}")


if __name__ == "__main__":
    main()
