"""The task transforms, in TensorFlow ops, shared by training (inside tf.data) and rendering.

Images here are float32 in [0, 1], ``[H, W, C]`` or ``[N, H, W, C]``. The model range [-1, 1] and the
grayscale conversion live here and nowhere else.
"""

from __future__ import annotations

from ..colour import LUMA
from ._tf import tf
from .resample import SEE_FACTOR, SR_FACTOR  # the constants live with the numpy twins of these transforms
from .tasks import TASKS

SEE_BRIGHTNESS = 0.20  # ± random brightness (relative) in training
SEE_CONTRAST = 0.15  # ± random contrast in training


def to_model(x):
    """[0, 1] -> the generator's [-1, 1]."""
    return x * 2.0 - 1.0


def from_model(y):
    """The generator's [-1, 1] -> [0, 1], clipped."""
    return tf.clip_by_value((y + 1.0) * 0.5, 0.0, 1.0)


def compose(gen_in, gen_out, residual: bool):
    """The image a generator makes, in [-1, 1]: its output, or (residual tasks) its input plus its output.

    A residual sr8x generator starts from the bicubic lift and only has to learn the missing detail, which is
    what lets a CPU-trained model beat bicubic at all; the U-Net and its parameter count are unchanged.
    """
    return tf.clip_by_value(gen_in + gen_out, -1.0, 1.0) if residual else gen_out


def grayscale(x):
    """RGB -> one channel ``[..., 1]`` (ITU-R 601 luma); one-channel input passes through. TensorFlow ops."""
    if x.shape[-1] == 1:
        return x
    return tf.expand_dims(tf.tensordot(tf.convert_to_tensor(x, tf.float32), LUMA, [[-1], [-1]]), -1)


def _hw(x):
    s = tf.shape(x)
    return s[-3], s[-2]


def area_down(x, factor: float):
    """Area (box) downscale by ``factor`` (a number or a scalar tensor); the size rounds to nearest, at least 1."""
    h, w = _hw(x)
    size = tf.maximum(1, tf.cast(tf.round(tf.cast(tf.stack([h, w]), tf.float32) / factor), tf.int32))
    return tf.image.resize(x, size, method="area")


def cubic_to(x, size):
    """Bicubic resize to ``size`` = (h, w), clipped to [0, 1]."""
    return tf.clip_by_value(tf.image.resize(x, size, method="bicubic"), 0.0, 1.0)


def sr8x_degrade(target):
    """The sr8x input for a target: 8x area downscale (a 256x256 crop becomes 32x32)."""
    return area_down(target, SR_FACTOR)


def sr8x_lift(small):
    """The sr8x generator input for a low-resolution cell: bicubic upscale 8x (32x32 -> 256x256)."""
    h, w = _hw(small)
    return cubic_to(small, tf.stack([h * SR_FACTOR, w * SR_FACTOR]))


def see_abstract(x):
    """Learning to See's input transform: grayscale, 24x area downscale, cubic upscale to the same size."""
    g = grayscale(x)
    return cubic_to(area_down(g, SEE_FACTOR), tf.stack(_hw(g)))


def see_jitter(x, seed):
    """Random brightness (±20 %) and contrast (±15 %) for one ``[H, W, 1]`` image; ``seed`` is a stateless seed pair."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    b = tf.random.stateless_uniform([], seeds[0], 1.0 - SEE_BRIGHTNESS, 1.0 + SEE_BRIGHTNESS)
    c = tf.random.stateless_uniform([], seeds[1], 1.0 - SEE_CONTRAST, 1.0 + SEE_CONTRAST)
    x = x * b
    mean = tf.reduce_mean(x)
    return tf.clip_by_value((x - mean) * c + mean, 0.0, 1.0)


# The transforms the task table may name, dispatched explicitly (no globals() lookup).
TRANSFORMS = {
    "sr8x_degrade": sr8x_degrade,
    "sr8x_lift": sr8x_lift,
    "see_abstract": see_abstract,
    "see_jitter": see_jitter,
}


def check_transforms(tasks) -> None:
    """Raise ImportError if a task names a transform that ``TRANSFORMS`` lacks (run at import, below)."""
    missing = sorted({t for s in tasks.values() for t in s.transforms} - set(TRANSFORMS))
    if missing:
        raise ImportError(f"tasks.py names transforms preprocess does not have: {', '.join(missing)}")


check_transforms(TASKS)  # a typo in tasks.py fails at import, not halfway through a render


def transform(name: str):
    """The transform called ``name`` (named by the task table), or identity for ""."""
    return TRANSFORMS[name] if name else (lambda x: x)
