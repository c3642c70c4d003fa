"""models/interpolate.py: two bundles of one network blended weight by weight (network interpolation)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "interpolate.py"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=300)


def _bundle(folder, seed, base_width=2):
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    keras.utils.set_random_seed(seed)
    g = unet_generator(base_width=base_width, max_width=8, upsample="resize")
    card = Card(task="sr8x", base_width=base_width, max_width=8, upsample="resize", training={"steps": seed})
    return save_bundle(Bundle(g, card), folder)


def test_the_blend_is_the_weighted_sum_and_records_its_sources(tmp_path):
    from upscale2x.model.bundle import load_bundle

    a, b = _bundle(tmp_path / "a", 1), _bundle(tmp_path / "b", 2)
    r = _run(a, b, 0.25, tmp_path / "mix")
    assert r.returncode == 0, r.stderr
    wa, wb, wm = (load_bundle(p).model.get_weights() for p in (a, b, tmp_path / "mix"))
    assert any(not np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
    for x, y, m in zip(wa, wb, wm, strict=True):
        np.testing.assert_allclose(m, 0.75 * x + 0.25 * y, rtol=1e-6, atol=1e-7)
    card = json.loads((tmp_path / "mix" / "card.json").read_text())
    assert card["training"]["interpolation"] == {"faithful": str(a), "sharp": str(b), "alpha": 0.25}
    assert card["training"]["steps"] == 2 and card["metrics"] == {} and card["exports"] == {}


@pytest.mark.parametrize(
    "case, message",
    [("alpha", "alpha must be in [0, 1], got 1.5"), ("shapes", "not the same network"), ("exists", "exists")],
)
def test_bad_blends_are_one_line_and_write_nothing(tmp_path, case, message):
    a, b = _bundle(tmp_path / "a", 1), _bundle(tmp_path / "b", 2, base_width=4 if case == "shapes" else 2)
    out = tmp_path / "mix"
    if case == "exists":
        out.mkdir()
    r = _run(a, b, 1.5 if case == "alpha" else 0.5, out)
    assert r.returncode != 0 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_run_measures_the_blend_on_the_runs_held_out_images_as_the_export_does(tmp_path):
    from upscale2x.train.config import TrainConfig
    from upscale2x.train.fit import train

    data = tmp_path / "imgs"
    data.mkdir()
    yy, xx = np.mgrid[0:64, 0:80]
    for i in range(6):
        img = np.stack([np.sin(xx / (3 + i)), np.cos(yy / (4 + i)), np.sin((xx + yy) / (5 + i))], axis=2)
        Image.fromarray(((img * 0.5 + 0.5) * 255).astype(np.uint8)).save(data / f"p{i}.png")
    cfg = TrainConfig(
        data=str(data), task="sr8x", out=str(tmp_path / "run"), preset=None, base_width=2, max_width=8, ndf=2,
        batch=2, epochs=1, val_fraction=0.2, dropout=False,
    )  # fmt: skip
    run = train(cfg)
    r = _run(run, run, 0.5, tmp_path / "mix", "--run", run)
    assert r.returncode == 0, r.stderr
    exported = json.loads((run / "card.json").read_text())["metrics"]
    measured = json.loads((tmp_path / "mix" / "card.json").read_text())["metrics"]
    assert measured["held_out"] == exported["held_out"] >= 1
    for key in ("l1", "psnr_model", "psnr_bicubic", "sharpness_vs_target"):
        assert measured[key] == pytest.approx(exported[key], rel=1e-3, abs=1e-4), key
