"""`[sources] mix`: starts that blend a few photos (the seed's "new mixes of their faces")."""

import json

import numpy as np
import pytest
from PIL import Image

from upscale2x.errors import SeriesError
from upscale2x.series.run import Series, plan, source_image
from upscale2x.series.spec import load_spec
from upscale2x.series.starts import mix, mix_weights

LEVELS = {"a.png": 40, "b.png": 128, "c.png": 230}  # flat gray photos of different sizes

SPEC = """
[series]
name = "m"
model = "{see}"
upscaler = "{sr}"
candidates = 3
seed = 9

[sources]
images = ["faces"]
size = 32
{mix}

[variation]
shift = 0
rotate = 0.0
contrast = 0.0
"""


@pytest.fixture
def mix_spec(tmp_path, tiny_bundles):
    (tmp_path / "faces").mkdir()
    for i, (name, level) in enumerate(LEVELS.items()):
        Image.fromarray(np.full((40 + 8 * i, 30 + 4 * i, 3), level, np.uint8)).save(tmp_path / "faces" / name)

    def make(mix_lines: str):
        p = tmp_path / "s.toml"
        p.write_text(SPEC.format(see=tiny_bundles["see"], sr=tiny_bundles["sr8x"], mix=mix_lines))
        return p

    return make


def test_each_candidate_blends_its_mixs_images_with_its_own_weights(mix_spec, tmp_path):
    spec = load_spec(mix_spec("mix = 2\nmixes = 2"))
    cands = plan(spec)
    assert len(cands) == 6 and [c.source for c in cands] == ["mix:0"] * 3 + ["mix:1"] * 3
    for c in cands:
        paths = [p for p, _ in c.mix]
        assert len(set(paths)) == 2 and all(p.endswith(tuple(LEVELS)) for p in paths)
        assert sum(w for _, w in c.mix) == pytest.approx(1, abs=1e-6) and all(w > 0 for _, w in c.mix)
        # flat photos: the start is the weighted mean of their levels, gray
        img = source_image(spec, c)
        want = sum(w * LEVELS[p.rsplit("/", 1)[-1]] for p, w in c.mix) / 255
        assert img.shape == (32, 32, 3) and np.allclose(img, want, atol=2e-3)
    first = cands[:3]
    assert len({tuple(p for p, _ in c.mix) for c in first}) == 1, "a mix's candidates share its images"
    assert len({c.mix for c in first}) == 3, "each candidate draws its own weights"
    assert plan(load_spec(mix_spec("mix = 2\nmixes = 2"))) == cands, "the same seed, the same mixes"
    # rendered, and every blend recorded in the manifest
    series = Series(spec, tmp_path / "out")
    result = series.render_candidates()
    assert len(result.rendered) == 6 and not result.failures
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [[list(pw) for pw in c.mix] for c in cands] == [c["mix"] for c in manifest["candidates"]]


def test_the_mix_aligns_photos_by_their_centres():
    wide = np.zeros((20, 60, 3), np.float32)
    wide[6:14, 26:34] = 1.0  # a bright square in the middle of a wide photo
    tall = np.zeros((50, 30, 3), np.float32)
    tall[21:29, 11:19] = 1.0  # and of a tall one
    out = mix([wide, tall], (0.5, 0.5), 20)
    assert out.shape == (20, 20, 3)
    assert out[10, 10, 0] > 0.7 and out[1, 1, 0] < 0.05 and out[18, 2, 0] < 0.05
    assert mix_weights(3, 1) == mix_weights(3, 1) and sum(mix_weights(3, 1)) == pytest.approx(1)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("mix = 1", r"\[sources\] mix must be 0 \(off\) or 2..8 images, got 1"),
        ("mix = 9", r"mix must be 0 \(off\) or 2..8 images, got 9"),
        ("mix = 4", r"\[sources\] mix = 4 needs that many images; found 3"),
        ("mix = 2\nmixes = 0", r"\[sources\] mixes must be 1..100,000, got 0"),
        ("mix = 2\nmixez = 3", "mixez"),
    ],
)
def test_bad_mix_values_are_one_line_naming_the_spec(mix_spec, lines, message):
    path = mix_spec(lines)
    with pytest.raises(SeriesError, match=message) as e:
        load_spec(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_the_portrait_example_runs_at_a_tiny_size(tmp_path):
    """examples/portraits.toml as shipped (mixes of the example face sketches through see-faces), its print shrunk
    to 2x3 cm at 60 dpi so CI renders it in seconds."""
    from dataclasses import replace
    from pathlib import Path

    from upscale2x.io.read import read_image

    example = Path(__file__).resolve().parents[2] / "examples" / "portraits.toml"
    spec = load_spec(example, candidates=2)
    spec = replace(spec, print=replace(spec.print, size="2x3cm", dpi=60, format="png", bits=8))
    assert spec.model == "see-faces" and spec.sources.mix == 2
    series = Series(spec, tmp_path / "out")
    result = series.render_candidates()
    assert len(result.rendered) == 2 * spec.sources.mixes and not result.failures
    picks = series.render_picks([0])
    assert len(picks.rendered) == 1
    img = read_image(picks.rendered[0])
    assert img.rgb.shape[:2] == (71, 47)  # 3 x 2 cm at 60 dpi
