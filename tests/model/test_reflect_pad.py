"""Reflect padding: the mirrored border that keeps a generator from painting a frame round its cell."""

import json

import numpy as np
import pytest


def test_reflect_pad_equals_numpys_reflect():
    from upscale2x.model.layers import ReflectPad

    x = np.random.default_rng(0).random((2, 5, 6, 3), dtype=np.float32)
    for p in (1, 2):
        want = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
        np.testing.assert_array_equal(np.asarray(ReflectPad(p)(x)), want)
    with pytest.raises(ValueError, match="pad must be >= 1"):
        ReflectPad(0)


def test_a_reflect_padded_generator_has_the_zero_padded_ones_weights_and_no_zero_border():
    from upscale2x.model.layers import ReflectPad
    from upscale2x.model.nets import unet_generator

    zero = unet_generator(base_width=2, max_width=8, in_channels=1, upsample="resize")
    mirror = unet_generator(base_width=2, max_width=8, in_channels=1, upsample="resize", padding="reflect")
    assert zero.count_params() == mirror.count_params()
    assert sum(isinstance(layer, ReflectPad) for layer in mirror.layers) == 8 + 7 + 1  # every conv: down, up, out
    for layer in zero.layers:  # the same weight names and shapes: either can start the other (--init-from)
        if layer.weights:
            mirror.get_layer(layer.name).set_weights(layer.get_weights())
    # A flat input: with mirrored borders every pixel sees the same neighbourhood, so each output channel is flat
    # too; zero padding makes the border differ from the inside.
    flat = np.full((1, 256, 256, 1), 0.3, np.float32)
    y_mirror, y_zero = np.asarray(mirror(flat)), np.asarray(zero(flat))
    assert np.ptp(y_mirror, axis=(0, 1, 2)).max() < 1e-5
    assert np.ptp(y_zero, axis=(0, 1, 2)).max() > 1e-3


def test_reflect_padding_needs_a_resize_decoder_and_a_known_name():
    from upscale2x.model.nets import unet_generator

    with pytest.raises(ValueError, match="reflect padding needs a resize or bilinear decoder"):
        unet_generator(base_width=2, max_width=8, padding="reflect")
    with pytest.raises(ValueError, match="unknown padding 'mirror'"):
        unet_generator(base_width=2, max_width=8, upsample="resize", padding="mirror")


def test_a_reflect_bundle_round_trips_and_its_card_must_say_so(tmp_path):
    from upscale2x.errors import ModelError
    from upscale2x.model.bundle import WEIGHTS, Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.nets import unet_generator

    g = unet_generator(base_width=2, max_width=8, in_channels=1, upsample="resize", padding="reflect")
    card = Card(task="see", base_width=2, max_width=8, upsample="resize", padding="reflect")
    folder = save_bundle(Bundle(g, card), tmp_path / "rp")
    b = load_bundle(folder)  # safe mode: the layer is registered
    assert b.card.padding == "reflect"
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(b.model(x)), np.asarray(g(x)), atol=1e-6)
    data = json.loads((folder / "card.json").read_text())
    data["padding"] = "zero"
    (folder / "card.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match=f"{WEIGHTS}: card says padding zero, the weights have ReflectPad layers"):
        load_bundle(folder)
    with pytest.raises(ValueError, match="padding must be one of zero, reflect, got 'edge'"):
        Card(task="see", base_width=2, padding="edge")


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_a_reflect_bundle_exports_to_litert_and_agrees_with_keras(tmp_path, quantize):
    from conftest import assert_litert_agrees

    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    g = unet_generator(base_width=2, max_width=8, in_channels=1, upsample="resize", padding="reflect")
    card = Card(task="see", base_width=2, max_width=8, upsample="resize", padding="reflect")
    assert_litert_agrees(save_bundle(Bundle(g, card), tmp_path / "b"), quantize, tmp_path / "x")
