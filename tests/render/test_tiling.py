import numpy as np
import pytest

from upscale2x.errors import TileError
from upscale2x.render.tiling import TileSpec, axis_weights, cell_starts, count_cells, tile_apply

SIZES = [(1, 1), (31, 33), (100, 7), (7, 100), (32, 32), (64, 65), (257, 91)]


def identity(batch):
    return batch


def nearest8(batch):
    return np.repeat(np.repeat(batch, 8, axis=1), 8, axis=2)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("overlap", [0, 3, 8, 16])
def test_fakes_are_reproduced_exactly(size, overlap):
    x = np.random.default_rng(sum(size)).random((*size, 3)).astype(np.float32)
    y = tile_apply(x, nearest8, TileSpec(32, 8, overlap, batch=5))
    np.testing.assert_allclose(y, nearest8(x[None])[0], atol=1e-6)
    np.testing.assert_allclose(tile_apply(x, identity, TileSpec(32, 1, overlap, batch=3)), x, atol=1e-6)


@pytest.mark.parametrize("size", SIZES)
def test_constant_image_stays_constant(size):
    x = np.full((*size, 4), 0.375, np.float32)
    y = tile_apply(x, nearest8, TileSpec(32, 8, 8))
    assert y.shape == (size[0] * 8, size[1] * 8, 4)
    np.testing.assert_allclose(y, 0.375, atol=1e-6)


@pytest.mark.parametrize("length", [32, 33, 57, 64, 100, 257, 1000])
@pytest.mark.parametrize("overlap", [0, 1, 8, 16])
def test_feather_weights_sum_to_one_everywhere(length, overlap):
    starts = cell_starts(length, 32, overlap)
    assert starts[0] == 0 and starts[-1] == length - 32  # the last cell is snapped to the edge
    total = np.zeros(length * 8)
    for k, s in enumerate(starts):
        total[s * 8 : (s + 32) * 8] += axis_weights(starts, k, 32, 8, overlap)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_no_fade_at_the_outer_border():
    starts = cell_starts(100, 32, 8)
    assert axis_weights(starts, 0, 32, 8, 8)[0] == 1.0
    assert axis_weights(starts, len(starts) - 1, 32, 8, 8)[-1] == 1.0
    w = axis_weights(starts, 1, 32, 8, 8)
    assert w[0] < 0.01 and w[-1] < 0.01 and w[128] == 1.0
    assert np.all(np.diff(w[:128]) >= 0)  # a monotone ramp in, no step


def test_feathering_hides_a_step_between_cells():
    # A fake that brightens each cell by its own amount: hard paste shows a step, feathering ramps it.
    counter = iter(range(10_000))

    def offset_cells(batch):
        return np.stack([c + 0.1 * (next(counter) % 2) for c in batch])

    x = np.full((32, 112, 1), 0.2, np.float32)  # 112 = 32 + 5 strides of 16: every zone 16 px wide
    hard = tile_apply(x, offset_cells, TileSpec(32, 1, 0, batch=1))
    soft = tile_apply(x, offset_cells, TileSpec(32, 1, 16, batch=1))
    assert np.abs(np.diff(hard[0, :, 0])).max() == pytest.approx(0.1, abs=1e-6)
    # a sin² ramp over 16 px: the steepest step is 0.1 * (pi/2) / 16
    assert np.abs(np.diff(soft[0, :, 0])).max() < 0.1 * (np.pi / 2) / 16 * 1.01


def test_streaming_bands_match_the_whole_result():
    x = np.random.default_rng(3).random((90, 70, 3)).astype(np.float32)
    whole = tile_apply(x, nearest8, TileSpec(32, 8, 8, batch=4))
    bands = []
    assert tile_apply(x, nearest8, TileSpec(32, 8, 8, batch=4), sink=bands.append) is None
    assert len(bands) > 2 and max(b.shape[0] for b in bands) <= 256
    np.testing.assert_array_equal(np.concatenate(bands), whole)


def test_progress_counts_every_cell():
    seen = []
    tile_apply(
        np.zeros((100, 7, 3), np.float32),
        identity,
        TileSpec(32, 1, 8, batch=2),
        on_progress=lambda d, t: seen.append((d, t)),
    )
    n = count_cells(100, 7, TileSpec(32, 1, 8))
    assert seen[-1] == (n, n) and n == 4


def test_bad_specs_and_bad_callables():
    with pytest.raises(TileError, match="overlap must be 0..16"):
        TileSpec(32, 8, 17)
    with pytest.raises(TileError, match="must be >= 1"):
        TileSpec(32, 8, 0, batch=0)
    with pytest.raises(TileError, match=r"returned shape \(1, 32, 32, 3\), expected \(1, 256, 256, C\)"):
        tile_apply(np.zeros((32, 32, 3), np.float32), identity, TileSpec(32, 8, 0))
    with pytest.raises(TileError, match="expected an image of shape"):
        tile_apply(np.zeros((32, 32), np.float32), identity, TileSpec(32, 1, 0))
