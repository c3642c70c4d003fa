"""The lattice-free generator: layers.LatticeFree, unet_generator(lattice_free=True), its card, export and training."""

import json

import numpy as np
import pytest

from upscale2x.metrics import lattice_share


def _reference(a: np.ndarray, p: int = 8) -> np.ndarray:
    """numpy: ``a`` less the mean of each pixel phase (row mod p, column mod p), less their common mean."""
    n, h, w, c = a.shape
    phases = a.reshape(n, h // p, p, w // p, p, c).mean(axis=(1, 3))
    phases -= phases.mean(axis=(1, 2), keepdims=True)
    return a - np.tile(phases, (1, h // p, w // p, 1))


def test_lattice_free_removes_exactly_the_8px_periodic_part():
    from upscale2x.model.layers import LatticeFree

    rng = np.random.default_rng(0)
    photo = rng.uniform(0, 1, (2, 64, 48, 3)).astype(np.float32)
    yy, xx = np.indices((64, 48))
    checker = ((yy + xx) % 2)[None, :, :, None].astype(np.float32)  # period 2, a few grey levels with the photo
    grid = ((yy % 8 == 0) | (xx % 8 == 0))[None, :, :, None].astype(np.float32)  # an 8-px grid
    stamped = photo + 0.2 * checker + 0.1 * grid
    out = np.asarray(LatticeFree()(stamped))
    np.testing.assert_allclose(out, _reference(stamped), atol=1e-5)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), stamped.mean(axis=(1, 2)), atol=1e-5)  # the mean stays
    np.testing.assert_allclose(np.asarray(LatticeFree()(out)), out, atol=1e-5)  # a projection: twice is once
    # the stamped grid is gone: the lattice share falls from most of the power to a small part of the photo's own
    # (what is left there is the periodic-plus-smooth decomposition's, not the image's)
    assert lattice_share(stamped[0]) > 0.1
    assert lattice_share(out[0]) < 0.05 * lattice_share(photo[0])
    # and the rest is what it was: the photo's own non-periodic content, lifted by the stamps' flat mean
    lift = (0.2 * checker + 0.1 * grid).mean()
    np.testing.assert_allclose(out, _reference(photo) + lift, atol=1e-5)
    assert np.abs(_reference(photo) - photo).mean() < 0.05
    with pytest.raises(ValueError, match="period must be >= 2, got 1"):
        LatticeFree(period=1)


def test_a_lattice_free_generator_has_the_same_weights_and_no_grid_whatever_its_weights():
    from upscale2x.model._tf import keras
    from upscale2x.model.nets import unet_generator

    keras.utils.set_random_seed(0)
    plain = unet_generator(base_width=2, max_width=8, upsample="transpose")
    free = unet_generator(base_width=2, max_width=8, upsample="transpose", lattice_free=True)
    assert free.count_params() == plain.count_params()
    assert unet_generator("hires", upsample="resize", res_blocks=8, lattice_free=True).count_params() == 3_044_259
    assert free.name.endswith("_lf_3to3") and free.layers[-1].name == "lattice_free"
    for layer in plain.layers:
        free.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(1).uniform(-1, 1, (2, 256, 256, 3)).astype(np.float32)
    y = np.asarray(plain(x))
    assert np.abs(y - _reference(y)).mean() > 1e-4  # the transposed decoder's output has an 8-px periodic part
    np.testing.assert_allclose(np.asarray(free(x)), _reference(y), atol=1e-5)  # the lattice-free one has none


def test_a_lattice_free_bundle_round_trips_and_its_card_must_say_so(tmp_path):
    from upscale2x.errors import ModelError
    from upscale2x.model.bundle import WEIGHTS, Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.nets import unet_generator

    g = unet_generator(base_width=2, max_width=8, upsample="resize", lattice_free=True)
    folder = save_bundle(
        Bundle(g, Card(task="sr8x", base_width=2, max_width=8, upsample="resize", lattice_free=True)), tmp_path / "lf"
    )
    b = load_bundle(folder)  # safe mode: the layer is registered, no code is unpickled
    assert b.card.lattice_free and json.loads((folder / "card.json").read_text())["lattice_free"] is True
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(b.model(x)), np.asarray(g(x)), atol=1e-6)
    card = json.loads((folder / "card.json").read_text())
    card["lattice_free"] = False
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=f"{WEIGHTS}: card says lattice_free false, the weights end in a LatticeFree"):
        load_bundle(folder)


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_a_lattice_free_bundle_exports_to_litert_and_agrees_with_keras(tmp_path, quantize):
    """The layer's reshapes, means and tile stay 4-D: TFLite's kernels and the int8 quantiser take them."""
    from conftest import assert_litert_agrees, tiny_generator

    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    g, free = tiny_generator("sr8x"), unet_generator(base_width=2, max_width=8, lattice_free=True)
    for layer in g.layers:
        free.get_layer(layer.name).set_weights(layer.get_weights())
    folder = save_bundle(Bundle(free, Card(task="sr8x", base_width=2, max_width=8, lattice_free=True)), tmp_path / "b")
    assert_litert_agrees(folder, quantize, tmp_path / "x")


def test_a_lattice_free_litert_export_runs_at_any_batch(tmp_path):
    """The layer reshaped to its input's whole shape, batch included: converted at batch 8, the LiteRT graph held 8
    as a constant and XNNPACK failed to resize it (`render --batch 4` on the shipped sr8x, batch 1 in live see)."""
    from upscale2x.model.bundle import Bundle, Card, read_card, save_bundle
    from upscale2x.model.engines import LiteRTCell
    from upscale2x.model.export import export_litert
    from upscale2x.model.nets import unet_generator

    g = unet_generator(base_width=2, max_width=8, upsample="resize", lattice_free=True)
    card = Card(task="sr8x", base_width=2, max_width=8, upsample="resize", lattice_free=True)
    out, _ = export_litert(save_bundle(Bundle(g, card), tmp_path / "b"), "int8", tmp_path / "x", max_error=1.0)
    cell = LiteRTCell(out, read_card(out))
    for batch in (1, 3, 8):
        cell.set_batch(batch)
        assert cell(np.random.default_rng(0).random((batch, 256, 256, 3), dtype=np.float32)).shape == (
            batch,
            256,
            256,
            3,
        )


def _smooth_with_half_grid(size: int = 256):
    """A smoothly shaded picture, and the same with a random 8-px-periodic pattern drawn on its left half only."""
    yy, xx = np.indices((size, size)) / size
    smooth = 0.5 + 0.3 * np.sin(3 * xx + 1) * np.cos(2 * yy)
    smooth = np.repeat(smooth[None, :, :, None], 3, axis=3).astype(np.float32)
    pattern = np.random.default_rng(0).normal(0, 0.05, (8, 8, 3)).astype(np.float32)
    grid = np.tile(pattern, (size // 8, size // 8, 1))[None]
    grid[:, :, size // 2 :] = 0
    return smooth, smooth + grid


def test_a_windowed_lattice_free_layer_removes_a_grid_where_it_is_drawn():
    """A grid drawn on half a cell: the whole-cell layer takes out only its mean (half of it on each half); the
    windowed one reads it round each pixel and takes it out where it is, leaving the shading alone."""
    from upscale2x.model.layers import LatticeFree

    smooth, stamped = _smooth_with_half_grid()
    whole = np.asarray(LatticeFree()(stamped))[0]
    local = np.asarray(LatticeFree(window=64)(stamped))[0]
    assert lattice_share(stamped[0]) > 0.1
    assert lattice_share(whole) > 1e-3  # thinned: the grid's left-half remainder, and its opposite on the right
    assert lattice_share(local) < 1e-4 and lattice_share(smooth[0]) < 1e-5
    # away from the half grid's edge and from the cell's border, the picture is the shading again
    far = np.abs(local - smooth[0])
    assert far[8:-8, 8:64].max() < 0.02 and far[8:-8, 128 + 40 : -8].max() < 0.002
    assert np.abs(whole - smooth[0])[8:-8, 128 + 40 : -8].max() > 0.03  # the whole-cell layer drew its opposite
    np.testing.assert_allclose(np.asarray(LatticeFree(window=64)(smooth))[0], smooth[0], atol=2e-3)
    for bad in (8, 12, 70):
        with pytest.raises(ValueError, match=f"window must be 0 or a multiple of 8 px from 16, got {bad}"):
            LatticeFree(window=bad)


def test_a_windowed_lattice_free_bundle_round_trips_exports_and_its_card_must_say_so(tmp_path):
    from conftest import assert_litert_agrees

    from upscale2x.errors import ModelError
    from upscale2x.model.bundle import WEIGHTS, Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.nets import unet_generator

    with pytest.raises(ValueError, match="a lattice-free window needs the lattice-free layer"):
        unet_generator(base_width=2, max_width=8, upsample="resize", lattice_free_window=64)
    with pytest.raises(ValueError, match="lattice-free window must be 0 or a multiple of 8 px from 16, got 20"):
        Card(task="sr8x", base_width=2, max_width=8, lattice_free=True, lattice_free_window=20)
    g = unet_generator(base_width=2, max_width=8, upsample="resize", lattice_free=True, lattice_free_window=64)
    assert g.name.endswith("_lf64_3to3") and g.layers[-1].window == 64
    kw = {"task": "sr8x", "base_width": 2, "max_width": 8, "upsample": "resize", "lattice_free": True}
    folder = save_bundle(Bundle(g, Card(**kw, lattice_free_window=64)), tmp_path / "lf")
    b = load_bundle(folder)
    assert b.card.lattice_free_window == 64 and b.model.layers[-1].window == 64
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(b.model(x)), np.asarray(g(x)), atol=1e-6)
    assert_litert_agrees(folder, "none", tmp_path / "x")  # its dilated depthwise convolutions run the same in LiteRT
    card = json.loads((folder / "card.json").read_text())
    card["lattice_free_window"] = 0
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=f"{WEIGHTS}: card says lattice_free_window 0, the weights' LatticeFree layer"):
        load_bundle(folder)
