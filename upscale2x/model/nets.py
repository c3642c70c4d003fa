"""Keras builders for the pix2pix generator (U-Net) and the 70x70 PatchGAN discriminator.

The architecture follows the TensorFlow pix2pix tutorial, with the filter widths of Josh Murr's paper
"Rethinking Model Architecture and Means of Delivery to get Unique Video Interaction with Generative Neural
Networks Online" (2020) made a parameter: encoder step ``i`` (0..7) has ``min(w * 2**i, 512)`` filters and
the decoder mirrors the encoder. All convolutions are 4x4 stride 2 without bias (BatchNorm follows), except
the final layer, which has a bias and ends in tanh. Inputs and outputs are in [-1, 1].

The decoder upsamples in one of three ways (``UPSAMPLERS``):
- ``transpose``: pix2pix's 4x4 stride-2 transposed convolutions. Their kernels overlap unevenly (each output
  pixel of a 2x2 block sums a different subset of the taps), which stamps a period-2 checkerboard that
  compounds over the decoder's 8 steps and that a GAN loss amplifies (Odena, Dumoulin, Olah, 2016).
- ``resize``: nearest-neighbour x2 resize, then a 3x3 convolution (the "resize-convolution" Odena et al.
  recommend). Every output pixel sees the same taps, so a flat input gives a flat output by construction. It
  costs 9/4 of the decoder's multiply-adds. Nearest-neighbour blocks survive partly into textured output: an
  8x upscaler's output keeps a faint period-8 pattern aligned with its input's pixel grid.
- ``bilinear``: the same with a bilinear x2 resize, whose output varies smoothly inside each block. (Keras's
  bilinear resize needs static spatial shapes inside a tf.function: untiled renders trace per image size.)

``res_blocks`` (not in pix2pix; 0 = the paper's network) adds depth where an 8x upscaler's information is: after
encoder step 3, at 1/8 of the cell (the sr8x input's own pixels), blocks of two 3x3 convolutions with a ReLU
between and the input added back, EDSR's residual block (Lim et al., 2017) without BatchNorm. Their output feeds
both the deeper encoder and the skip. Each block's second convolution starts at zero, so a network with blocks
added computes exactly what it computed without them: ``train --init-from`` can grow a trained bundle.
``block_width`` widens the blocks inside (the first convolution's filters, the ReLU's channels: WDSR's "wide
activation", Yu et al., 2018) and ``attention`` scales each block's residual by RCAN's channel attention (Zhang et
al., 2018). Both grow a trained bundle exactly too: the new filters of a wider first convolution meet zeros in the
second, and the attention's gate starts at 1.

``padding`` (not in pix2pix): ``zero`` (Keras's "same", pix2pix's) or ``reflect``, every convolution's border
mirrored by ``layers.ReflectPad`` instead (CycleGAN's and pix2pixHD's generators pad so): a zero-padded network
knows where its cell ends, and the GAN-trained see models painted a frame there. Weightless, so a bundle of one
padding can start a network of the other (``--init-from``). Needs a resize or bilinear decoder (a transposed
convolution has no padding to mirror).

``lattice_free`` (not in pix2pix) ends the generator in ``layers.LatticeFree``, which removes the part of its
output that repeats every 8 px over the cell: the period-2/4/8 grid a decoder or a GAN loss stamps. It has no
weights, so a bundle without it can start one with it (``--init-from``), and the parameter count is unchanged.
``lattice_free_window`` W > 0 removes that part round each pixel over about W px instead of over the whole cell: a
GAN-trained upscaler draws a faint grid in some places and its opposite in others, which the whole-cell mean
cancels but a print made of its own output shows (``layers.local_pattern``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

# Keras is imported lazily inside the builders: importing this module must stay cheap for the CLI.

N_DOWN = 8  # encoder steps; a 256x256 input reaches 1x1 at the bottleneck
MAX_FILTERS = 512
# Decoder upsampling: pix2pix's transposed conv; nearest x2 + 3x3 conv; bilinear x2 + 3x3 conv.
UPSAMPLERS = ("transpose", "resize", "bilinear")
PADDINGS = ("zero", "reflect")  # convolution borders: Keras's zeros ("same"), or mirrored pixels (layers.ReflectPad)
# float32, or bf16: Keras's mixed_bfloat16 (bfloat16 arithmetic, float32 weights); a network's last layer stays float32
PRECISIONS = ("float32", "bf16")
RES_BLOCK_STEP = 3  # residual blocks follow encoder step 3: 1/8 of the cell, the 8x upscaler's input scale
MAX_RES_BLOCKS = 64
MAX_BLOCK_WIDTH = 1024  # inner width of a residual block (0 = the block's own width)
ATTENTION_REDUCTION = 16  # RCAN's channel-attention reduction
RES_BLOCK_PREFIX = "res"  # layer names of the residual blocks: res1_conv1, res1_act, res1_conv2, res1_add, ...


@dataclass(frozen=True)
class Preset:
    """A named generator width."""

    name: str
    base_width: int  # w: encoder filters are min(w * 2**i, max_width)
    note: str  # one line for `upscale2x info`
    max_width: int = MAX_FILTERS  # filter cap (512 in the paper)

    def __post_init__(self) -> None:
        if self.base_width < 1 or self.max_width < 1:
            raise ValueError(f"preset {self.name!r}: widths must be >= 1, got {self.base_width}, {self.max_width}")


# The one registry of presets: the CLI's choices come from here.
PRESETS = MappingProxyType(
    {
        "small": Preset("small", 4, "6,297,491 parameters (1→3 channels); the paper's web model"),
        "medium": Preset("medium", 8, "16,786,211 parameters (1→3 channels)"),
        "large": Preset("large", 64, "54,423,811 parameters (1→3 channels); the original pix2pix"),
        # Not in the paper: super-resolution needs filters where the pixels are (16 at 128², 64 at 32², the
        # low-resolution input's own scale) more than 512 at 1x1. Chosen for sr8x by benchmarks/preset_speed.py
        # and quality.py (models/TRAINING.md): 3.5x small's render time, ahead of it in PSNR from epoch 1.
        "hires": Preset(
            "hires", 16, "3,406,915 parameters (1→3 channels; 2,453,411 for 3→3 with resize); the sr8x profile", 128
        ),
    }
)


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 instructions that compute bfloat16 natively


def cpu_bf16_native(cpuinfo: str | None = None) -> bool | None:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); None where Linux's cpuinfo is not there.

    Without either, TensorFlow emulates bfloat16 and ``--precision bf16`` trains several times slower than
    float32 (models/TRAINING.md). ``cpuinfo`` is the text of /proc/cpuinfo (read here when None).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return None
    flags = {f for line in cpuinfo.splitlines() if line.startswith("flags") for f in line.partition(":")[2].split()}
    if not flags:
        return None
    return any(f in flags for f in BF16_CPU_FLAGS)


@contextmanager
def precision_scope(precision: str) -> Iterator[None]:
    """Layers made inside compute in ``precision`` (one of ``PRECISIONS``); Keras's global policy is restored after.

    The weights are float32 either way, so a network built in bf16 holds exactly the variables (names, shapes,
    dtypes) of its float32 twin: checkpoints, ``--init-from`` and ``set_weights`` go both ways.
    """
    from ._tf import keras

    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def encoder_widths(base_width: int, max_width: int = MAX_FILTERS) -> list[int]:
    """Filters of the 8 encoder steps for base width ``w``: ``min(w * 2**i, max_width)`` (512 in the paper)."""
    return [min(base_width * 2**i, max_width) for i in range(N_DOWN)]


def decoder_widths(base_width: int, max_width: int = MAX_FILTERS) -> list[int]:
    """Filters of the 7 decoder steps: the encoder's first seven widths, mirrored."""
    return encoder_widths(base_width, max_width)[-2::-1]


def resolve_widths(
    preset: str | None = None, base_width: int | None = None, max_width: int | None = None
) -> tuple[int, int]:
    """(base width, width cap) from a preset name, or from an explicit base width and cap (default 512).

    Give exactly one of ``preset`` and ``base_width``; a preset fixes its own cap. Raises ``ValueError``.
    """
    if (preset is None) == (base_width is None):
        raise ValueError("give exactly one of preset or base_width")
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
        if max_width is not None and max_width != PRESETS[preset].max_width:
            raise ValueError(f"preset {preset!r} has its own width cap ({PRESETS[preset].max_width})")
        return PRESETS[preset].base_width, PRESETS[preset].max_width
    cap = MAX_FILTERS if max_width is None else max_width
    if base_width < 1 or cap < 1:
        raise ValueError(f"base width and max width must be >= 1, got {base_width}, {cap}")
    return base_width, cap


def _conv(x, filters: int, kernel: int, padding: str, name: str, strides: int = 1, **conv_args):
    """A convolution that keeps ``ceil(size / strides)``: Keras's "same" zero padding, or 1 px mirrored each side.

    For the even sizes of a U-Net cell both pad the 4x4 stride-2 and the 3x3 convolutions by 1 px on every side,
    so the weights mean the same under either padding.
    """
    from ._tf import keras

    if padding == "zero":
        return keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", name=name, **conv_args)(x)
    from .layers import ReflectPad

    x = ReflectPad(1, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, kernel, strides=strides, padding="valid", name=name, **conv_args)(x)


def _down(x, filters: int, batchnorm: bool, name: str, padding: str = "zero"):
    from ._tf import keras

    layers = keras.layers

    x = _conv(x, filters, 4, padding, f"{name}_conv", strides=2, use_bias=False)
    if batchnorm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def _upsample_conv(x, filters: int, upsample: str, name: str, padding: str = "zero", **conv_args):
    """x2 upsampling convolution named ``name``: a 4x4 stride-2 transposed conv, or a x2 resize then a 3x3 conv."""
    from ._tf import keras

    layers = keras.layers
    if upsample == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", name=name, **conv_args)(x)
    interpolation = "bilinear" if upsample == "bilinear" else "nearest"
    x = layers.UpSampling2D(2, interpolation=interpolation, name=f"{name}_resize")(x)
    return _conv(x, filters, 3, padding, name, **conv_args)


def _res_block(x, filters: int, name: str, padding: str = "zero", width: int = 0, attention: bool = False):
    """EDSR's residual block: x + conv(relu(conv(x))), the second conv zero at the start (the block is the identity).

    ``width`` (0 = ``filters``) is the inner width, the ReLU's channels (WDSR's wide activation); ``attention``
    scales the residual per channel by RCAN's channel attention (see ``_channel_attention``).
    """
    from ._tf import keras

    layers = keras.layers
    y = _conv(x, width or filters, 3, padding, f"{name}_conv1")
    y = layers.ReLU(name=f"{name}_act")(y)
    y = _conv(y, filters, 3, padding, f"{name}_conv2", kernel_initializer="zeros")
    if attention:
        y = _channel_attention(y, filters, name)
    return layers.Add(name=f"{name}_add")([x, y])


def _channel_attention(y, filters: int, name: str):
    """RCAN's channel attention (Zhang et al., 2018): ``y`` times a per-channel gate from its global mean.

    The gate is ``2 sigmoid(fc2(relu(fc1(mean(y)))))`` with fc2 zero at the start, so it starts at exactly 1 and a
    block given attention computes what it computed without: ``--init-from`` can add it to a trained bundle.
    fc1 reduces to ``filters / ATTENTION_REDUCTION`` channels (RCAN's 16, at least 1).
    """
    from ._tf import keras

    layers = keras.layers
    g = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_ca_pool")(y)
    g = layers.Conv2D(max(1, filters // ATTENTION_REDUCTION), 1, activation="relu", name=f"{name}_ca_fc1")(g)
    g = layers.Conv2D(filters, 1, activation="sigmoid", kernel_initializer="zeros", name=f"{name}_ca_fc2")(g)
    g = layers.Rescaling(2.0, name=f"{name}_ca_gate")(g)
    return layers.Multiply(name=f"{name}_ca")([y, g])


def _up(x, filters: int, dropout: bool, upsample: str, name: str, padding: str = "zero"):
    from ._tf import keras

    layers = keras.layers

    x = _upsample_conv(x, filters, upsample, f"{name}_conv", padding, use_bias=False)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    if dropout:
        x = layers.Dropout(0.5, name=f"{name}_drop")(x)
    return layers.ReLU(name=f"{name}_act")(x)


def unet_generator(
    preset: str | None = None,
    *,
    base_width: int | None = None,
    max_width: int | None = None,
    in_channels: int = 3,
    out_channels: int = 3,
    zero_output: bool = False,
    upsample: str = "transpose",
    dropout: bool = True,
    res_blocks: int = 0,
    lattice_free: bool = False,
    lattice_free_window: int = 0,
    precision: str = "float32",
    padding: str = "zero",
    block_width: int = 0,
    attention: bool = False,
):
    """Build the pix2pix U-Net generator.

        Input ``[N, H, W, in_channels]`` and output ``[N, H, W, out_channels]``, both in [-1, 1]; H and W must be
        multiples of 256. ``max_width`` caps the filters of a custom ``base_width`` (default 512, the paper's; tests use
    tiny caps); a preset brings its own cap. ``zero_output``
        starts the last layer at zero, so a residual generator starts as the identity on its input. ``upsample``
        is one of ``UPSAMPLERS``. ``dropout`` keeps pix2pix's 50 % dropout in the first three decoder steps (its
        noise source; a regression model such as a faithful upscaler trains better without it, and the layer
        count and parameters are the same either way). ``res_blocks`` residual blocks at 1/8 of the cell (see the
        module's docstring), ``block_width`` their inner width (0 = the blocks' own), ``attention`` their
        channel attention. ``lattice_free`` ends the network in ``layers.LatticeFree``: its output has no 8-px
        periodic part (round each pixel over ``lattice_free_window`` px, if > 0). ``padding`` is one of
        ``PADDINGS`` (see the module's docstring). ``precision`` "bf16" computes in bfloat16 (training on CPUs with
        AMX/AVX-512 BF16 runs about twice as fast), except the last layer(s), so the output is float32. Raises
        ``ValueError`` for an unknown preset, upsampler, padding or precision, bad channel counts, a block count
        outside 0-64, a block width outside 0-1024 or given without blocks, attention without blocks, reflect
        padding with the transposed decoder, or a bad lattice-free window (``check_lattice_window``).
    """
    with precision_scope(precision):
        from ._tf import keras

        layers = keras.layers
        w, max_width = resolve_widths(preset, base_width, max_width)
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"channel counts must be >= 1, got {in_channels}, {out_channels}")
        if upsample not in UPSAMPLERS:
            raise ValueError(f"unknown upsampling {upsample!r}; expected one of {', '.join(UPSAMPLERS)}")
        if not 0 <= res_blocks <= MAX_RES_BLOCKS:
            raise ValueError(f"res_blocks must be 0-{MAX_RES_BLOCKS}, got {res_blocks}")
        check_blocks(res_blocks, block_width, attention)
        check_padding(padding, upsample)
        check_lattice_window(lattice_free, lattice_free_window)
        inp = keras.Input(shape=(None, None, in_channels), name="input")
        x, skips = inp, []
        for i, f in enumerate(encoder_widths(w, max_width)):
            x = _down(x, f, batchnorm=i > 0, name=f"down{i + 1}", padding=padding)
            if i + 1 == RES_BLOCK_STEP:
                for k in range(res_blocks):
                    x = _res_block(x, f, f"{RES_BLOCK_PREFIX}{k + 1}", padding, block_width, attention)
            skips.append(x)
        for i, (f, skip) in enumerate(zip(decoder_widths(w, max_width), reversed(skips[:-1]), strict=True)):
            x = _up(x, f, dropout=dropout and i < 3, upsample=upsample, name=f"up{i + 1}", padding=padding)
            x = layers.Concatenate(name=f"skip{i + 1}")([x, skip])
        init = "zeros" if zero_output else "glorot_uniform"
        out = _upsample_conv(
            x, out_channels, upsample, "output", padding, activation="tanh", kernel_initializer=init, dtype="float32"
        )  # float32 in any precision, as is the lattice-free layer: the output keeps its 8 bits and more
        if lattice_free:
            from .layers import LatticeFree

            out = LatticeFree(window=lattice_free_window, name="lattice_free", dtype="float32")(out)
        name = (
            (preset or f"w{w}")
            + ("" if upsample == "transpose" else f"_{upsample}")
            + (f"_rb{res_blocks}" if res_blocks else "")
            + (f"w{block_width}" if block_width else "")
            + ("ca" if attention else "")
            + ("_lf" if lattice_free else "")
            + (str(lattice_free_window) if lattice_free and lattice_free_window else "")
            + ("_rp" if padding == "reflect" else "")
        )
        return keras.Model(inp, out, name=f"unet_{name}_{in_channels}to{out_channels}")


def check_lattice_window(lattice_free: bool, window: int) -> None:
    """Raise ``ValueError`` for a lattice-free window that is not 0 or a multiple of 8 px from 16, or one without
    the lattice-free layer."""
    if window and (window < 16 or window % 8):
        raise ValueError(f"lattice-free window must be 0 or a multiple of 8 px from 16, got {window}")
    if window and not lattice_free:
        raise ValueError("a lattice-free window needs the lattice-free layer (lattice_free)")


def check_blocks(res_blocks: int, block_width: int, attention: bool) -> None:
    """Raise ``ValueError`` for a block width outside 0-1024, or a block width or attention without blocks."""
    if not 0 <= block_width <= MAX_BLOCK_WIDTH:
        raise ValueError(f"block width must be 0-{MAX_BLOCK_WIDTH}, got {block_width}")
    if (block_width or attention) and not res_blocks:
        raise ValueError("a block width or attention needs residual blocks (res_blocks >= 1)")


def check_padding(padding: str, upsample: str) -> None:
    """Raise ``ValueError`` for an unknown padding, or reflect padding with the transposed decoder."""
    if padding not in PADDINGS:
        raise ValueError(f"unknown padding {padding!r}; expected one of {', '.join(PADDINGS)}")
    if padding == "reflect" and upsample == "transpose":
        raise ValueError("reflect padding needs a resize or bilinear decoder (a transposed convolution has no padding)")


DISC_FEATURES = ("d1_act", "d2_act", "d3_act", "d4_act")  # the PatchGAN's intermediate features (feature matching)


MAX_DISC_SCALES = 4  # discriminator scales: 1 = pix2pix's PatchGAN; 2-4 = pix2pixHD's multi-scale discriminator


def patch_discriminator(
    ndf: int = 64,
    *,
    in_channels: int = 3,
    out_channels: int = 3,
    spectral_norm: bool = False,
    precision="float32",
    scales: int = 1,
):
    """Build the 70x70 PatchGAN discriminator (C64-C128-C256-C512 at ``ndf`` = 64), at one or more scales.

    Inputs: the generator input ``[N, H, W, in_channels]`` and a real or generated target
    ``[N, H, W, out_channels]``, both in [-1, 1]. Output: patch logits ``[N, H/8 - 2, W/8 - 2, 1]``.
    ``ndf`` scales every width; CPU training wants a narrow one (8-16). ``spectral_norm`` wraps every
    convolution in spectral normalisation (Miyato et al., 2018) and drops BatchNorm, as SN-GANs do: the
    discriminator's Lipschitz bound then holds whatever the batch. Its layers ``DISC_FEATURES`` feed feature
    matching. ``precision`` as for :func:`unet_generator` (the logits are float32; the features are not).

    ``scales`` > 1 is pix2pixHD's multi-scale discriminator: one more PatchGAN of its own weights per scale, each on
    the pair average-pooled by 2, 4, 8 (its 70 px patches then span 140, 280, 560 px of the image: streaks and
    layouts a single PatchGAN cannot see whole). The output is then the list of every scale's logits, finest
    first; the finest keeps the single PatchGAN's layer names (and ``DISC_FEATURES``).
    """
    if ndf < 1:
        raise ValueError(f"ndf must be >= 1, got {ndf}")
    if not 1 <= scales <= MAX_DISC_SCALES:
        raise ValueError(f"discriminator scales must be 1-{MAX_DISC_SCALES}, got {scales}")
    with precision_scope(precision):
        from ._tf import keras

        layers = keras.layers

        def conv(x, filters, strides, name, use_bias=False, dtype=None):
            padding = "same" if strides == 2 else "valid"
            inner = f"{name}_raw" if spectral_norm else name
            c = layers.Conv2D(filters, 4, strides=strides, padding=padding, use_bias=use_bias, name=inner, dtype=dtype)
            return (layers.SpectralNormalization(c, name=name, dtype=dtype) if spectral_norm else c)(x)

        def block(x, filters, strides, batchnorm, name):
            x = conv(x, filters, strides, f"{name}_conv")
            if batchnorm and not spectral_norm:
                x = layers.BatchNormalization(name=f"{name}_bn")(x)
            return layers.LeakyReLU(0.2, name=f"{name}_act")(x)

        def patchgan(x, p: str):
            x = block(x, ndf, 2, False, f"{p}d1")
            x = block(x, ndf * 2, 2, True, f"{p}d2")
            x = block(x, ndf * 4, 2, True, f"{p}d3")
            x = layers.ZeroPadding2D(name=f"{p}pad1")(x)
            x = block(x, ndf * 8, 1, True, f"{p}d4")
            x = layers.ZeroPadding2D(name=f"{p}pad2")(x)
            return conv(x, 1, 1, f"{p}logits", use_bias=True, dtype="float32")

        inp = keras.Input(shape=(None, None, in_channels), name="input")
        tar = keras.Input(shape=(None, None, out_channels), name="target")
        pair = layers.Concatenate(name="pair")([inp, tar])
        outs = [patchgan(pair, "")]
        for k in range(1, scales):
            pooled = layers.AveragePooling2D(2**k, name=f"s{k}_pool")(pair)
            outs.append(patchgan(pooled, f"s{k}_"))
        name = f"patchgan_ndf{ndf}" + ("_sn" if spectral_norm else "") + (f"_x{scales}" if scales > 1 else "")
        return keras.Model([inp, tar], outs if scales > 1 else outs[0], name=name)


def has_dropout(model) -> bool:
    """Whether generator ``model`` has dropout layers, pix2pix's only noise source (``--no-dropout`` models do not)."""
    from ._tf import keras

    return any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)


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
