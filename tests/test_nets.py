import numpy as np
import pytest

from upscale2x.nets import PRESETS, decoder_widths, encoder_widths, patch_discriminator, unet_generator


@pytest.mark.parametrize(
    ("preset", "in_ch", "expected"),
    [("small", 1, 6_297_491), ("medium", 1, 16_786_211), ("large", 1, 54_423_811), ("large", 3, 54_425_859)],
)
def test_preset_parameter_counts_match_the_paper(preset, in_ch, expected):
    assert unet_generator(preset, in_channels=in_ch, out_channels=3).count_params() == expected


def test_widths_follow_the_paper_table():
    # Paper 003, "Our Filters": layers 1-8 then 9-15 (the table's model is base width 8).
    assert encoder_widths(8) == [8, 16, 32, 64, 128, 256, 512, 512]
    assert decoder_widths(8) == [512, 256, 128, 64, 32, 16, 8]
    assert encoder_widths(64) == [64, 128, 256, 512, 512, 512, 512, 512]
    assert [p.base_width for p in PRESETS.values()] == [4, 8, 64]


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


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        unet_generator("huge")
    with pytest.raises(ValueError, match="exactly one"):
        unet_generator("small", base_width=4)
    with pytest.raises(ValueError, match="ndf"):
        patch_discriminator(0)
