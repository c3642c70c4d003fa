"""The numpy render transforms (resample.py) equal TensorFlow's (preprocess.py), which training uses."""

import numpy as np
import pytest

from upscale2x.model import preprocess, resample
from upscale2x.model._tf import tf

RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    "size,to", [((32, 32), (256, 256)), ((5, 7), (120, 170)), ((1, 4), (24, 96)), ((40, 30), (13, 11))]
)
def test_bicubic_equals_tf_image_resize(size, to):
    x = RNG.random((*size, 3), dtype=np.float32)
    want = tf.image.resize(x, to, method="bicubic").numpy()
    np.testing.assert_allclose(resample.resize(x, *to), want, atol=2e-6)


@pytest.mark.parametrize(
    "size,to", [((256, 256), (32, 32)), ((250, 170), (10, 7)), ((49, 23), (2, 1)), ((4, 6), (9, 13))]
)
def test_area_equals_tf_image_resize(size, to):
    x = RNG.random((2, *size, 1), dtype=np.float32)  # batched too
    want = tf.image.resize(x, to, method="area").numpy()
    np.testing.assert_allclose(resample.resize(x, *to, "area"), want, atol=2e-6)


@pytest.mark.parametrize("shape", [(256, 256, 3), (300, 170, 3), (37, 500, 3), (11, 11, 1)])
def test_see_abstract_equals_training(shape):
    x = RNG.random(shape, dtype=np.float32)
    got = resample.see_abstract(x)
    assert got.shape == (*shape[:2], 1)
    np.testing.assert_allclose(got, preprocess.see_abstract(x).numpy(), atol=2e-6)


def test_sr8x_lift_equals_training():
    x = RNG.random((4, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(resample.sr8x_lift(x), preprocess.sr8x_lift(x).numpy(), atol=2e-6)


def test_weights_are_normalised_and_flat_stays_flat():
    for n_in, n_out in [(32, 256), (300, 13), (7, 7)]:
        for m in (resample.cubic_matrix(n_in, n_out), resample.area_matrix(n_in, n_out)):
            assert m.shape == (n_out, n_in)
            np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
    flat = np.full((20, 30, 3), 0.25, np.float32)
    np.testing.assert_allclose(resample.resize(flat, 160, 240), 0.25, atol=1e-6)


def test_every_render_transform_has_a_numpy_twin():
    from upscale2x.model.tasks import TASKS

    for spec in TASKS.values():
        for name in (spec.image_prep, spec.cell_prep):
            assert not name or resample.transform(name) is resample.TRANSFORMS[name]
