"""Real-world degradations of an 8x input (TensorFlow ops): photos arrive blurred, noisy, resized and JPEG-compressed.

Real-ESRGAN (Wang et al., 2021) trains on inputs degraded by blur, resize, noise and JPEG in turn; here the four
act on the 32x32 input after the 8x area downscale, in a random order per example, each at a random strength, so
the model learns the 8x of a photo as it arrives rather than of a clean downscale, and stops sharpening JPEG
blocks into texture. Every random draw takes a stateless seed: an epoch is the same however often it is resumed.
"""

from __future__ import annotations

import itertools

from ..model._tf import tf

BLUR_SIGMA = (0.2, 1.2)  # px of the 32x32 input: a slight to a soft lens
RESIZE = (0.5, 1.0)  # down to this share of the side (bilinear), then back up
NOISE_SIGMA = (0.0, 0.03)  # Gaussian noise, of the [0, 1] range
JPEG_QUALITY = (35, 95)  # as photos arrive from the web


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


def degrade(x, seed):
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
