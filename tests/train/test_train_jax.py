"""models/train_jax.py's CPU halves: the pack (held-out images left out, the see input's exact operators) and the
import of a GPU run's weights as a TensorFlow run (checked against the run's probe). The JAX training step itself
needs jax, which the project does not depend on: it ran on the lent GPU (models/TRAINING.md 5c)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
TINY = {"preset": None, "base_width": 2, "max_width": 8, "ndf": 2, "batch": 2}


def _script():
    spec = importlib.util.spec_from_file_location("train_jax", ROOT / "models" / "train_jax.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    root = tmp_path_factory.mktemp("flowers")
    rng = np.random.default_rng(0)
    for i in range(10):
        Image.fromarray((rng.random((300, 340, 3)) * 255).astype(np.uint8)).save(root / f"f{i}.png")
    return root


def test_the_packed_operators_make_the_see_input_as_tensorflow_does():
    from upscale2x.model import preprocess

    area, cubic = _script()._operators()
    assert area.shape == (11, 256) and cubic.shape == (256, 11)
    g = np.random.default_rng(3).random((256, 256, 1), np.float32)
    want = preprocess.see_abstract(g).numpy()[..., 0]
    got = np.clip(cubic @ (area @ g[..., 0] @ area.T) @ cubic.T, 0, 1)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_the_pack_leaves_out_the_runs_held_out_images(tmp_path, flowers):
    import argparse

    from upscale2x.train.data import split

    tj = _script()
    out = tmp_path / "p.npz"
    tj.pack(argparse.Namespace(data=str(flowers), out=str(out), val_fraction=0.2, seed=0, quality=92))
    z = np.load(out)
    meta = json.loads(bytes(z["meta"]).decode())
    train_idx, val_idx = split(10, 0.2, 0)
    assert (meta["images"], meta["train_images"], meta["held_out"]) == (10, len(train_idx), len(val_idx)) == (10, 8, 2)
    assert len(z["offsets"]) == 9  # one JPEG per training image
    first = Image.open(__import__("io").BytesIO(z["jpeg"][z["offsets"][0] : z["offsets"][1]].tobytes()))
    assert first.size == (340, 300)  # the shorter side is within the pack's 333: kept at its own size


def _fake_gpu_run(tj, folder: Path, data: Path, shift: float = 0.0) -> None:
    """A folder as the GPU run writes it: generator weights in .npz parts (with the probe), and run.json."""
    from upscale2x.model.nets import unet_generator

    recipe = {**tj.RECIPE, **TINY, "disc_scales": 1}
    g = unet_generator(
        None, base_width=2, max_width=8, in_channels=1, out_channels=3, upsample="bilinear", padding="reflect",
        lattice_free=True,
    )  # fmt: skip
    probe = np.random.default_rng(1).random((1, 256, 256, 1), np.float32) * 2 - 1
    extra = {tj.PROBE_IN: probe, tj.PROBE_OUT: g(probe, training=False).numpy() + shift}
    tj._save(g, folder / "generator", extra, max_bytes=20_000)  # several parts, as a big generator has
    info = {"data": str(data), "images": 10, "train_images": 8, "held_out": 2, "val_fraction": 0.2, "seed": 0}
    info |= {"recipe": recipe, "precision": "float32", "steps": 30, "epochs": 7.5, "train_seconds": 12.0}
    (folder / "run.json").write_text(json.dumps({**info, "device": "NVIDIA H200", "files": []}))


def test_a_gpu_runs_weights_become_a_run_that_exports_the_same_generator(tmp_path, flowers):
    import argparse

    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.config import TrainConfig
    from upscale2x.train.fit import train

    tj = _script()
    gpu, run = tmp_path / "gpu", tmp_path / "run"
    gpu.mkdir()
    _fake_gpu_run(tj, gpu, flowers)
    assert len(list(gpu.glob("generator.*.npz"))) > 2
    tj.import_run(argparse.Namespace(dir=str(gpu), run=str(run), data=str(flowers), max_diff=1e-4, init_run=None))
    cfg = TrainConfig.load(run / "train_config.json")
    assert (cfg.l1_weight, cfg.texture, cfg.batch, cfg.epochs, cfg.gan_loss) == (10.0, 5.0, 2, 8, "lsgan")
    bundle = load_bundle(train(cfg, export_to=tmp_path / "bundle"))
    probe = tj._load_parts(gpu, "generator")
    out = bundle.model(probe[tj.PROBE_IN], training=False).numpy()
    np.testing.assert_allclose(out, probe[tj.PROBE_OUT], atol=1e-5)
    t = bundle.card.training
    assert (t["steps"], t["hardware"], t["held_out"]) == (30, "NVIDIA H200 (JAX, models/train_jax.py)", 2)


def test_an_import_whose_generator_does_not_match_its_probe_is_refused(tmp_path, flowers):
    import argparse

    tj = _script()
    gpu, run = tmp_path / "gpu", tmp_path / "run"
    gpu.mkdir()
    _fake_gpu_run(tj, gpu, flowers, shift=0.01)
    with pytest.raises(SystemExit, match="differs from the trained one by 1.00e-02 on average"):
        tj.import_run(argparse.Namespace(dir=str(gpu), run=str(run), data=str(flowers), max_diff=1e-4, init_run=None))
    assert not run.exists()
