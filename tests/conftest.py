"""Shared fixtures: a fixed seed for every test, and tiny model bundles made on the spot."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _seed():
    random.seed(0)
    np.random.seed(0)
    yield


def tiny_generator(task: str, base_width: int = 2, max_width: int = 8, seed: int = 0):
    """A few-thousand-parameter generator with the channels of ``task``."""
    from upscale2x.model._tf import keras
    from upscale2x.model.nets import unet_generator
    from upscale2x.model.tasks import TASKS

    keras.utils.set_random_seed(seed)
    s = TASKS[task]
    return unet_generator(
        base_width=base_width, max_width=max_width, in_channels=s.in_channels, out_channels=s.out_channels
    )


def make_bundle(folder, task: str = "sr8x", **card_fields):
    """Save a tiny random-weight bundle of ``task`` in ``folder`` and return the folder."""
    from upscale2x.model.bundle import Bundle, Card, save_bundle

    model = tiny_generator(task)
    card = Card(task=task, base_width=2, max_width=8, name=f"tiny-{task}", description="test bundle", **card_fields)
    return save_bundle(Bundle(model, card), folder)


@pytest.fixture(scope="session")
def tiny_bundles(tmp_path_factory):
    """One tiny bundle per task, built once per test session: {task: folder}."""
    root = tmp_path_factory.mktemp("bundles")
    return {task: make_bundle(root / task, task) for task in ("sr8x", "see", "paired")}


def assert_litert_agrees(folder, quantize: str, out) -> None:
    """Export bundle ``folder`` to LiteRT (``quantize``) in ``out`` and check its cells against Keras: equal to
    1e-5 in float32, within twice the export's own recorded error (int8)."""
    import numpy as np

    from upscale2x.model.bundle import load_bundle, read_card
    from upscale2x.model.engines import LiteRTCell, litert_record
    from upscale2x.model.export import export_litert, keras_cells

    out, _ = export_litert(folder, quantize, out, max_error=1.0)
    card = read_card(out)
    cells = np.random.default_rng(3).random((2, 256, 256, card.spec.in_channels), dtype=np.float32)
    got = LiteRTCell(out, card)(cells)
    want = np.asarray(keras_cells(load_bundle(out).model, card, cells))
    bound = 1e-5 if quantize == "none" else 2 * litert_record(card)["max_error"] + 1e-4
    assert got.shape == want.shape == (2, 256, 256, 3) and np.abs(got - want).max() <= bound


# A tiny print series: the series tests' spec (tests/series) and, rendered, the studio's series (tests/studio).
SERIES_SPEC = """
[series]
name = "t"
model = "{see}"
upscaler = "{sr}"
candidates = 2
seed = 5

[sources]
images = ["src/*.png"]
generated = 1
generator = "{gen}"
size = 32

[variation]
shift = 2
rotate = 3.0
contrast = 0.1

[sheet]
columns = 3
thumb = 32

[print]
size = "{size}"
dpi = {dpi}
format = "tiff"
bits = 16
"""


def write_series_spec(root, bundles, gen="blobs", size="1x0.5in", dpi=100, extra=""):
    """``root/s.toml`` over one 30x24 source image in ``root/src`` and one generated start: 4 candidates."""
    from PIL import Image

    (root / "src").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((24, 30, 3)) * 255).astype(np.uint8)).save(root / "src" / "a.png")
    path = root / "s.toml"
    path.write_text(SERIES_SPEC.format(see=bundles["see"], sr=bundles["sr8x"], gen=gen, size=size, dpi=dpi) + extra)
    return path


@pytest.fixture
def tiny_series(tmp_path, tiny_bundles):
    """That series rendered (4 candidates of the tiny see bundle; prints through the tiny sr8x) in tmp_path/out."""
    from upscale2x.series.run import Series
    from upscale2x.series.spec import load_spec

    series = Series(load_spec(write_series_spec(tmp_path, tiny_bundles)), tmp_path / "out")
    series.render_candidates()
    return series
