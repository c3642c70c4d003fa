"""Keras builders for the pix2pix generator (U-Net) and the 70x70 PatchGAN discriminator.

The architecture follows the TensorFlow pix2pix tutorial, with the filter widths of the paper in
``../shared/seeds/003_…`` made a parameter: encoder step ``i`` (0..7) has ``min(w * 2**i, 512)`` filters and
the decoder mirrors the encoder. All convolutions are 4x4 stride 2 without bias (BatchNorm follows), except
the final transposed convolution, which has a bias and ends in tanh. Inputs and outputs are in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# Keras is imported lazily inside the builders: importing this module must stay cheap for the CLI.

N_DOWN = 8  # encoder steps; a 256x256 input reaches 1x1 at the bottleneck
MAX_FILTERS = 512
CELL = 2**N_DOWN  # the generator's native input size: it needs multiples of 256


@dataclass(frozen=True)
class Preset:
    """A named generator width."""

    name: str
    base_width: int  # w: encoder filters are min(w * 2**i, 512)
    note: str  # one line for `upscale2x info`

    def __post_init__(self) -> None:
        if self.base_width < 1:
            raise ValueError(f"preset {self.name!r}: base width must be >= 1, got {self.base_width}")


# The one registry of presets: the CLI's choices come from here.
PRESETS = MappingProxyType(
    {
        "small": Preset("small", 4, "6,297,491 parameters (1→3 channels); the paper's web model"),
        "medium": Preset("medium", 8, "16,786,211 parameters (1→3 channels)"),
        "large": Preset("large", 64, "54,423,811 parameters (1→3 channels); the original pix2pix"),
    }
)


def encoder_widths(base_width: int, max_width: int = MAX_FILTERS) -> list[int]:
    """Filters of the 8 encoder steps for base width ``w``: ``min(w * 2**i, max_width)`` (512 in the paper)."""
    return [min(base_width * 2**i, max_width) for i in range(N_DOWN)]


def decoder_widths(base_width: int, max_width: int = MAX_FILTERS) -> list[int]:
    """Filters of the 7 decoder steps: the encoder's first seven widths, mirrored."""
    return encoder_widths(base_width, max_width)[-2::-1]


def resolve_width(preset: str | None = None, base_width: int | None = None) -> int:
    """Return a base width from a preset name or an explicit width (exactly one of them)."""
    if (preset is None) == (base_width is None):
        raise ValueError("give exactly one of preset or base_width")
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
        return PRESETS[preset].base_width
    if base_width < 1:
        raise ValueError(f"base width must be >= 1, got {base_width}")
    return base_width


def _down(x, filters: int, batchnorm: bool, name: str):
    from ._tf import keras

    layers = keras.layers

    x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False, name=f"{name}_conv")(x)
    if batchnorm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def _up(x, filters: int, dropout: bool, name: str):
    from ._tf import keras

    layers = keras.layers

    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    if dropout:
        x = layers.Dropout(0.5, name=f"{name}_drop")(x)
    return layers.ReLU(name=f"{name}_act")(x)


def unet_generator(
    preset: str | None = None,
    *,
    base_width: int | None = None,
    max_width: int = MAX_FILTERS,
    in_channels: int = 3,
    out_channels: int = 3,
    zero_output: bool = False,
):
    """Build the pix2pix U-Net generator.

    Input ``[N, H, W, in_channels]`` and output ``[N, H, W, out_channels]``, both in [-1, 1]; H and W must be
    multiples of 256. ``max_width`` caps the filters (512 in the paper; tests use tiny caps). ``zero_output``
    starts the last layer at zero, so a residual generator starts as the identity on its input. Raises
    ``ValueError`` for an unknown preset or bad channel counts.
    """
    from ._tf import keras

    layers = keras.layers
    w = resolve_width(preset, base_width)
    if in_channels < 1 or out_channels < 1 or max_width < 1:
        raise ValueError(f"channel counts and max_width must be >= 1, got {in_channels}, {out_channels}, {max_width}")
    inp = keras.Input(shape=(None, None, in_channels), name="input")
    x, skips = inp, []
    for i, f in enumerate(encoder_widths(w, max_width)):
        x = _down(x, f, batchnorm=i > 0, name=f"down{i + 1}")
        skips.append(x)
    for i, (f, skip) in enumerate(zip(decoder_widths(w, max_width), reversed(skips[:-1]), strict=True)):
        x = _up(x, f, dropout=i < 3, name=f"up{i + 1}")
        x = layers.Concatenate(name=f"skip{i + 1}")([x, skip])
    init = "zeros" if zero_output else "glorot_uniform"
    out = layers.Conv2DTranspose(
        out_channels, 4, strides=2, padding="same", activation="tanh", kernel_initializer=init, name="output"
    )(x)
    name = preset or f"w{w}"
    return keras.Model(inp, out, name=f"unet_{name}_{in_channels}to{out_channels}")


def patch_discriminator(ndf: int = 64, *, in_channels: int = 3, out_channels: int = 3):
    """Build the 70x70 PatchGAN discriminator (C64-C128-C256-C512 at ``ndf`` = 64).

    Inputs: the generator input ``[N, H, W, in_channels]`` and a real or generated target
    ``[N, H, W, out_channels]``, both in [-1, 1]. Output: patch logits ``[N, H/8 - 2, W/8 - 2, 1]``.
    ``ndf`` scales every width; CPU training wants a narrow one (8-16).
    """
    from ._tf import keras

    layers = keras.layers
    if ndf < 1:
        raise ValueError(f"ndf must be >= 1, got {ndf}")
    inp = keras.Input(shape=(None, None, in_channels), name="input")
    tar = keras.Input(shape=(None, None, out_channels), name="target")
    x = layers.Concatenate(name="pair")([inp, tar])
    x = _down(x, ndf, batchnorm=False, name="d1")
    x = _down(x, ndf * 2, batchnorm=True, name="d2")
    x = _down(x, ndf * 4, batchnorm=True, name="d3")
    x = layers.ZeroPadding2D(name="pad1")(x)
    x = layers.Conv2D(ndf * 8, 4, strides=1, use_bias=False, name="d4_conv")(x)
    x = layers.BatchNormalization(name="d4_bn")(x)
    x = layers.LeakyReLU(0.2, name="d4_act")(x)
    x = layers.ZeroPadding2D(name="pad2")(x)
    out = layers.Conv2D(1, 4, strides=1, name="logits")(x)
    return keras.Model([inp, tar], out, name=f"patchgan_ndf{ndf}")


def with_dropout_noise(model, seed: int):
    """A copy of generator ``model`` whose dropout stays on at inference, with masks fixed by ``seed``.

    pix2pix's only noise source is dropout. Here each dropout layer draws one stateless mask per seed (the same
    for every cell and call), so a seed picks a variant, the same seed gives the same pixels, and the tiles of
    one image share one variant (no seams). BatchNorm keeps its moving statistics. The seed lives in a variable:
    :func:`set_noise_seed` changes it without rebuilding or re-tracing anything.
    """
    from ._tf import keras, tf

    seed_var = tf.Variable([seed, 0], dtype=tf.int64, trainable=False, name="noise_seed")

    class SeededDropout(keras.layers.Layer):
        def __init__(self, rate: float, index: int, **kwargs):
            super().__init__(**kwargs)
            self.rate, self.index = rate, index

        def call(self, x, training=None):
            keep = tf.random.stateless_uniform(tf.shape(x)[1:], seed_var + [0, self.index]) >= self.rate
            return x * tf.cast(keep, x.dtype) / (1.0 - self.rate)

    counter = iter(range(1000))

    def clone(layer):
        if isinstance(layer, keras.layers.Dropout):
            return SeededDropout(layer.rate, next(counter), name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    noisy = keras.models.clone_model(model, clone_function=clone)
    noisy.set_weights(model.get_weights())
    noisy.noise_seed = seed_var
    return noisy


def set_noise_seed(noisy_model, seed: int) -> None:
    """Pick another variant of a model made by :func:`with_dropout_noise`."""
    noisy_model.noise_seed.assign([seed, 0])
