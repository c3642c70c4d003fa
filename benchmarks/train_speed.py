"""Training speed per preset: images/s on this machine and as a fraction of a FLOP bound measured in the same run.

    python benchmarks/train_speed.py [--presets small,medium,large] [--ndf 16] [--batch 4] [--steps 5]
        [--upsample resize] [--res-blocks 32] [--gan-weight 0] [--precisions float32,bf16]

With several precisions each network is timed in each, one after the other in this run, and the ratio to the
first is printed (``--precision bf16`` in `train`). The FLOP fraction is for pix2pix's transposed U-Net only.

FLOPs per image are counted from the layer shapes (2 per multiply-add): generator forward F_G, discriminator
forward F_D; one training step costs about 3 F_G + 2 x 3 F_D (forward + backward of G, two discriminator passes
with their backward). The bound is this machine's dense matmul rate, measured here with tf.matmul.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from upscale2x.model._tf import keras, tf
from upscale2x.model.nets import PRECISIONS, UPSAMPLERS, patch_discriminator, unet_generator
from upscale2x.model.tasks import TASKS
from upscale2x.train.gan import Pix2Pix


def matmul_rate(n: int = 2048, reps: int = 10) -> float:
    a = tf.random.uniform((n, n))
    tf.matmul(a, a).numpy()
    t0 = time.perf_counter()
    for _ in range(reps):
        c = tf.matmul(a, a)
    c.numpy()
    return 2 * n**3 * reps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="small,medium")
    ap.add_argument("--task", default="sr8x")
    ap.add_argument("--ndf", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--upsample", default="transpose", choices=UPSAMPLERS)
    ap.add_argument("--res-blocks", type=int, default=0)
    ap.add_argument("--gan-weight", type=float, default=1.0, help="0 = L1 only (the discriminator is not trained)")
    ap.add_argument("--precisions", default="float32", help=f"comma-separated, of {', '.join(PRECISIONS)}")
    a = ap.parse_args()
    spec = TASKS[a.task]
    plain = a.upsample == "transpose" and a.res_blocks == 0
    bound = matmul_rate()
    print(f"matmul bound on this machine: {bound / 1e9:.1f} GFLOP/s")
    for preset in a.presets.split(","):
        first = None
        for precision in a.precisions.split(","):
            g = unet_generator(
                preset, in_channels=spec.in_channels, upsample=a.upsample, res_blocks=a.res_blocks, precision=precision
            )
            d = patch_discriminator(a.ndf, in_channels=spec.in_channels, precision=precision)
            ips = _images_per_s(Pix2Pix(g, d, spec, global_batch=a.batch, gan_weight=a.gan_weight), spec, a)
            first = first or ips
            line = f"{preset:6s} {precision:7s} G {g.count_params():>11,} params: {ips:6.2f} img/s ({ips / first:.2f}x)"
            if plain:
                fg, fd = _flops(g), _flops_d(d)
                per_image = 3 * fg + (6 * fd if a.gan_weight else 0)
                line += (
                    f", G {fg / 1e9:.2f} GFLOP/img, D(ndf {a.ndf}) {fd / 1e9:.2f} GFLOP/img: "
                    f"{ips * per_image / 1e9:6.1f} GFLOP/s = {ips * per_image / bound:.2f} of the bound"
                )
            print(line)


def _images_per_s(model, spec, a) -> float:
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    x = tf.random.uniform((a.batch, spec.in_cell, spec.in_cell, spec.in_channels))
    y = tf.random.uniform((a.batch, 256, 256, 3))
    step = tf.function(model.train_step)
    step((x, y))
    t0 = time.perf_counter()
    for _ in range(a.steps):
        out = step((x, y))
    float(out["l1"])
    return a.steps * a.batch / (time.perf_counter() - t0)


def _flops(g) -> float:
    """Generator forward FLOPs at 256x256, from each conv's output size (transposed: its input size)."""
    total, size = 0.0, 256
    for layer in g.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            size *= 2
            total += 2 * np.prod(layer.kernel.shape) * (size // 2) ** 2
        elif isinstance(layer, keras.layers.Conv2D):
            size //= 2
            total += 2 * np.prod(layer.kernel.shape) * size**2
    return total


def _flops_d(d) -> float:
    """PatchGAN forward FLOPs at 256x256 (three stride-2 convs, then two stride-1 convs on 33x33 -> 30x30 maps)."""
    sizes = [128, 64, 32, 31, 30]
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    return float(sum(2 * np.prod(c.kernel.shape) * s * s for c, s in zip(convs, sizes, strict=True)))


if __name__ == "__main__":
    main()
