"""The generator's own Keras layers (registered, so a bundle holding them loads in Keras safe mode).

``LatticeFree`` removes from its input the part that repeats every ``period`` px on both axes: per image and
channel, the mean over each of the period x period pixel phases (row mod p, column mod p), less their common
mean. That part is exactly what the FFT bins of period 2, 4 and 8 hold (metrics.lattice_share), so a generator
ending in it cannot stamp an 8-px grid over its cell, whatever its weights or its GAN loss do. A natural image
puts a tiny share of its power there (63 bins of a 256 cell's 65,536: 0.02 % of the non-flat power of scikit-image's
photos on average, 0.1 % at most), so almost no real detail is lost. A grid confined to part of a cell is thinned,
not removed: only its mean over the whole cell goes. With ``window`` W it is removed where it is: each pixel
loses the periodic part of its own neighbourhood (:func:`local_pattern`), which varies smoothly over the cell.

``ReflectPad`` pads by mirroring the pixels next to the border (as numpy's ``reflect``). A convolution with zero
padding can tell where its cell ends, and a GAN-trained generator paints that: a light or dark frame a few pixels
wide round every output of the zero-padded see models. Mirrored borders look like more picture.
"""

from __future__ import annotations

from ..metrics import LATTICE_PERIOD
from ._tf import keras

ops = keras.ops


def phase_pattern(x, period: int = LATTICE_PERIOD):
    """The part of ``x`` ``[N, H, W, C]`` that repeats every ``period`` px, as one tile ``[N, p, p, C]``.

    The mean of each pixel phase (row mod p, column mod p), less the phases' common mean (a flat offset is no
    lattice). H and W must be multiples of ``period``. Tensors stay 4-D or lower, which TFLite's kernels and the
    int8 quantiser accept.
    """
    p = period
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    by_row = ops.mean(ops.reshape(x, (-1, h // p, p, w * c)), axis=1)  # [N, p, W*C]: over the block rows
    by_col = ops.mean(ops.reshape(by_row, (-1, p, w // p, p * c)), axis=2)  # [N, p, p*C]: the phase means
    flat = ops.reshape(by_col, (-1, p * p, c))
    return ops.reshape(flat - ops.mean(flat, axis=1, keepdims=True), (-1, p, p, c))


def _blocks_smoothed(x, period: int):
    """The means of ``x``'s ``period`` x ``period`` blocks, brought back to full size bilinearly: blind to a
    ``period``-periodic part (each block holds one whole period), and the same picture where it is smooth."""
    means = ops.average_pool(x, period, strides=period, padding="valid")
    shape = ops.shape(x)
    return ops.image.resize(means, (shape[1], shape[2]), interpolation="bilinear", data_format="channels_last")


def local_pattern(x, window: int, period: int = LATTICE_PERIOD):
    """The ``period``-periodic part of ``x`` ``[N, H, W, C]`` round each pixel, over about ``window`` px.

    The residual against the bilinearly smoothed block means (blind to that period, and to a ramp, whose phases
    would otherwise differ by a sawtooth) is averaged over the pixels of each pixel's own phase in the nearest
    blocks (an odd number of them each way, about ``window`` px across). A grid is read where it is drawn; a
    smoothly shaded picture gives almost nothing (its residual averages out; about half a grey level within a
    window of the borders, where the bilinear smoothing holds the edge value). Reshapes, mean pools and a bilinear
    resize on 4-D tensors: cheap in LiteRT (a phase's pixels in neighbouring blocks lie ``period`` rows apart, so
    a reshape puts them next to each other; 0.5 ms a 256 px cell on one core), and its int8 converter takes them.
    """
    p, k = period, window // period | 1
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    r = x - _blocks_smoothed(x, p)
    by_rows = ops.reshape(r, (-1, h // p, p, w * c))  # [N, block row, phase row, column x channel]
    by_rows = ops.average_pool(by_rows, (k, 1), strides=1, padding="same")  # over the nearest block rows
    by_cols = ops.reshape(by_rows, (-1, h, w // p, p * c))  # [N, row, block column, phase column x channel]
    by_cols = ops.average_pool(by_cols, (1, k), strides=1, padding="same")  # over the nearest block columns
    return ops.reshape(by_cols, (-1, h, w, c))


@keras.saving.register_keras_serializable(package="upscale2x")
class LatticeFree(keras.layers.Layer):
    """``x`` less its ``period``-periodic part: over the whole image (:func:`phase_pattern` repeated), or with
    ``window`` > 0 round each pixel over that many px (:func:`local_pattern`: a grid drawn in part of a cell).

    Input ``[N, H, W, C]`` with H and W multiples of ``period`` (a U-Net cell always is).
    """

    def __init__(self, period: int = LATTICE_PERIOD, window: int = 0, **kwargs):
        super().__init__(**kwargs)
        if period < 2:
            raise ValueError(f"period must be >= 2, got {period}")
        if window and (window < 2 * period or window % period):
            raise ValueError(f"window must be 0 or a multiple of {period} px from {2 * period}, got {window}")
        self.period = int(period)
        self.window = int(window)

    def call(self, x):
        p = self.period
        if self.window:
            return x - local_pattern(x, self.window, p)
        shape = ops.shape(x)
        w, c = shape[2], shape[3]
        tile = ops.reshape(phase_pattern(x, p), (-1, p, 1, p * c))
        pattern = ops.reshape(ops.tile(tile, (1, 1, w // p, 1)), (-1, 1, p, w * c))  # one block row of it
        rows = ops.reshape(x, (-1, shape[1] // p, p, w * c))  # [N, block rows, phase row, W*C]
        return ops.reshape(rows - pattern, (-1, shape[1], w, c))  # -1: a LiteRT export resized to another batch

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "period": self.period, "window": self.window}


@keras.saving.register_keras_serializable(package="upscale2x")
class ReflectPad(keras.layers.Layer):
    """Pad ``[N, H, W, C]`` by ``pad`` px on every side with the mirrored inner pixels (H, W > ``pad``).

    Written as slices and concatenations, ops LiteRT's XNNPACK delegate runs (a MIRROR_PAD would leave it).
    """

    def __init__(self, pad: int = 1, **kwargs):
        super().__init__(**kwargs)
        if pad < 1:
            raise ValueError(f"pad must be >= 1, got {pad}")
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        top = [x[:, i : i + 1] for i in range(p, 0, -1)]
        bottom = [x[:, -i - 1 : -i] for i in range(1, p + 1)]
        x = ops.concatenate([*top, x, *bottom], axis=1)
        left = [x[:, :, i : i + 1] for i in range(p, 0, -1)]
        right = [x[:, :, -i - 1 : -i] for i in range(1, p + 1)]
        return ops.concatenate([*left, x, *right], axis=2)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda d: None if d is None else d + 2 * self.pad  # noqa: E731
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}
