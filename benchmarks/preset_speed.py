"""Rendering cost of each generator preset for sr8x: milliseconds per 256x256 output cell, in one run.

    python benchmarks/preset_speed.py [--batch 8] [--repeats 5] [--upsample transpose resize] [--res-blocks 0 8]

Random weights (speed does not depend on them). Prints each preset's parameter count, float32 size, multiply-adds
and ms/cell for each decoder upsampling and residual block count (--res-blocks), and the ratio to the first row
(small), which is what a user pays per print for a wider or deeper model.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from upscale2x.model.nets import PRESETS, UPSAMPLERS, unet_generator
from upscale2x.model.tasks import TASKS


def multiply_adds(model, side: int = 256) -> int:
    """Multiply-adds of the convolutions for one ``side`` x ``side`` cell."""
    from upscale2x.model._tf import keras

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]  # includes transposed
    probe = keras.Model(model.input, [c.output for c in convs])
    outs = probe(np.zeros((1, side, side, model.input.shape[-1]), np.float32))
    total = 0
    for conv, out in zip(convs, outs, strict=True):
        taps = int(np.prod(conv.kernel.shape))  # kh * kw * in * out
        pixels = out.shape[1] * out.shape[2]
        # a stride-2 transposed conv applies its taps once per input pixel, a quarter of its output's
        total += (pixels // 4 if isinstance(conv, keras.layers.Conv2DTranspose) else pixels) * taps
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--upsample", nargs="+", choices=UPSAMPLERS, default=list(UPSAMPLERS))
    ap.add_argument("--res-blocks", nargs="+", type=int, default=[0], help="residual blocks at 1/8 of the cell")
    ap.add_argument("--presets", nargs="+", choices=list(PRESETS), default=list(PRESETS))
    a = ap.parse_args()
    from upscale2x.model._tf import tf

    spec = TASKS["sr8x"]
    x = np.random.default_rng(0).uniform(-1, 1, (a.batch, 256, 256, spec.in_channels)).astype(np.float32)
    base = None
    rows = [(name, up, rb) for name in a.presets for up in a.upsample for rb in a.res_blocks]
    for name, up, rb in rows:
        model = unet_generator(
            name, in_channels=spec.in_channels, out_channels=spec.out_channels, upsample=up, res_blocks=rb
        )
        run = tf.function(lambda t, m=model: m(t, training=False))
        run(x)  # trace and warm up
        t0 = time.perf_counter()
        for _ in range(a.repeats):
            run(x).numpy()
        ms = (time.perf_counter() - t0) / (a.repeats * a.batch) * 1e3
        base = base or ms
        params = model.count_params()
        print(
            f"{name:7s} {up:9s} {rb:2d} blocks {params:>11,} parameters  {params * 4 / 1e6:6.1f} MB  "
            f"{multiply_adds(model) / 1e9:5.2f} GMAC  {ms:7.1f} ms/cell  x{ms / base:.2f}"
        )


if __name__ == "__main__":
    main()
