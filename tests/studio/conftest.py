"""A tiny rendered series for the studio's tests: 4 candidates of the tiny see bundle, prints through tiny sr8x."""

import numpy as np
import pytest
from PIL import Image

from upscale2x.series.run import Series
from upscale2x.series.spec import load_spec

SPEC = """
[series]
name = "t"
model = "{see}"
upscaler = "{sr}"
candidates = 2
seed = 5

[sources]
images = ["a.png"]
generated = 1
size = 32

[print]
size = "1x0.5in"
dpi = 100
format = "tiff"
"""


@pytest.fixture
def tiny_series(tmp_path, tiny_bundles):
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((24, 30, 3)) * 255).astype(np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "s.toml").write_text(SPEC.format(see=tiny_bundles["see"], sr=tiny_bundles["sr8x"]))
    series = Series(load_spec(tmp_path / "s.toml"), tmp_path / "out")
    series.render_candidates()
    return series
