"""Engines side by side: ms per 256x256 cell for Keras and LiteRT (fp32 / fp16 / int8), in one run.

    python benchmarks/engines.py [--presets small medium large] [--batch 8] [--repeats 3] [--bundle NAME ...]

For each preset (random weights, sr8x-shaped 3->3, pix2pix's transposed decoder, as in the paper) and each
shipped bundle named with --bundle: Keras at batch 8, and the bundle's cell function exported to LiteRT with each
quantisation (`upscale2x export`), each timed on the same lifted cells. Prints ms/cell, speed-up over Keras,
max and mean |LiteRT - Keras| on the [0, 1] outputs (x255), file size, and the GFLOP/s each reaches as a share
of this machine's numpy sgemm rate, measured in the same run.
Targets: int8 >= 1.8x Keras for medium and large, max error <= 2/255.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = a.T.copy()
    a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t) / 1e9


def cell_flops(model) -> float:
    """2 x multiply-adds of one 256x256 cell through the generator's convolutions (from the traced graph)."""
    from upscale2x.model._tf import tf

    fn = tf.function(lambda x: model(x, training=False))
    graph = fn.get_concrete_function(tf.TensorSpec([1, 256, 256, model.inputs[0].shape[-1]], tf.float32)).graph
    total = 0.0
    for op in graph.get_operations():
        if op.type == "Conv2D":
            kh, kw, cin, cout = op.inputs[1].shape
            _, h, w, _ = op.outputs[0].shape
            total += 2.0 * h * w * kh * kw * cin * cout
        elif op.type == "Conv2DBackpropInput":  # transposed conv: each input pixel spreads a kh x kw patch
            kh, kw, cout, cin = op.inputs[1].shape
            _, h, w, _ = op.inputs[2].shape
            total += 2.0 * h * w * kh * kw * cin * cout
    return total


def keras_fn(model, card):
    """The Keras cell function, compiled once (what `render --engine keras` runs per batch)."""
    from upscale2x.model._tf import tf
    from upscale2x.model.export import keras_cells

    return tf.function(lambda x: keras_cells(model, card, x), reduce_retracing=True)


def time_fn(fn, x, repeats: int) -> float:
    fn(x)
    t = time.perf_counter()
    for _ in range(repeats):
        fn(x)
    return (time.perf_counter() - t) / (repeats * len(x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="*", default=["small", "medium", "large"])
    ap.add_argument("--bundle", nargs="*", default=[], help="shipped bundles to time as well (e.g. sr8x)")
    ap.add_argument("--quantize", nargs="+", default=["none", "fp16", "int8"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()

    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, load_bundle, resolve_bundle, save_bundle
    from upscale2x.model.engines import LiteRTCell
    from upscale2x.model.export import export_litert
    from upscale2x.model.nets import PRESETS, unet_generator

    gflops = sgemm_gflops()
    print(f"numpy sgemm on this machine: {gflops:.0f} GFLOP/s")
    print(
        f"{'generator':<14}{'params':>12}{'engine':>14}{'ms/cell':>10}{'x Keras':>9}"
        f"{'max err':>9}{'mean err':>10}{'MB':>8}{'of sgemm':>10}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="upscale2x-engines-"))
    rng = np.random.default_rng(0)
    lifted = rng.random((a.batch, 256, 256, 3), dtype=np.float32) * 0.8 + 0.1
    try:
        jobs = [(p, None) for p in a.presets] + [(b, resolve_bundle(b)) for b in a.bundle]
        for name, folder in jobs:
            if folder is None:
                keras.utils.set_random_seed(0)
                model = unet_generator(name)
                p = PRESETS[name]
                card = Card(task="sr8x", base_width=p.base_width, max_width=p.max_width, preset=name)
                folder = save_bundle(Bundle(model, card), tmp / name)
                card = load_bundle(folder).card
            else:
                b = load_bundle(folder)
                model, card = b.model, b.card
            cells = lifted[..., : card.spec.in_channels]
            flops = cell_flops(model)
            run = keras_fn(model, card)
            ref = np.asarray(run(cells))
            k_ms = time_fn(lambda x, r=run: np.asarray(r(x)), cells, a.repeats) * 1000
            params = model.count_params()

            def row(engine, ms, err=None, mb=None, name=name, params=params, flops=flops, k_ms=k_ms):
                share = flops / (ms / 1000) / 1e9 / gflops
                e = f"{err.max() * 255:9.2f}{err.mean() * 255:10.3f}" if err is not None else f"{'':9}{'':10}"
                m = f"{mb:8.1f}" if mb is not None else f"{'':8}"
                print(f"{name:<14}{params:>12,}{engine:>14}{ms:10.2f}{k_ms / ms:9.2f}{e}{m}{share:10.2f}", flush=True)

            row("keras", k_ms)
            for q in a.quantize:
                out, rec = export_litert(folder, q, tmp / f"{name}-{q}", max_error=1.0)
                cell = LiteRTCell(out, load_bundle(out).card)
                got = cell(cells)
                ms = time_fn(cell, cells, a.repeats) * 1000
                row(f"litert {q}", ms, np.abs(got - ref), rec["bytes"] / 1e6)
                shutil.rmtree(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
