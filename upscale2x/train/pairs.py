"""Per-example transforms (TensorFlow ops) that turn a stored image into an (input, target) training pair.

Shared shapes: images arrive as uint8 ``[H, W, C]``; pairs leave as float32 in [0, 1]: the task's *raw* input
(sr8x: 32x32x3, see: 256x256x1, paired: 256x256x3) and the 256x256x3 target. The per-cell transform the
renderer applies (sr8x's cubic lift) is applied by the GAN, not here, exactly as at render time.
"""

from __future__ import annotations

from ..model import preprocess
from ..model._tf import tf
from ..model.tasks import TASKS
from .data import CROP, SCALE_RANGE
from .degrade import degrade as degrade_input

PAIRED_RESIZE = 286  # pix2pix: resize to 286x286, random crop 256


def _seeds(seed, n: int):
    return tf.unstack(tf.random.experimental.stateless_split(seed, n))


def _scale_crop(img, seed, train: bool):
    """Resize so the shorter side is 100-130 % of 256 (100 % held out), crop 256 (centre when held out)."""
    s_scale, s_crop = _seeds(seed, 2)
    h, w = tf.shape(img)[0], tf.shape(img)[1]
    f = tf.random.stateless_uniform([], s_scale, *SCALE_RANGE) if train else tf.constant(1.0)
    short = tf.cast(tf.minimum(h, w), tf.float32)
    size = tf.cast(tf.math.ceil(tf.cast(tf.stack([h, w]), tf.float32) * CROP * f / short), tf.int32)
    size = tf.maximum(size, CROP)
    x = tf.image.resize(img, size, method="bilinear", antialias=True)  # antialias: a proper downscale filter
    x = tf.clip_by_value(x, 0.0, 1.0)
    if train:
        return tf.image.stateless_random_crop(x, [CROP, CROP, tf.shape(img)[2]], s_crop)
    top, left = (size[0] - CROP) // 2, (size[1] - CROP) // 2
    return x[top : top + CROP, left : left + CROP]


def _native_crop(img, seed, scale_range):
    """A 256 crop at a random scale f in ``scale_range`` of the native pixels (log-uniform), f raised to fit.

    The source window (256/f pixels square) is cut first and then resized, which is the same as resizing the
    whole image and cropping, minus the cost.
    """
    s_scale, s_crop = _seeds(seed, 2)
    lo, hi = scale_range
    h, w = tf.shape(img)[0], tf.shape(img)[1]
    short = tf.cast(tf.minimum(h, w), tf.float32)
    log_f = tf.random.stateless_uniform([], s_scale, tf.math.log(float(lo)), tf.math.log(float(hi)) + 1e-9)
    f = tf.maximum(tf.exp(log_f), CROP / short)
    side = tf.minimum(tf.cast(tf.math.ceil(CROP / f), tf.int32), tf.minimum(h, w))
    window = tf.image.stateless_random_crop(img, tf.stack([side, side, tf.shape(img)[2]]), s_crop)
    x = tf.image.resize(window, [CROP, CROP], method="bilinear", antialias=True)
    return tf.clip_by_value(x, 0.0, 1.0)


def _flips(x, seed, vertical: bool):
    s_h, s_v = _seeds(seed, 2)
    x = tf.image.stateless_random_flip_left_right(x, s_h)
    return tf.image.stateless_random_flip_up_down(x, s_v) if vertical else x


def dream_input(target, seed, dream):
    """An sr8x input that holds less than its target's 8x: the target area-downscaled by 8 x f, f log-uniform in
    ``dream`` (lo, hi), then brought to the 8x input size bicubically (a smaller intermediate, as a soft photo or
    an upscaler's own output is). The target keeps its detail, so the model learns to invent detail the input
    cannot hold; chained on its own output it keeps inventing."""
    lo, hi = dream
    log_f = tf.random.stateless_uniform([], seed, tf.math.log(float(lo)), tf.math.log(float(hi)) + 1e-9)
    small = preprocess.area_down(target, preprocess.SR_FACTOR * tf.exp(log_f))
    side = CROP // preprocess.SR_FACTOR
    return preprocess.cubic_to(small, tf.stack([side, side]))


def make_pair(
    img,
    seed,
    task: str,
    train: bool = True,
    flip_vertical: bool = False,
    scale_range=None,
    dream=None,
    degrade: str = "none",
):
    """(input, target) for one stored uint8 image (paired data: 6 channels, input first).

    ``scale_range`` (lo, hi): training crops at a random scale of the native pixels (:func:`_native_crop`);
    held-out pairs are always the whole-scene centre crop, so metrics compare across runs. ``dream`` (lo, hi):
    training inputs of an 8x task made by :func:`dream_input` (held-out pairs keep the plain 8x input).
    ``degrade``: training inputs of an 8x task then go through ``degrade.degrade`` in that mode (none, jpeg, full).
    """
    s_crop, s_flip, s_jit = _seeds(seed, 3)
    img = tf.image.convert_image_dtype(img, tf.float32)
    spec = TASKS[task]
    if spec.layout == "pairs":
        if train:
            img = tf.image.resize(img, [PAIRED_RESIZE, PAIRED_RESIZE])
            img = tf.image.stateless_random_crop(img, [CROP, CROP, 6], s_crop)
            img = tf.image.stateless_random_flip_left_right(img, s_flip)
        else:
            img = tf.image.resize(img, [CROP, CROP])
        img = tf.clip_by_value(img, 0.0, 1.0)
        return img[..., :3], img[..., 3:]
    if train and scale_range is not None:
        target = _native_crop(img, s_crop, scale_range)
    else:
        target = _scale_crop(img, s_crop, train)
    if train:
        target = _flips(target, s_flip, vertical=flip_vertical)
    if train and dream is not None:
        inp = dream_input(target, s_jit, dream)
    else:
        inp = preprocess.transform(spec.train_input)(target)
    if train and degrade != "none":
        inp = degrade_input(inp, tf.random.experimental.stateless_fold_in(s_jit, 7), degrade)
    if train and spec.train_jitter:
        inp = preprocess.transform(spec.train_jitter)(inp, s_jit)
    return inp, target
