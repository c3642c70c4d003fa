import numpy as np
import pytest

from upscale2x.model.nets import PRESETS, decoder_widths, encoder_widths, patch_discriminator, unet_generator

PAPER_PRESETS = ("small", "medium", "large")


@pytest.mark.parametrize(
    ("preset", "in_ch", "expected"),
    [("small", 1, 6_297_491), ("medium", 1, 16_786_211), ("large", 1, 54_423_811), ("large", 3, 54_425_859)],
)
def test_preset_parameter_counts_match_the_paper(preset, in_ch, expected):
    assert unet_generator(preset, in_channels=in_ch, out_channels=3).count_params() == expected


@pytest.mark.parametrize(
    ("preset", "in_ch", "expected"),
    [
        ("small", 1, 4_768_299),
        ("medium", 1, 12_504_787),
        ("large", 1, 39_167_619),
        ("small", 3, 4_768_427),
        ("hires", 3, 2_453_411),
    ],
)
def test_resize_variant_parameter_counts(preset, in_ch, expected):
    # Resize x2 + 3x3 conv: the decoder's kernels are 3x3 instead of 4x4, the rest is unchanged.
    for up in ("resize", "bilinear"):
        assert unet_generator(preset, in_channels=in_ch, out_channels=3, upsample=up).count_params() == expected


@pytest.mark.parametrize(
    ("blocks", "expected"), [(0, 2_453_411), (1, 2_527_267), (8, 3_044_259), (16, 3_635_107), (32, 4_816_803)]
)
def test_residual_block_parameter_counts(blocks, expected):
    # Each block at 1/8 of the cell (hires: 64 filters) is two 3x3 convolutions with biases: 2 x (64*64*9 + 64).
    assert unet_generator("hires", out_channels=3, upsample="resize", res_blocks=blocks).count_params() == expected


def test_residual_blocks_start_as_the_identity_and_sit_at_the_input_scale():
    """Grown from a trained network (same weights elsewhere), the blocks change nothing until they are trained."""
    from upscale2x.model._tf import keras

    keras.utils.set_random_seed(0)
    plain = unet_generator(base_width=2, max_width=8, upsample="resize")
    grown = unet_generator(base_width=2, max_width=8, upsample="resize", res_blocks=2)
    for layer in plain.layers:
        grown.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(grown(x)), np.asarray(plain(x)), atol=1e-6)
    assert grown.get_layer("res1_conv1").output.shape[1:] == (None, None, 8)  # encoder step 3's width
    feature = keras.Model(grown.input, grown.get_layer("res2_add").output)
    assert feature(x).shape == (1, 32, 32, 8)  # 1/8 of the cell: an sr8x cell's input pixels
    with pytest.raises(ValueError, match="res_blocks must be 0-64, got -1"):
        unet_generator("hires", res_blocks=-1)


def test_wide_blocks_and_channel_attention_change_the_parameters_as_designed():
    # hires blocks are 64 wide; a block of inner width 96 has 64*96*9 + 96 + 96*64*9 + 64 parameters, and the
    # attention of a 64-wide block a 64 -> 4 -> 64 bottleneck of 1x1 convolutions with biases: 4*64+4 + 4*64+64.
    base = unet_generator("hires", upsample="resize", res_blocks=2).count_params()
    wide = unet_generator("hires", upsample="resize", res_blocks=2, block_width=96).count_params()
    ca = unet_generator("hires", upsample="resize", res_blocks=2, attention=True).count_params()
    assert wide - base == 2 * ((64 * 96 * 9 + 96 + 96 * 64 * 9 + 64) - (64 * 64 * 9 * 2 + 128))
    assert ca - base == 2 * (64 * 4 + 4 + 4 * 64 + 64)


def test_channel_attention_gates_per_channel_and_starts_at_exactly_one():
    from upscale2x.model._tf import keras

    keras.utils.set_random_seed(0)
    kw = {"base_width": 2, "max_width": 8, "upsample": "resize", "res_blocks": 1}
    plain, ca = unet_generator(**kw), unet_generator(**kw, attention=True)
    for layer in plain.layers:
        ca.get_layer(layer.name).set_weights(layer.get_weights())
    # a trained block: its second convolution is no longer zero
    conv2 = ca.get_layer("res1_conv2")
    k = np.random.default_rng(1).normal(0, 0.1, conv2.get_weights()[0].shape).astype(np.float32)
    conv2.set_weights([k, conv2.get_weights()[1]])
    plain.get_layer("res1_conv2").set_weights(conv2.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(ca(x)), np.asarray(plain(x)), atol=1e-6)  # gate = 2 sigmoid(0) = 1
    fc2 = ca.get_layer("res1_ca_fc2")
    fc2.set_weights([fc2.get_weights()[0], np.full(fc2.get_weights()[1].shape, -30.0, np.float32)])  # gate ~ 0
    block = keras.Model(ca.input, [ca.get_layer("res1_conv2").output, ca.get_layer("res1_ca").output])
    residual, gated = (np.asarray(t) for t in block(x))
    assert np.abs(residual).max() > 0.01 and np.abs(gated).max() < 1e-9  # the gate closed every channel
    assert ca.get_layer("res1_ca").output.shape[1:] == (None, None, 8)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"res_blocks": 1, "block_width": -1}, "block width must be 0-1024, got -1"),
        ({"res_blocks": 1, "block_width": 1025}, "block width must be 0-1024, got 1025"),
        ({"block_width": 96}, "needs residual blocks"),
        ({"attention": True}, "needs residual blocks"),
    ],
)
def test_bad_block_widths_and_attention_without_blocks_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        unet_generator("hires", upsample="resize", **kw)


def test_resize_upsampling_maps_a_flat_input_to_a_flat_output():
    """A transposed 4x4 stride-2 conv stamps a period-2 checkerboard on a flat field by construction; resize-conv
    (the decoder step of upsample="resize") cannot, whatever its weights."""
    from upscale2x.model._tf import keras
    from upscale2x.model.nets import _upsample_conv

    x = np.full((1, 32, 32, 8), 0.3, np.float32)
    out = {}
    for up in ("transpose", "resize", "bilinear"):
        keras.utils.set_random_seed(0)
        inp = keras.Input((None, None, 8))
        layer = keras.Model(inp, _upsample_conv(inp, 4, up, "up"))
        y = np.asarray(layer(x))[0, 4:-4, 4:-4]  # away from the zero-padded border
        assert y.shape[-1] == 4
        out[up] = y
    assert out["resize"].std(axis=(0, 1)).max() < 1e-4  # float round-off only
    assert out["bilinear"].std(axis=(0, 1)).max() < 1e-4
    checker = out["transpose"][0::2, 0::2] - out["transpose"][1::2, 1::2]  # even vs odd output phase
    assert np.abs(checker).mean() > 1e-2


def test_widths_follow_the_paper_table():
    # Paper 003, "Our Filters": layers 1-8 then 9-15 (the table's model is base width 8).
    assert encoder_widths(8) == [8, 16, 32, 64, 128, 256, 512, 512]
    assert decoder_widths(8) == [512, 256, 128, 64, 32, 16, 8]
    assert encoder_widths(64) == [64, 128, 256, 512, 512, 512, 512, 512]
    assert [PRESETS[p].base_width for p in PAPER_PRESETS] == [4, 8, 64]
    assert all(PRESETS[p].max_width == 512 for p in PAPER_PRESETS)
    assert encoder_widths(PRESETS["hires"].base_width, PRESETS["hires"].max_width) == [16, 32, 64, 128] + [128] * 4
    assert unet_generator("hires", in_channels=1, out_channels=3).count_params() == 3_406_915


def test_generator_maps_shapes_and_range():
    g = unet_generator(base_width=2, max_width=8, in_channels=1, out_channels=3)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 256, 512, 1)).astype(np.float32)
    y = np.asarray(g(x, training=False))
    assert y.shape == (2, 256, 512, 3)
    assert np.all(np.abs(y) <= 1.0)


def test_discriminator_is_a_70px_patchgan():
    d = patch_discriminator(ndf=4, in_channels=1, out_channels=3)
    x = np.zeros((1, 256, 256, 1), np.float32)
    t = np.zeros((1, 256, 256, 3), np.float32)
    assert tuple(d([x, t]).shape) == (1, 30, 30, 1)
    assert patch_discriminator(64).count_params() > patch_discriminator(8).count_params() * 40


def test_spectral_norm_discriminator_keeps_the_patch_grid_and_drops_batchnorm():
    d = patch_discriminator(ndf=4, in_channels=1, out_channels=3, spectral_norm=True)
    assert tuple(d([np.zeros((1, 256, 256, 1)), np.zeros((1, 256, 256, 3))]).shape) == (1, 30, 30, 1)
    names = [layer.name for layer in d.layers]
    assert not any(n.endswith("_bn") for n in names)
    assert {"d1_act", "d2_act", "d3_act", "d4_act", "logits"} <= set(names)


def test_a_multi_scale_discriminator_judges_the_pair_at_every_halving():
    """pix2pixHD's discriminator: one PatchGAN per scale on the pair average-pooled by 2**k, finest first; the
    finest keeps the single PatchGAN's layer names (feature matching reads them) and weights."""
    x, t = np.zeros((1, 256, 256, 1), np.float32), np.zeros((1, 256, 256, 3), np.float32)
    d = patch_discriminator(ndf=4, in_channels=1, out_channels=3, spectral_norm=True, scales=3)
    shapes = [tuple(o.shape) for o in d([x, t])]
    assert shapes == [(1, 30, 30, 1), (1, 14, 14, 1), (1, 6, 6, 1)]
    single = patch_discriminator(ndf=4, in_channels=1, out_channels=3, spectral_norm=True)
    assert d.count_params() == 3 * single.count_params()
    names = {layer.name for layer in d.layers}
    assert {"d1_act", "d4_act", "logits", "s1_pool", "s1_logits", "s2_pool", "s2_d4_act", "s2_logits"} <= names
    # The coarse scale sees the pooled pair: a pattern that averages out at 1/4 scale (a 2-px checkerboard) cannot
    # change its logits, while it changes the finest scale's.
    checker = np.indices((256, 256)).sum(axis=0) % 2 * 2.0 - 1.0
    t2 = np.repeat(checker[None, ..., None], 3, axis=3).astype(np.float32) * 0.5
    a, b = d([x, t]), d([x, t2])
    assert np.allclose(np.asarray(a[2]), np.asarray(b[2]), atol=1e-5)
    assert not np.allclose(np.asarray(a[0]), np.asarray(b[0]), atol=1e-5)
    with pytest.raises(ValueError, match="discriminator scales must be 1-4, got 5"):
        patch_discriminator(ndf=4, scales=5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        unet_generator("huge")
    with pytest.raises(ValueError, match="exactly one"):
        unet_generator("small", base_width=4)
    with pytest.raises(ValueError, match="ndf"):
        patch_discriminator(0)
    with pytest.raises(ValueError, match="unknown upsampling 'bicubic'"):
        unet_generator(base_width=2, max_width=8, upsample="bicubic")
    with pytest.raises(ValueError, match="has its own width cap"):
        unet_generator("small", max_width=64)


def test_a_bf16_network_holds_its_float32_twins_variables_and_outputs_float32():
    from upscale2x.model._tf import keras

    kw = {"base_width": 2, "max_width": 8, "upsample": "resize", "res_blocks": 1, "lattice_free": True}
    keras.utils.set_random_seed(3)
    g16 = unet_generator(precision="bf16", **kw)
    g32 = unet_generator(**kw)
    assert keras.config.dtype_policy().name == "float32"  # restored after the build
    assert [(v.path, tuple(v.shape), v.dtype) for v in g16.weights] == [
        (v.path, tuple(v.shape), v.dtype) for v in g32.weights
    ]
    assert g16.get_layer("res1_conv1").dtype_policy.name == "mixed_bfloat16"
    assert g16.get_layer("output").dtype_policy.name == "float32"
    g32.set_weights(g16.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    a, b = np.asarray(g16(x)), np.asarray(g32(x))
    assert a.dtype == np.float32 and 0 < np.abs(a - b).max() < 0.05  # bfloat16 arithmetic, same function
    d = patch_discriminator(2, precision="bf16")
    assert d.output.dtype == "float32" and d.get_layer("d2_act").output.dtype == "bfloat16"
    with pytest.raises(ValueError, match="unknown precision 'fp16'; expected one of float32, bf16"):
        unet_generator(precision="fp16", **kw)
    assert keras.config.dtype_policy().name == "float32"


def test_cpu_bf16_native_reads_the_cpu_flags():
    from upscale2x.model.nets import cpu_bf16_native

    avx2 = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu sse4_2 avx avx2 fma\n"
    assert cpu_bf16_native(avx2) is False
    assert cpu_bf16_native(avx2.replace("avx2 fma", "avx2 avx512f avx512_bf16")) is True
    assert cpu_bf16_native("flags : sse2 amx_bf16 amx_tile\n") is True
    assert cpu_bf16_native("Processor\t: ARMv7\n") is None  # no flags line: unknown
