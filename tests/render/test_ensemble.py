"""Geometric self-ensemble (ensemble.py): the symmetries, their inverses, and a stage that averages them."""

import numpy as np
import pytest

from upscale2x.errors import RenderError
from upscale2x.render.ensemble import SIZES, _forward, _inverse, self_ensemble
from upscale2x.render.stages import Stage


def _batch(h=5, w=7, seed=0):
    return np.random.default_rng(seed).random((2, h, w, 3)).astype(np.float32)


@pytest.mark.parametrize("k", range(8))
def test_each_symmetry_is_undone_by_its_inverse(k):
    x = _batch()
    y = _forward(x, k)
    assert y.shape == ((2, 7, 5, 3) if k & 4 else x.shape)
    np.testing.assert_array_equal(_inverse(y, k), x)


def test_the_eight_symmetries_are_distinct():
    x = _batch(6, 6)
    seen = {_forward(x, k).tobytes() for k in range(8)}
    assert len(seen) == 8


def _up2(batch):  # nearest x2: commutes with every flip and turn
    return batch.repeat(2, axis=1).repeat(2, axis=2)


@pytest.mark.parametrize("n", SIZES)
def test_an_equivariant_function_is_unchanged(n):
    x = _batch(6, 6)
    np.testing.assert_allclose(self_ensemble(_up2, n)(x), _up2(x), atol=1e-6)


def test_a_left_to_right_ramp_averages_to_its_mean():
    ramp = np.linspace(0.0, 1.0, 6, dtype=np.float32)[None, None, :, None]  # brighter to the right, whatever x is

    def biased(batch):
        return batch + ramp

    x = _batch(6, 6)
    np.testing.assert_allclose(self_ensemble(biased, 1)(x), x + ramp, atol=1e-6)
    np.testing.assert_allclose(self_ensemble(biased, 2)(x), x + 0.5, atol=1e-6)  # ramp + its mirror = 1
    # 8 copies: four have the ramp along the columns (mean 0.5), four along the rows (also 0.5)
    np.testing.assert_allclose(self_ensemble(biased, 8)(x), x + 0.5, atol=1e-6)


@pytest.mark.parametrize("n", [0, 3, 16])
def test_other_sizes_are_refused(n):
    with pytest.raises(RenderError, match=f"--ensemble must be one of 1, 2, 4, 8, got {n}"):
        self_ensemble(_up2, n)


def test_a_stage_averages_its_model_over_the_copies(tiny_bundles):
    from upscale2x.model.bundle import load_bundle

    b = load_bundle(tiny_bundles["sr8x"])
    img = np.random.default_rng(1).random((32, 64, 3)).astype(np.float32)  # whole sr8x cells: no padding
    whole = Stage(b, tiles=False)
    by_hand = np.mean([_inverse(whole.run(_forward(img[None], k)[0])[None], k)[0] for k in range(8)], axis=0)
    out = Stage(b, tiles=False, ensemble=8).run(img)
    assert out.shape == (256, 512, 3)
    np.testing.assert_allclose(out, by_hand, atol=1e-5)
    assert np.abs(out - whole.run(img)).max() > 1e-3  # a random network is far from symmetric
    tiled = Stage(b, ensemble=2).run(img)  # the tiler's cells are square: every copy keeps the batch's shape
    assert tiled.shape == (256, 512, 3) and np.abs(tiled - Stage(b).run(img)).max() > 1e-3
    with pytest.raises(RenderError, match="--ensemble must be one of"):
        Stage(b, ensemble=5)


def test_render_cli_takes_an_ensemble(tmp_path, tiny_bundles):
    from typer.testing import CliRunner

    from upscale2x.cli import app
    from upscale2x.io.read import read_image
    from upscale2x.io.write import write_image

    src = write_image(tmp_path / "in.png", np.random.default_rng(2).random((12, 20, 3)).astype(np.float32))
    outs = {}
    for n in (1, 4):
        dst = tmp_path / f"out{n}.png"
        r = CliRunner().invoke(
            app, ["render", str(src), "--model", str(tiny_bundles["sr8x"]), "--ensemble", str(n), "-o", str(dst)]
        )
        assert r.exit_code == 0, r.output
        outs[n] = read_image(dst).rgb
        assert (f"(keras, ensemble {n})" in r.output) == (n > 1), r.output
    assert outs[1].shape == outs[4].shape == (96, 160, 3)
    assert np.abs(outs[1].astype(float) - outs[4]).max() > 0
