"""Real-world degradations of an 8x input (TensorFlow ops): photos arrive blurred, noisy, resized and JPEG-compressed.

Real-ESRGAN (Wang et al., 2021) trains on inputs degraded by blur, resize, noise and JPEG in turn; here the four
act on the 32x32 input after the 8x area downscale, in a random order per example, each at a random strength, so
the model learns the 8x of a photo as it arrives rather than of a clean downscale, and stops sharpening JPEG
blocks into texture. Every random draw takes a stateless seed: an epoch is the same however often it is resumed.

Two modes (``--degrade``): ``full`` is the above; ``jpeg`` only compresses (quality 30-95, 4:2:0, the block grid
at a random offset, as a crop of a larger JPEG has it), leaving a share of the inputs clean, so the model keeps
its clean 8x and learns to read through JPEG blocks without learning to undo a blur the inputs do not have.
"""

from __future__ import annotations

import itertools

from ..model._tf import tf
from .config import DEGRADE_MODES

BLUR_SIGMA = (0.2, 1.2)  # px of the 32x32 input: a slight to a soft lens
RESIZE = (0.5, 1.0)  # down to this share of the side (bilinear), then back up
NOISE_SIGMA = (0.0, 0.03)  # Gaussian noise, of the [0, 1] range
JPEG_QUALITY = (35, 95)  # as photos arrive from the web
JPEG_ONLY_QUALITY = (30, 95)  # the jpeg mode's range
JPEG_CLEAN_SHARE = 0.2  # the jpeg mode leaves this share of inputs clean


def _blur(x, seed):
    sigma = tf.random.stateless_uniform([], seed, *BLUR_SIGMA)
    r = tf.range(-2.0, 3.0)
    k = tf.exp(-0.5 * tf.square(r / sigma))
    k = k / tf.reduce_sum(k)
    kernel = tf.tile(tf.reshape(tf.tensordot(k, k, axes=0), [5, 5, 1, 1]), [1, 1, 3, 1])
    padded = tf.pad(x[None], [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")[0]


def _resize(x, seed):
    side = tf.shape(x)[0]
    f = tf.random.stateless_uniform([], seed, *RESIZE)
    small = tf.maximum(1, tf.cast(tf.round(tf.cast(side, tf.float32) * f), tf.int32))
    down = tf.image.resize(x, tf.stack([small, small]), method="bilinear", antialias=True)
    return tf.image.resize(down, tf.stack([side, tf.shape(x)[1]]), method="bilinear")


def _noise(x, seed):
    s_sigma, s_noise = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    sigma = tf.random.stateless_uniform([], s_sigma, *NOISE_SIGMA)
    return x + sigma * tf.random.stateless_normal(tf.shape(x), s_noise)


def _jpeg(x, seed):
    return tf.image.stateless_random_jpeg_quality(tf.clip_by_value(x, 0.0, 1.0), *JPEG_QUALITY, seed)


OPS = (_blur, _resize, _noise, _jpeg)
ORDERS = tuple(itertools.permutations(range(len(OPS))))  # 24 orders


def jpeg_only(x, seed):
    """``x`` ``[h, w, 3]`` in [0, 1] JPEG-compressed at a random quality with its 8x8 grid at a random offset, or
    (a ``JPEG_CLEAN_SHARE`` of draws) left as it is; same shape."""
    s_clean, s_off, s_q = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    h, w = tf.shape(x)[0], tf.shape(x)[1]
    off = tf.random.stateless_uniform([2], s_off, 0, 8, dtype=tf.int32)
    padded = tf.pad(x[None], [[0, 0], [off[0], 8 - off[0]], [off[1], 8 - off[1]], [0, 0]], mode="SYMMETRIC")[0]
    q = tf.image.stateless_random_jpeg_quality(tf.clip_by_value(padded, 0.0, 1.0), *JPEG_ONLY_QUALITY, s_q)
    y = tf.reshape(q[off[0] : off[0] + h, off[1] : off[1] + w], tf.shape(x))
    clean = tf.random.stateless_uniform([], s_clean) < JPEG_CLEAN_SHARE
    return tf.where(clean, x, y)


def degrade(x, seed, mode: str):
    """``x`` through the degradations of ``mode`` (``DEGRADE_MODES``): ``full`` :func:`real_world`, ``jpeg``
    :func:`jpeg_only`, ``none`` unchanged."""
    if mode == "none":
        return x
    if mode == "jpeg":
        return jpeg_only(x, seed)
    if mode == "full":
        return real_world(x, seed)
    raise ValueError(f"degrade must be one of {', '.join(DEGRADE_MODES)}, got {mode!r}")


def real_world(x, seed):
    """``x`` ``[h, w, 3]`` in [0, 1] through blur, resize, noise and JPEG in a random order; same shape, in [0, 1].

    ``seed`` is a stateless seed pair. Each step's strength is drawn within this module's ranges.
    """
    x = tf.ensure_shape(x, [None, None, 3])
    s_order, *s_ops = tf.unstack(tf.random.experimental.stateless_split(seed, 1 + len(OPS)))
    pick = tf.random.stateless_uniform([], s_order, 0, len(ORDERS), dtype=tf.int32)

    def branch(order):
        def run():
            y = x
            for i in order:
                y = tf.clip_by_value(OPS[i](y, s_ops[i]), 0.0, 1.0)
            return y

        return run

    y = tf.switch_case(pick, [branch(o) for o in ORDERS])
    return tf.reshape(y, tf.shape(x))
