"""Rendering cost of each generator preset for sr8x: milliseconds per 256x256 output cell, in one run.

    python benchmarks/preset_speed.py [--batch 8] [--repeats 5] [--upsample transpose resize]

Random weights (speed does not depend on them). Prints each preset's parameter count, float32 size and
ms/cell for each decoder upsampling, and the ratio to the first row (small), which is what a user pays per
print for a wider model.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from upscale2x.nets import PRESETS, UPSAMPLERS, unet_generator
from upscale2x.tasks import TASKS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--upsample", nargs="+", choices=UPSAMPLERS, default=list(UPSAMPLERS))
    a = ap.parse_args()
    from upscale2x._tf import tf

    spec = TASKS["sr8x"]
    x = np.random.default_rng(0).uniform(-1, 1, (a.batch, 256, 256, spec.in_channels)).astype(np.float32)
    base = None
    for name in PRESETS:
        for up in a.upsample:
            model = unet_generator(name, in_channels=spec.in_channels, out_channels=spec.out_channels, upsample=up)
            run = tf.function(lambda t, m=model: m(t, training=False))
            run(x)  # trace and warm up
            t0 = time.perf_counter()
            for _ in range(a.repeats):
                run(x).numpy()
            ms = (time.perf_counter() - t0) / (a.repeats * a.batch) * 1e3
            base = base or ms
            params = model.count_params()
            print(
                f"{name:7s} {up:9s} {params:>11,} parameters  {params * 4 / 1e6:6.1f} MB  {ms:7.1f} ms/cell  "
                f"x{ms / base:.2f}"
            )


if __name__ == "__main__":
    main()
