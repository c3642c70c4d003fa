"""Seam score: mean gradient across cell boundaries over the mean gradient elsewhere, feathered vs hard paste.

    python benchmarks/seams.py [--model NAME|PATH|tiny] [--size 128] [--overlap N]

A score of 1.0 means boundaries look like any other place in the image; a visible seam raises it.
Target: <= 1.05 for feathered blending.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import bundle, photo

from upscale2x.render.stages import Stage
from upscale2x.render.tiling import cell_starts


def boundaries(length: int, cell: int, overlap: int, scale: int) -> set[int]:
    """Output positions X where a cell starts or ends inside the image (the seam lies between X-1 and X)."""
    starts = cell_starts(max(length, cell), cell, overlap)
    edges = {s * scale for s in starts[1:]} | {(s + cell) * scale for s in starts[:-1]}
    return {x for x in edges if 0 < x < length * scale}


def seam_score(img: np.ndarray, rows: set[int], cols: set[int]) -> float:
    """Mean |step| across the boundary rows/columns over the mean |step| everywhere else (both axes)."""
    scores = []
    for axis, where in ((1, cols), (0, rows)):
        steps = np.abs(np.diff(img, axis=axis)).mean(axis=(1 - axis, 2))  # step between position i and i+1
        at = np.zeros(len(steps), bool)
        at[[x - 1 for x in where]] = True
        if at.any() and (~at).any():
            scores.append(steps[at].mean() / steps[~at].mean())
    return float(np.mean(scores))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="bundle name or folder (default: shipped sr8x), or 'tiny'")
    ap.add_argument("--size", type=int, default=128, help="input side in pixels")
    ap.add_argument("--overlap", type=int, default=None, help="feathered overlap (default: a quarter cell)")
    a = ap.parse_args()
    b = bundle(a.model)
    image = photo(a.size, a.size)
    whole = Stage(b, tiles=False).run(image)
    for name, overlap in (("feathered", a.overlap), ("hard paste", 0)):
        stage = Stage(b, overlap=overlap)
        spec = stage.tile_spec
        out = stage.run(image)
        edges = boundaries(a.size, spec.in_cell, spec.overlap, spec.scale)
        score, ref = seam_score(out, edges, edges), seam_score(whole, edges, edges)
        print(
            f"{name:10s} overlap {spec.overlap:3d}px: seam score {score:.3f}; the untiled render at the same "
            f"positions {ref:.3f}; tiled / untiled {score / ref:.3f}"
        )
    print("target: feathered <= 1.05 (the untiled figure is what the model's own texture gives at those positions)")


if __name__ == "__main__":
    main()
