import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.errors import DatasetError, TrainError
from upscale2x.train.config import TrainConfig
from upscale2x.train.data import DataSpec, load_folder, split

runner = CliRunner()
TINY = {"preset": None, "base_width": 2, "max_width": 8, "ndf": 2, "batch": 2}


def _pattern(i: int, size=(64, 80)) -> np.ndarray:
    yy, xx = np.mgrid[0 : size[0], 0 : size[1]]
    img = np.stack([np.sin(xx / (3 + i)), np.cos(yy / (4 + i)), np.sin((xx + yy) / (5 + i))], axis=2)
    return ((img * 0.5 + 0.5) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    for i in range(6):
        Image.fromarray(_pattern(i)).save(root / f"p{i}.png")
    return root


@pytest.fixture(scope="module")
def inverted_pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    (root / "A").mkdir()
    (root / "B").mkdir()
    for i in range(6):
        a = _pattern(i, (48, 48))
        Image.fromarray(a).save(root / "A" / f"{i}.png")
        Image.fromarray(255 - a).save(root / "B" / f"{i}.png")
    return root


def _cli_train(data, out, epochs, batch, *extra):
    """`upscale2x train` arguments for a tiny sr8x run (ndf 2, 20 % held out, quiet)."""
    args = ["train", str(data), "--task", "sr8x", "--out", str(out), "--epochs", str(epochs), "--batch", str(batch)]
    return [*args, "--ndf", "2", "--val-fraction", "0.2", "-q", *extra]


def _cfg(data, out, task, **kw):
    return TrainConfig(data=str(data), task=task, out=str(out), **{**TINY, "epochs": 1, "val_fraction": 0.2, **kw})


@pytest.mark.parametrize("task", ["sr8x", "see", "paired"])
def test_each_task_trains_with_finite_losses(tmp_path, images, inverted_pairs, task):
    from upscale2x.train.fit import train

    statuses = []
    data = inverted_pairs if task == "paired" else images
    out = train(_cfg(data, tmp_path / "run", task), on_status=statuses.append)
    losses = [s.losses for s in statuses if s.losses]
    assert losses and all(np.isfinite(v) for d in losses for v in d.values())
    card = json.loads((out / "card.json").read_text())
    assert card["task"] == task and card["training"]["epochs"] == 1 and np.isfinite(card["metrics"]["l1"])
    assert (out / "previews" / "epoch_0001.png").is_file() and any((out / "logs").iterdir())
    if task == "sr8x":
        assert {"psnr_model", "psnr_bicubic", "ssim_model", "sharpness_ratio"} <= set(card["metrics"])


def test_a_learnable_pairing_gets_its_held_out_l1_down(tmp_path, inverted_pairs):
    from upscale2x.train.fit import train

    cfg = _cfg(inverted_pairs, tmp_path / "inv", "paired", epochs=12, base_width=8, max_width=32, lr=2e-3)
    history = []
    train(cfg, on_status=lambda s: s.message and history.append(float(s.message.split()[-1])))
    assert len(history) == 12
    assert history[-1] < 0.6 * history[0], history


def test_resume_continues_counters_and_loss_curve(tmp_path, images):
    from upscale2x.train.fit import train

    straight = tmp_path / "straight"
    train(_cfg(images, straight, "sr8x", epochs=2))
    split = tmp_path / "split"
    train(_cfg(images, split, "sr8x", epochs=1))
    with pytest.raises(TrainError, match="already holds a training run; use --resume"):
        train(_cfg(images, split, "sr8x", epochs=2))
    with pytest.raises(TrainError, match=r"--resume cannot change batch: 2 -> 1"):
        train(_cfg(images, split, "sr8x", epochs=2, batch=1), resume=True)
    with pytest.raises(TrainError, match=r"--resume cannot change width: 2 -> 4"):
        train(_cfg(images, split, "sr8x", epochs=2, base_width=4), resume=True)
    train(_cfg(images, split, "sr8x", epochs=2), resume=True)
    a = json.loads((straight / "checkpoints" / "latest.json").read_text())
    b = json.loads((split / "checkpoints" / "latest.json").read_text())
    assert (a["epoch"], a["step"], a["global_step"]) == (b["epoch"], b["step"], b["global_step"]) == (2, 0, 4)
    # Same data order, augmentation, weights, optimizer state and dropout RNG: the curves continue identically.
    for ha, hb in zip(a["history"], b["history"], strict=True):
        for k in ("l1", "d", "val_l1"):
            assert ha[k] == pytest.approx(hb[k], rel=1e-5)


def test_history_holds_each_epochs_mean_loss_across_a_mid_epoch_resume(tmp_path, images):
    from upscale2x.train.fit import train

    steps = []
    train(_cfg(images, tmp_path / "straight", "sr8x", batch=1), on_status=lambda s: s.message or steps.append(s))
    losses = [s.losses for s in steps if s.losses]
    assert len(losses) >= 3 and len({round(x["l1"], 6) for x in losses}) > 1  # the mean is not any one step's
    (a,) = json.loads((tmp_path / "straight" / "checkpoints" / "latest.json").read_text())["history"]
    for k in ("l1", "g_gan", "d"):
        assert a[k] == pytest.approx(np.mean([x[k] for x in losses]), rel=1e-6), k

    class Stop(Exception):
        pass

    def stop_after_two(s):
        if not s.message and s.step == 2:
            raise Stop  # an interruption: the last checkpoint is step 1's

    split = tmp_path / "split"
    with pytest.raises(Stop):
        train(_cfg(images, split, "sr8x", batch=1, checkpoint_steps=1), on_status=stop_after_two)
    train(_cfg(images, split, "sr8x", batch=1, checkpoint_steps=1), resume=True)
    (b,) = json.loads((split / "checkpoints" / "latest.json").read_text())["history"]
    for k in ("l1", "g_gan", "d", "val_l1"):
        assert b[k] == pytest.approx(a[k], rel=1e-5), k


def test_see_input_is_single_channel_with_pinned_statistics():
    from skimage import data

    from upscale2x.model._tf import tf
    from upscale2x.train.pairs import make_pair

    img = tf.constant(data.astronaut())
    x, y = make_pair(img, tf.constant([0, 0], tf.int64), "see", train=False)
    x, y = x.numpy(), y.numpy()
    assert x.shape == (256, 256, 1) and y.shape == (256, 256, 3)
    # Pinned on skimage's astronaut, centre crop, no jitter. The input is the target's luma (ITU-R 601), blurred
    # by the 24x area-down / cubic-up round trip: same mean, less contrast, no detail finer than ~24 px.
    luma = y @ np.array([0.2989, 0.587, 0.114], np.float32)
    assert float(x.mean()) == pytest.approx(0.4529, abs=1e-3)
    assert float(x.mean()) == pytest.approx(float(luma.mean()), abs=2e-3)
    assert float(x.std()) == pytest.approx(0.2086, abs=1e-3)
    assert float(x.std()) < 0.75 * float(luma.std())
    assert float(np.abs(np.diff(x, axis=1)).mean()) < 0.2 * float(np.abs(np.diff(luma, axis=1)).mean())
    means = [
        make_pair(img, tf.constant([s, 1], tf.int64), "see", train=True)[0].numpy().mean() / x.mean() for s in range(12)
    ]
    assert 0.75 < min(means) < 1.0 < max(means) < 1.3  # brightness ±20 % (plus crop/scale variation)


def test_bad_data_folders(tmp_path, images):
    with pytest.raises(DatasetError, match="nothing: no such data folder"):
        load_folder(tmp_path / "nothing", DataSpec("sr8x"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"empty: no images found"):
        load_folder(tmp_path / "empty", DataSpec("sr8x"))
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_text("text")
    (junk / "b.jpg").write_bytes(b"")
    Image.fromarray(_pattern(1)).save(junk / "ok.png")
    skipped = []
    with pytest.raises(DatasetError, match="only 1 usable images of 3 found; need at least 4"):
        load_folder(junk, DataSpec("sr8x"), lambda p, r: skipped.append((p.name, r)))
    assert [n for n, _ in skipped] == ["a.png", "b.jpg"]
    ab = tmp_path / "ab"
    (ab / "A").mkdir(parents=True)
    (ab / "B").mkdir()
    for name, d in [("1.png", "A"), ("2.png", "A"), ("1.png", "B"), ("3.png", "B")]:
        Image.fromarray(_pattern(0)).save(ab / d / name)
    with pytest.raises(DatasetError, match=r"A/ and B/ file names differ \(only in A: 2.png; only in B: 3.png\)"):
        load_folder(ab, DataSpec("paired"))


def test_side_by_side_pairs_split_by_input_side(tmp_path):
    root = tmp_path / "sbs"
    root.mkdir()
    for i in range(4):
        Image.fromarray(np.concatenate([_pattern(i, (32, 32)), 255 - _pattern(i, (32, 32))], axis=1)).save(
            root / f"{i}.png"
        )
    left = load_folder(root, DataSpec("paired", input_side="left"))
    right = load_folder(root, DataSpec("paired", input_side="right"))
    assert left[0].shape == (32, 32, 6)
    np.testing.assert_array_equal(left[0][..., :3], right[0][..., 3:])


def test_cli_train_then_render(tmp_path, images):
    out = tmp_path / "cli_run"
    r = runner.invoke(app, _cli_train(images, out, 1, 2))
    assert r.exit_code == 0, r.output
    src = tmp_path / "x.png"
    Image.fromarray(_pattern(2, (10, 12))).save(src)
    r = runner.invoke(app, ["render", str(src), "--model", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "x_x8.png").size == (96, 80)
    r = runner.invoke(app, ["train", str(tmp_path / "none"), "--task", "see", "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 1 and "none: no such data folder" in r.output


MIRRORED = """
import sys, json
from upscale2x.model._tf import tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from upscale2x.train.config import TrainConfig
from upscale2x.train.fit import train
cfg = TrainConfig(data=sys.argv[1], task="see", out=sys.argv[2], preset=None, base_width=2, max_width=8, ndf=2,
                  batch=1, epochs=1, val_fraction=0.2, distribute="mirrored")
out = train(cfg)
print(json.dumps(json.loads((out / "card.json").read_text())["training"]))
"""


def test_mirrored_strategy_on_two_logical_cpus(tmp_path, images):
    r = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(images), str(tmp_path / "m")], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    training = json.loads(r.stdout.strip().splitlines()[-1])
    assert training["replicas"] == 2 and training["global_batch"] == 2 and training["steps"] == 2


@pytest.mark.slow
def test_sigkill_loses_at_most_one_checkpoint_interval(tmp_path, images):
    import signal
    import time

    out = tmp_path / "killed"
    args = [sys.executable, "-m", "upscale2x", *_cli_train(images, out, 50, 1, "--checkpoint-steps", "2")]
    proc = subprocess.Popen(args)
    pointer = out / "checkpoints" / "latest.json"
    deadline = time.time() + 240
    while time.time() < deadline and not (pointer.exists() and json.loads(pointer.read_text())["global_step"] >= 6):
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = json.loads(pointer.read_text())
    assert before["global_step"] >= 6
    r = runner.invoke(app, _cli_train(images, out, before["epoch"] + 1, 1, "--checkpoint-steps", "2", "--resume"))
    assert r.exit_code == 0, r.output
    after = json.loads(pointer.read_text())
    assert after["epoch"] == before["epoch"] + 1 and after["global_step"] > before["global_step"]
    assert Path(out / "model.keras").is_file()


def test_init_from_a_bundle_starts_from_its_weights(tmp_path, images, tiny_bundles):
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.fit import _build

    cfg = _cfg(images, tmp_path / "ft", "sr8x", init_from=str(tiny_bundles["sr8x"]))
    model = _build(cfg, 2)
    source = load_bundle(tiny_bundles["sr8x"]).model
    for a, b in zip(model.generator.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TrainError, match=r"a see model of width 2/8 \(transpose, 0 residual blocks\) cannot start"):
        _build(_cfg(images, tmp_path / "x", "sr8x", init_from=str(tiny_bundles["see"])), 2)
    with pytest.raises(TrainError, match=r"cannot start a sr8x model of width 2/8 \(resize, 0 residual blocks\)"):
        _build(_cfg(images, tmp_path / "y", "sr8x", upsample="resize", init_from=str(tiny_bundles["sr8x"])), 2)


def test_init_from_grows_residual_blocks_and_never_drops_them(tmp_path, images):
    """A bundle without residual blocks starts one with them (the blocks start as the identity), not the reverse."""
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.nets import unet_generator
    from upscale2x.train.fit import _build

    keras.utils.set_random_seed(1)
    g = unet_generator(base_width=2, max_width=8, upsample="resize", zero_output=False)
    src = save_bundle(Bundle(g, Card(task="sr8x", base_width=2, max_width=8, upsample="resize")), tmp_path / "src")
    cfg = _cfg(images, tmp_path / "ft", "sr8x", upsample="resize", res_blocks=2, init_from=str(src))
    grown = _build(cfg, 2).generator
    for layer in g.layers:
        for a, b in zip(layer.get_weights(), grown.get_layer(layer.name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(grown(x)), np.asarray(g(x)), atol=1e-6)
    bigger = save_bundle(
        Bundle(grown, Card(task="sr8x", base_width=2, max_width=8, upsample="resize", res_blocks=2)), tmp_path / "grown"
    )
    assert load_bundle(bigger).card.res_blocks == 2
    with pytest.raises(
        TrainError,
        match=r"\(resize, 2 residual blocks\) cannot start a sr8x model of width 2/8 "
        r"\(resize, 1 residual blocks\)",
    ):
        _build(_cfg(images, tmp_path / "y", "sr8x", upsample="resize", res_blocks=1, init_from=str(bigger)), 2)
    with pytest.raises(TrainError, match="res blocks must be 0-64, got 65"):
        _cfg(images, tmp_path / "z", "sr8x", res_blocks=65)


def test_init_from_widens_blocks_and_adds_attention_exactly_and_never_narrows(tmp_path, images):
    """--block-width and --attention grow a bundle with residual blocks: same output until trained, card says so."""
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.nets import unet_generator
    from upscale2x.train.fit import _build

    keras.utils.set_random_seed(1)
    g = unet_generator(base_width=2, max_width=8, upsample="resize", zero_output=False, res_blocks=2)
    for name in ("res1_conv2", "res2_conv2"):  # trained blocks: non-zero residuals
        layer = g.get_layer(name)
        k = np.random.default_rng(2).normal(0, 0.2, layer.get_weights()[0].shape).astype(np.float32)
        layer.set_weights([k, layer.get_weights()[1]])
    card = Card(task="sr8x", base_width=2, max_width=8, upsample="resize", res_blocks=2)
    src = save_bundle(Bundle(g, card), tmp_path / "src")
    cfg = _cfg(
        images,
        tmp_path / "ft",
        "sr8x",
        upsample="resize",
        res_blocks=2,
        block_width=20,
        attention=True,
        init_from=str(src),
    )
    grown = _build(cfg, 2).generator
    assert grown.get_layer("res1_conv1").get_weights()[0].shape == (3, 3, 8, 20)
    np.testing.assert_array_equal(
        grown.get_layer("res1_conv1").get_weights()[0][..., :8], g.get_layer("res1_conv1").get_weights()[0]
    )
    assert np.abs(grown.get_layer("res1_conv1").get_weights()[0][..., 8:]).max() > 0  # new filters are initialised
    assert not np.any(grown.get_layer("res1_conv2").get_weights()[0][:, :, 8:, :])  # ... and weigh nothing yet
    x = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    assert np.abs(np.asarray(g(x))).max() > 0.05
    np.testing.assert_allclose(np.asarray(grown(x)), np.asarray(g(x)), atol=1e-5)
    wide = Card(task="sr8x", base_width=2, max_width=8, upsample="resize", res_blocks=2, block_width=20, attention=True)
    bigger = save_bundle(Bundle(grown, wide), tmp_path / "grown")
    assert (load_bundle(bigger).card.block_width, load_bundle(bigger).card.attention) == (20, True)
    with pytest.raises(
        TrainError,
        match=r"\(resize, 2 residual blocks of inner width 20 with channel attention\) cannot start a sr8x model "
        r"of width 2/8 \(resize, 2 residual blocks of inner width 12\)",
    ):
        _build(
            _cfg(
                images, tmp_path / "y", "sr8x", upsample="resize", res_blocks=2, block_width=12, init_from=str(bigger)
            ),
            2,
        )
    with pytest.raises(TrainError, match="block width must be 0-1024"):
        _cfg(images, tmp_path / "z", "sr8x", res_blocks=2, block_width=2000)
    with pytest.raises(TrainError, match="--block-width and --attention need residual blocks"):
        _cfg(images, tmp_path / "z", "sr8x", attention=True)


def test_bf16_on_a_cpu_that_emulates_it_gets_a_note_and_float32_none(tmp_path, images, monkeypatch):
    from upscale2x.model import nets
    from upscale2x.train.fit import precision_note

    monkeypatch.setattr(nets, "cpu_bf16_native", lambda cpuinfo=None: False)
    assert "emulates bfloat16" in precision_note(_cfg(images, tmp_path / "a", "sr8x", precision="bf16"))
    assert precision_note(_cfg(images, tmp_path / "b", "sr8x", precision="float32")) is None
    monkeypatch.setattr(nets, "cpu_bf16_native", lambda cpuinfo=None: True)
    assert precision_note(_cfg(images, tmp_path / "c", "sr8x", precision="bf16")) is None


def test_a_zero_padded_bundle_starts_a_reflect_padded_run_and_the_card_says_so(tmp_path, images):
    """--padding reflect adds weightless ReflectPad layers: a zero-padded bundle (every shipped see model) starts it."""
    from upscale2x.model.bundle import Bundle, Card, load_bundle, save_bundle
    from upscale2x.model.layers import ReflectPad
    from upscale2x.model.nets import unet_generator
    from upscale2x.train.fit import _build, train

    g = unet_generator(base_width=2, max_width=8, in_channels=1, upsample="resize")
    src = save_bundle(Bundle(g, Card(task="see", base_width=2, max_width=8, upsample="resize")), tmp_path / "src")
    cfg = _cfg(images, tmp_path / "rp", "see", upsample="resize", padding="reflect", init_from=str(src))
    started = _build(cfg, 2).generator
    for layer in g.layers:
        for a, b in zip(layer.get_weights(), started.get_layer(layer.name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    b = load_bundle(train(cfg))
    assert b.card.padding == "reflect" and b.card.training["padding"] == "reflect"
    assert any(isinstance(layer, ReflectPad) for layer in b.model.layers)


def test_a_nearest_resize_bundle_can_start_a_bilinear_one(tmp_path, images):
    """The two resize-conv decoders share their weight shapes, so a shipped one can seed the other."""
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator
    from upscale2x.train.fit import _build

    keras.utils.set_random_seed(1)
    g = unet_generator(base_width=2, max_width=8, upsample="resize")
    src = save_bundle(Bundle(g, Card(task="sr8x", base_width=2, max_width=8, upsample="resize")), tmp_path / "near")
    model = _build(_cfg(images, tmp_path / "ft", "sr8x", upsample="bilinear", init_from=str(src)), 2)
    for a, b in zip(model.generator.get_weights(), g.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_fine_tuned_card_keeps_the_training_record_of_its_source(tmp_path, images, tiny_bundles):
    from upscale2x.model.bundle import read_card
    from upscale2x.train.fit import train

    source = read_card(tiny_bundles["sr8x"]).training
    out = train(_cfg(images, tmp_path / "ft", "sr8x", init_from=str(tiny_bundles["sr8x"])))
    record = read_card(out).training
    assert record["epochs"] == 1
    assert record["init_from"] == {"bundle": str(tiny_bundles["sr8x"]), **source}
    with pytest.raises(TrainError, match="--init-from: .*nowhere"):
        train(_cfg(images, tmp_path / "bad", "sr8x", init_from=str(tmp_path / "nowhere")))


@pytest.mark.parametrize("gan_weight", [0.0, 1.0])
def test_gan_weight_zero_trains_the_generator_on_l1_alone(tmp_path, images, gan_weight):
    from upscale2x.model._tf import tf
    from upscale2x.train.fit import _build

    model = _build(_cfg(images, tmp_path / "w", "sr8x", gan_weight=gan_weight), 2)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((2, 32, 32, 3)), tf.float32)
    y = tf.constant(rng.random((2, 256, 256, 3)), tf.float32)
    g0, d0 = model.generator.get_weights(), model.discriminator.get_weights()
    losses = {k: float(v) for k, v in model.train_step((x, y)).items()}
    g_moved = any(not np.array_equal(a, b) for a, b in zip(g0, model.generator.get_weights(), strict=True))
    d_moved = any(not np.array_equal(a, b) for a, b in zip(d0, model.discriminator.get_weights(), strict=True))
    assert g_moved and losses["l1"] > 0
    assert d_moved == (gan_weight > 0)
    assert (losses["d"] == 0 and losses["g_gan"] == 0) == (gan_weight == 0)


@pytest.mark.parametrize("gan_weight", [0.0, 1.0])
def test_pixel_loss_mse_trains_on_the_squared_error(tmp_path, images, gan_weight):
    """--pixel-loss mse: the term --l1-weight weighs is the mean squared error, logged as "mse", in both steps."""
    from upscale2x.model import preprocess
    from upscale2x.model._tf import tf
    from upscale2x.train.fit import _build

    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((2, 32, 32, 3)), tf.float32)
    y = tf.constant(rng.random((2, 256, 256, 3)), tf.float32)
    moved, losses = {}, {}
    for pixel in ("l1", "mse"):
        tf.keras.utils.set_random_seed(0)
        model = _build(_cfg(images, tmp_path / pixel, "sr8x", gan_weight=gan_weight, pixel_loss=pixel), 2)
        g0 = model.generator.get_weights()
        fake = model.call(x, training=True)  # the output the step sees (BatchNorm in training mode, no update)
        err = (preprocess.to_model(y) - fake).numpy()
        tf.keras.utils.set_random_seed(0)
        model = _build(_cfg(images, tmp_path / pixel, "sr8x", gan_weight=gan_weight, pixel_loss=pixel), 2)
        losses[pixel] = {k: float(v) for k, v in model.train_step((x, y)).items()}
        moved[pixel] = [b - a for a, b in zip(g0, model.generator.get_weights(), strict=True)]
        expect = np.mean(np.square(err)) if pixel == "mse" else np.mean(np.abs(err))
        assert losses[pixel][pixel] == pytest.approx(expect, rel=1e-4)
    assert "mse" not in losses["l1"] and "l1" not in losses["mse"]
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(moved["l1"], moved["mse"], strict=True)) > 1e-6
    with pytest.raises(TrainError, match="pixel loss must be one of l1, mse, got 'l2'"):
        TrainConfig(data="d", task="sr8x", out="o", pixel_loss="l2")


def test_the_lattice_penalty_also_trains_an_l1_only_run(tmp_path, images):
    """--lattice with --gan-weight 0 (the L1-only step) was silently ignored: same weights, no lattice loss."""
    from upscale2x.model._tf import tf
    from upscale2x.train.fit import _build

    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((2, 32, 32, 3)), tf.float32)
    y = tf.constant(rng.random((2, 256, 256, 3)), tf.float32)
    moved = {}
    for lattice in (0.0, 5000.0):
        tf.keras.utils.set_random_seed(0)
        model = _build(_cfg(images, tmp_path / f"l{lattice}", "sr8x", gan_weight=0.0, lattice=lattice), 2)
        g0 = model.generator.get_weights()
        losses = {k: float(v) for k, v in model.train_step((x, y)).items()}
        moved[lattice] = [b - a for a, b in zip(g0, model.generator.get_weights(), strict=True)]
        assert ("lattice" in losses) == (lattice > 0)
    assert losses["lattice"] > 0 and np.isfinite(losses["lattice"])
    # Same initial weights (seeded), different step: the penalty's gradient reached the generator.
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(moved[0.0], moved[5000.0], strict=True)) > 1e-6


def test_gan_weight_can_change_on_resume_and_is_recorded(tmp_path, images):
    from upscale2x.train.fit import train

    with pytest.raises(TrainError, match="cannot both be 0"):
        _cfg(images, tmp_path / "x", "sr8x", gan_weight=0.0, l1_weight=0.0)
    with pytest.raises(TrainError, match="gan weight must be >= 0"):
        _cfg(images, tmp_path / "x", "sr8x", gan_weight=-1.0)
    run = tmp_path / "warm"
    train(_cfg(images, run, "sr8x", gan_weight=0.0))
    out = train(_cfg(images, run, "sr8x", epochs=2, gan_weight=0.5), resume=True)
    history = json.loads((run / "checkpoints" / "latest.json").read_text())["history"]
    assert [h["d"] == 0 for h in history] == [True, False]
    # --lr on resume replaces the rate the checkpoint holds (for a hand-made decay between sittings).
    train(_cfg(images, run, "sr8x", epochs=3, gan_weight=0.5, lr=5e-5), resume=True)
    from upscale2x.model._tf import tf

    latest = json.loads((run / "checkpoints" / "latest.json").read_text())["name"]
    for net in ("g", "d"):
        key = f"{net}_optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE"
        assert tf.train.load_variable(str(run / "checkpoints" / latest / "state"), key) == pytest.approx(5e-5)
    assert json.loads((out / "card.json").read_text())["training"]["gan_weight"] == 0.5


def test_a_custom_width_run_resumes_under_the_preset_of_the_same_widths(tmp_path):
    from upscale2x.model.nets import PRESETS

    p = PRESETS["hires"]
    custom = TrainConfig(data="d", task="sr8x", out="o", preset=None, base_width=p.base_width, max_width=p.max_width)
    named = TrainConfig(data="d", task="sr8x", out="o", preset="hires")
    named.check_resumes(custom, tmp_path)  # the same network: no error
    with pytest.raises(TrainError, match="cannot change width: 16 -> 4, cap: 128 -> 512"):
        TrainConfig(data="d", task="sr8x", out="o", preset="small").check_resumes(custom, tmp_path)


def test_gan_recipe_options_train_and_are_recorded(tmp_path, images):
    from upscale2x.train.fit import train

    statuses = []
    recipe = {
        "gan_loss": "hinge",
        "feature_matching": 10.0,
        "r1": 1.0,
        "lattice": 20.0,
        "texture": 2.0,
        "pixel_loss": "mse",
        "spectral_norm": True,
        "d_lr": 1e-4,
    }
    out = train(_cfg(images, tmp_path / "r", "see", upsample="resize", **recipe), on_status=statuses.append)
    losses = [s.losses for s in statuses if s.losses][-1]
    assert {"g_gan", "mse", "d", "fm", "r1", "lattice", "texture"} <= set(losses)
    assert all(np.isfinite(v) for v in losses.values())
    assert losses["fm"] > 0 and losses["r1"] > 0 and losses["lattice"] > 0 and losses["texture"] > 0
    card = json.loads((out / "card.json").read_text())
    assert card["upsample"] == "resize"
    assert {k: card["training"][k] for k in recipe} == recipe
    # The architecture of the discriminator cannot change on --resume; the loss recipe can.
    with pytest.raises(TrainError, match="--resume cannot change spectral_norm: True -> False"):
        train(_cfg(images, tmp_path / "r", "see", upsample="resize", epochs=2), resume=True)


@pytest.mark.parametrize("loss", ["bce", "lsgan", "hinge"])
def test_each_gan_loss_moves_both_nets(tmp_path, images, loss):
    from upscale2x.model._tf import tf
    from upscale2x.train.fit import _build

    model = _build(_cfg(images, tmp_path / "w", "see", gan_loss=loss), 2)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((2, 256, 256, 1)), tf.float32)
    y = tf.constant(rng.random((2, 256, 256, 3)), tf.float32)
    d0 = model.discriminator.get_weights()
    losses = {k: float(v) for k, v in model.train_step((x, y)).items()}
    assert np.isfinite(losses["d"]) and np.isfinite(losses["g_gan"])
    assert any(not np.array_equal(a, b) for a, b in zip(d0, model.discriminator.get_weights(), strict=True))
    if loss == "hinge":  # relu(1 - D(real)) + relu(1 + D(fake)) at an untrained D: close to 2
        assert 1.0 < losses["d"] < 3.0


def _position_image(h: int, w: int) -> np.ndarray:
    """uint8 image whose red channel is x mod 256 and green is y mod 256 (a crop tells where it came from)."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx % 256, yy % 256, (xx // 256) * 40 + (yy // 256)], axis=2).astype(np.uint8)


def test_scale_range_crops_native_pixels_or_downscales():
    from upscale2x.model._tf import tf
    from upscale2x.train.pairs import make_pair

    img = _position_image(700, 900)
    for s in range(4):
        x, y = make_pair(tf.constant(img), tf.constant([s, 3], tf.int64), "sr8x", scale_range=(1.0, 1.0))
        y = np.round(y.numpy() * 255).astype(np.int64)
        assert x.shape == (32, 32, 3) and y.shape == (256, 256, 3)
        # Native pixels: one pixel per pixel (x mod 256 steps by 1, modulo flips and the 255 -> 0 wrap).
        steps = np.abs(np.diff(y[128, :, 0]))
        assert np.median(steps) == 1
    x, y = make_pair(tf.constant(img), tf.constant([0, 3], tf.int64), "sr8x", scale_range=(0.5, 0.5))
    steps = np.abs(np.diff(np.round(y.numpy()[128, :, 0] * 255)))
    assert np.median(steps) == pytest.approx(2, abs=0.5)  # half size: two source pixels per pixel
    # Images too small for a crop at the asked scale are shrunk only as far as a 256 crop needs.
    _, y = make_pair(tf.constant(img[:300, :300]), tf.constant([0, 3], tf.int64), "sr8x", scale_range=(0.1, 0.1))
    assert y.shape == (256, 256, 3)


def test_native_images_are_drawn_by_area_and_kept_whole(tmp_path):
    from upscale2x.train.data import epoch_repeats

    small, big = np.zeros((300, 400, 3), np.uint8), np.zeros((1024, 2048, 3), np.uint8)
    assert list(epoch_repeats([small, big], native=True)) == [1, 8]
    assert list(epoch_repeats([small, big], native=False)) == [1, 1]
    for i in range(4):
        Image.fromarray(_position_image(600, 800 + i)).save(tmp_path / f"{i}.png")
    assert load_folder(tmp_path, DataSpec("sr8x", native=True))[0].shape == (600, 800, 3)
    assert min(load_folder(tmp_path, DataSpec("sr8x"))[0].shape[:2]) == 333


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upsample", "bicubic"], "upsample must be one of transpose, resize, bilinear, got 'bicubic'"),
        (["--gan-loss", "wgan"], "gan loss must be one of bce, lsgan, hinge, got 'wgan'"),
        (["--feature-matching", "-1"], "feature matching weight must be >= 0, got -1.0"),
        (["--r1", "-0.5"], "r1 must be >= 0, got -0.5"),
        (["--lattice", "-1"], "lattice weight must be >= 0, got -1.0"),
        (["--texture", "-2"], "texture weight must be >= 0, got -2.0"),
        (["--pixel-loss", "l2"], "pixel loss must be one of l1, mse, got 'l2'"),
        (["--res-blocks", "-1"], "res blocks must be 0-64, got -1"),
        (["--res-blocks", "100"], "res blocks must be 0-64, got 100"),
        (
            ["--res-blocks", "2", "--block-width", "-8"],
            "block width must be 0-1024 (0 = the blocks' own width), got -8",
        ),
        (["--block-width", "96"], "--block-width and --attention need residual blocks (--res-blocks N)"),
        (["--attention"], "--block-width and --attention need residual blocks (--res-blocks N)"),
        (["--d-lr", "2"], "discriminator learning rate must be in (0, 1), got 2.0"),
        (["--scale-range", "0.5"], "--scale-range: expected LO,HI such as 0.25,1, got '0.5'"),
        (["--scale-range", "1,2"], "scale range must be LO,HI with 0 < LO <= HI <= 1"),
        (["--scale-range", "0.8,0.4"], "scale range must be LO,HI with 0 < LO <= HI <= 1"),
        (["--base-width", "0"], "base width must be >= 1, got 0"),
        (["--base-width", "8", "--max-width", "0"], "max width must be >= 1, got 0"),
        (["--precision", "fp16"], "precision must be one of float32, bf16, got 'fp16'"),
        (["--padding", "mirror"], "padding must be one of zero, reflect, got 'mirror'"),
        (["--disc-scales", "0"], "disc scales must be 1-4, got 0"),
        (["--lattice-window", "12"], "lattice window must be 0 or a multiple of 8 px, got 12"),
        (
            ["--lattice-free", "--lattice-free-window", "12"],
            "lattice-free window must be 0 or a multiple of 8 px from 16, got 12",
        ),
        (["--lattice-free", "--lattice-free-window", "8"], "lattice-free window must be 0 or a multiple of 8 px"),
        (["--lattice-free-window", "64"], "--lattice-free-window needs --lattice-free"),
        (["--disc-scales", "5"], "disc scales must be 1-4, got 5"),
        (["--dream", "2"], "--dream: expected LO,HI such as 1.5,4, got '2'"),
        (["--dream", "0.5,2"], "dream must be LO,HI with 1 <= LO <= HI <= 8 (times the 8x downscale), got (0.5, 2.0)"),
        (["--dream", "3,2"], "dream must be LO,HI with 1 <= LO <= HI <= 8"),
        (["--dream", "2,16"], "dream must be LO,HI with 1 <= LO <= HI <= 8"),
        (["--dream", "1.5,4", "--task", "see"], "dream is for upscaling tasks (sr8x), not see"),
        (["--padding", "reflect", "--upsample", "transpose"], "padding reflect needs --upsample resize or bilinear"),
    ],
)
def test_cli_rejects_bad_new_train_options_with_one_line(tmp_path, images, args, message):
    r = runner.invoke(app, _cli_train(images, tmp_path / "bad", 1, 2, *args))
    assert r.exit_code == 1, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], r.output
    assert not (tmp_path / "bad").exists()


def test_export_takes_the_runs_own_settings(tmp_path, images):
    """--export DIR with none of the run's flags and no DATA (it used to rebuild the nets from the defaults and
    fail, and to require the unused DATA argument)."""
    from typer.testing import CliRunner

    from upscale2x.cli import app
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.fit import train

    out = train(_cfg(images, tmp_path / "run", "sr8x", ndf=4))
    r = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "run"), "--export", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    got, want = load_bundle(tmp_path / "b"), load_bundle(out)
    for a, b in zip(got.model.get_weights(), want.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_out_parents_are_created_and_data_is_required_to_train(tmp_path, images):
    from typer.testing import CliRunner

    from upscale2x.cli import app

    r = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "run")])
    assert r.exit_code == 1 and "DATA is required" in r.output
    r = CliRunner().invoke(
        app, [*_cli_train(images, tmp_path / "runs" / "deep" / "x", 1, 2), "--base-width", "2", "--max-width", "8"]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "runs" / "deep" / "x" / "model.keras").is_file()


def test_the_lattice_penalty_sees_stamped_grids_not_the_photo():
    """gan.lattice_error: the RMS of the error's 8-px-periodic part (metrics.lattice_share's bins)."""
    from upscale2x.model._tf import tf
    from upscale2x.train.gan import lattice_error

    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    yy, xx = np.indices((64, 64))
    checker = ((yy + xx) % 2 * 2 - 1)[None, :, :, None].astype(np.float32)
    grid8 = ((yy % 8 == 0) | (xx % 8 == 0))[None, :, :, None].astype(np.float32)

    def err(fake):
        return float(lattice_error(tf.constant(real), tf.constant(fake, tf.float32))[0])

    assert err(real) < 1e-5  # the photo's own content (periodic or not) costs nothing
    assert err(real + 0.3) < 1e-5  # nor does a flat offset
    assert err(real + 0.1 * checker) == pytest.approx(0.1, rel=1e-3)  # a checkerboard: its amplitude
    assert err(real + 0.1 * grid8) > 0.02  # an 8-px grid
    noise = rng.normal(0, 0.1, real.shape).astype(np.float32)
    assert err(real + noise) < 0.025  # unstructured error mostly averages out over the 64 phases
    periodic_photo = np.tile(real[:, :8, :8], (1, 8, 8, 1))
    assert float(lattice_error(tf.constant(periodic_photo), tf.constant(periodic_photo))[0]) < 1e-5
    with pytest.raises(TrainError, match="lattice weight must be >= 0"):
        TrainConfig(data="d", task="sr8x", out="o", lattice=-1.0)


def test_texture_error_compares_detail_energy_block_by_block():
    """gan.texture_error: 0 for the same detail anywhere inside each 8x8 block; a blur or added noise costs."""
    from scipy.ndimage import laplace

    from upscale2x.metrics import luma
    from upscale2x.model._tf import tf
    from upscale2x.train.gan import GanRecipe, detail_energy, texture_error

    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (1, 66, 66, 3)).astype(np.float32)
    # detail_energy is metrics.sharpness's |Laplacian| of the luma, averaged over 8x8 blocks of the valid interior
    lap = np.abs(laplace(luma(real[0]).astype(np.float64)))[1:-1, 1:-1]
    blocks = lap.reshape(8, 8, 8, 8).mean(axis=(1, 3))
    np.testing.assert_allclose(detail_energy(tf.constant(real))[0, :, :, 0], blocks, rtol=1e-4)

    def err(fake):
        return float(texture_error(tf.constant(real), tf.constant(fake, tf.float32))[0])

    assert err(real) == 0.0
    assert err(real + 0.2) < 1e-5  # brightness is not detail
    # the same texture mirrored inside each block (rows 1..64 of the valid interior = 8 blocks of 8)
    inner = real[:, 1:-1, 1:-1].reshape(1, 8, 8, 8, 8, 3)[:, :, ::-1, :, ::-1].reshape(1, 64, 64, 3)
    mirrored = real.copy()
    mirrored[:, 1:-1, 1:-1] = inner
    blurred = real.copy()
    blurred[:, 1:-1, 1:-1] = (real[:, :-2, 1:-1] + real[:, 2:, 1:-1] + real[:, 1:-1, :-2] + real[:, 1:-1, 2:]) / 4
    noisy = real + rng.normal(0, 0.3, real.shape).astype(np.float32)
    assert err(mirrored) < 0.2 * err(blurred)  # detail put elsewhere in the block costs far less than losing it
    assert err(blurred) > 0.5 and err(noisy) > 0.1  # less detail, or more, both cost
    with pytest.raises(ValueError, match="loss weights must be >= 0, got texture -1.0"):
        GanRecipe(texture=-1.0)
    with pytest.raises(TrainError, match="texture weight must be >= 0"):
        TrainConfig(data="d", task="sr8x", out="o", texture=-1.0)


def test_a_lattice_free_run_starts_from_a_plain_bundle_and_records_it(tmp_path, images, tiny_bundles):
    """`--lattice-free` (here windowed) adds a weightless last layer: a shipped bundle without it can start the run,
    the bundle and card record it, and a resumed run cannot drop it."""
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.fit import _build, train

    out = tmp_path / "lf"
    extra = ("--lattice-free", "--lattice-free-window", "64", "--init-from", str(tiny_bundles["sr8x"]))
    r = runner.invoke(app, _cli_train(images, out, 1, 2, *extra, "--base-width", "2", "--max-width", "8"))
    assert r.exit_code == 0, r.output
    b = load_bundle(out)
    assert b.card.lattice_free and b.card.training["lattice_free"] is True
    assert b.card.lattice_free_window == b.card.training["lattice_free_window"] == 64
    assert b.model.layers[-1].name == "lattice_free" and b.model.layers[-1].window == 64
    started = _build(_cfg(images, tmp_path / "x", "sr8x", lattice_free=True, init_from=str(tiny_bundles["sr8x"])), 2)
    source = load_bundle(tiny_bundles["sr8x"]).model
    for a, w in zip(started.generator.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(a, w)
    with pytest.raises(TrainError, match=r"--resume cannot change lattice_free: True -> False"):
        train(_cfg(images, out, "sr8x", epochs=2, val_fraction=0.2), resume=True)


def test_a_bf16_run_saves_a_float32_bundle_and_resume_may_switch_precision(tmp_path, images):
    """`--precision bf16` trains in bfloat16 with float32 weights; the bundle is a float32 network whose held-out
    L1 is the card's, GAN terms stay finite, and a resumed run may go back to float32 (same variables)."""
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.data import DataSpec
    from upscale2x.train.evaluate import evaluate
    from upscale2x.train.fit import _build, held_out_pairs, train

    out = tmp_path / "bf"
    gan = {"gan_loss": "lsgan", "feature_matching": 1.0, "r1": 0.1, "val_fraction": 0.2}
    statuses = []
    train(_cfg(images, out, "sr8x", precision="bf16", **gan), on_status=statuses.append)
    assert keras.config.dtype_policy().name == "float32"  # the training policy did not leak
    losses = [s.losses for s in statuses if s.losses]
    assert losses and all(np.isfinite(v) for x in losses for v in x.values()) and "fm" in losses[0]
    b = load_bundle(out)
    assert b.card.training["precision"] == "bf16"
    assert {layer.dtype_policy.name for layer in b.model.layers} == {"float32"}
    cfg = _cfg(images, out, "sr8x", **gan)
    imgs = load_folder(str(images), DataSpec("sr8x", val_fraction=0.2))
    val_x, val_y = held_out_pairs(imgs, split(len(imgs), 0.2, 0)[1], cfg)
    model = _build(cfg, 2)  # float32: the bundle's weights give the card's held-out L1
    model.generator.set_weights(b.model.get_weights())
    assert evaluate(model, val_x, val_y, "sr8x").metrics["l1"] == b.card.metrics["l1"]
    train(_cfg(images, out, "sr8x", epochs=2, **gan), resume=True)
    again = load_bundle(out)
    assert again.card.training["precision"] == "float32" and again.card.training["epochs"] == 2


def test_dream_inputs_hold_less_than_the_8x_and_the_card_records_the_range(tmp_path, images):
    """--dream LO,HI: each training input is the target at f x the 8x downscale (f in [LO, HI]), brought to the
    32x32 input size; f = 1 is the plain input, a larger f a softer one. Held-out pairs keep the plain input."""
    from upscale2x.model import preprocess
    from upscale2x.model._tf import tf
    from upscale2x.train.fit import train
    from upscale2x.train.pairs import dream_input, make_pair

    rng = np.random.default_rng(0)
    target = tf.constant(rng.random((256, 256, 3), dtype=np.float32))
    seed = tf.constant([0, 1], tf.int64)
    plain = preprocess.sr8x_degrade(target).numpy()
    same = dream_input(target, seed, (1.0, 1.0)).numpy()
    soft = dream_input(target, seed, (4.0, 4.0)).numpy()
    assert plain.shape == same.shape == soft.shape == (32, 32, 3)
    np.testing.assert_allclose(same, plain, atol=2e-3)  # f = 1: the 8x input itself (up to the cubic resample)
    assert soft.std() < 0.5 * plain.std()  # noise averaged over 32x32 px instead of 8x8: far flatter

    img = tf.constant((rng.random((300, 300, 3)) * 255).astype(np.uint8))
    a, _ = make_pair(img, seed, "sr8x", True, dream=(2.0, 2.0))
    b, _ = make_pair(img, seed, "sr8x", True)
    assert a.shape == b.shape == (32, 32, 3) and float(tf.math.reduce_std(a)) < float(tf.math.reduce_std(b))
    held, _ = make_pair(img, seed, "sr8x", False, dream=(2.0, 2.0))
    np.testing.assert_array_equal(held.numpy(), make_pair(img, seed, "sr8x", False)[0].numpy())

    from upscale2x.model.bundle import load_bundle

    b = load_bundle(train(_cfg(images, tmp_path / "dream", "sr8x", dream=(1.5, 3.0))))
    assert b.card.training["dream"] == [1.5, 3.0]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such data folder"),
        ("empty", "no images found"),
        ("junk", "only 1 usable images of 2 found"),
        ("val", "val fraction must be in [0, 0.5), got 0.7"),
        ("batch", "training images cannot fill one batch of 64"),
        ("init", "cannot start a sr8x model"),
    ],
)
def test_a_failed_start_leaves_no_run_folder(tmp_path, images, tiny_bundles, case, message):
    """Issue 28: every failed start used to leave OUT/train_config.json (and init_from.json) behind."""
    data, extra = images, []
    if case == "missing":
        data = tmp_path / "nothing"
    elif case in ("empty", "junk"):
        data = tmp_path / case
        data.mkdir()
        if case == "junk":
            (data / "a.png").write_text("text")
            Image.fromarray(_pattern(1)).save(data / "ok.png")
    elif case == "val":
        extra = ["--val-fraction", "0.7"]
    elif case == "batch":
        extra = ["--batch", "64"]
    elif case == "init":
        extra = ["--init-from", str(tiny_bundles["see"])]
    args = _cli_train(data, tmp_path / "runs" / "x", 1, 2, *extra)
    if case == "val":
        args.remove("0.2")
        args.remove("--val-fraction")
    r = runner.invoke(app, args)
    assert r.exit_code == 1, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in r.output.replace("\n", ""), r.output
    assert not (tmp_path / "runs" / "x").exists()


def test_the_closing_hint_of_a_see_run_is_a_command_that_works(tmp_path, images):
    """After `train --task see` the hint said `render IMAGE --model RUN`, which fails for a 1x model."""
    out = tmp_path / "see_run"
    args = ["train", str(images), "--task", "see", "--out", str(out), "--epochs", "1", "--batch", "2"]
    r = runner.invoke(app, [*args, "--base-width", "2", "--max-width", "8", "--ndf", "2", "--val-fraction", "0.2"])
    assert r.exit_code == 0, r.output
    hint = r.output.replace("\n", "").split("render with `")[1].split("`")[0]
    assert hint == f"upscale2x render IMAGE --chain {out}"
    src = tmp_path / "x.png"
    Image.fromarray(_pattern(2, (40, 48))).save(src)
    r = runner.invoke(app, ["render", str(src), "--chain", str(out), "--quiet"])
    assert r.exit_code == 0, r.output


def test_a_multi_scale_discriminator_trains_and_resumes_only_as_it_began(tmp_path, images):
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.fit import train

    cfg = _cfg(images, tmp_path / "ms", "see", upsample="resize", disc_scales=2, gan_loss="lsgan", feature_matching=1.0)
    b = load_bundle(train(cfg))
    assert b.card.training["disc_scales"] == 2 and np.isfinite(b.card.metrics["l1"])
    with pytest.raises(TrainError, match="--resume cannot change disc_scales: 2 -> 1"):
        train(_cfg(images, tmp_path / "ms", "see", upsample="resize", epochs=2), resume=True)


def test_a_windowed_lattice_error_sees_a_grid_in_part_of_a_crop_that_the_crop_mean_hides():
    """Lines every 8 px drawn in the top half of a crop, and their negative in the bottom half: over the whole crop
    the periodic part cancels (as a lattice-free layer leaves it), per 32 px window it does not."""
    from upscale2x.model._tf import tf
    from upscale2x.train.gan import lattice_error

    real = np.zeros((1, 64, 64, 3), np.float32)
    fake = real.copy()
    fake[:, 0:32:8] += 0.2
    fake[:, 32:64:8] -= 0.2
    r, f = tf.constant(real), tf.constant(fake)
    assert float(lattice_error(r, f)[0]) < 1e-4
    assert float(lattice_error(r, f, 32)[0]) > 0.05
    assert float(lattice_error(r, r, 32)[0]) < 1e-4


def test_a_resumed_run_records_its_changed_settings(tmp_path, images):
    """--resume may change the learning rate and the loss weights; the run's settings (and so the card of a later
    --export) must say what the last sitting used. A failed start must still leave the old settings as they were."""
    import json

    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.fit import train

    out = tmp_path / "run"
    train(_cfg(images, out, "sr8x", gan_weight=0.0))
    train(_cfg(images, out, "sr8x", gan_weight=0.0, epochs=2, l1_weight=5.0, lr=1e-4), resume=True)
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["l1_weight"] == 5.0 and saved["lr"] == 1e-4 and saved["epochs"] == 2
    t = load_bundle(train(_cfg(images, out, "sr8x"), export_to=tmp_path / "b")).card.training
    assert t["l1_weight"] == 5.0 and t["lr"] == 1e-4


def test_degraded_inputs_are_seeded_bounded_and_unlike_the_clean_ones(tmp_path, images):
    """--degrade full: blur, resize, noise and JPEG in a random order per example; the same seed gives the same input
    (exact resume), other seeds other orders and strengths; the card records it; not for 1x tasks."""
    from upscale2x.model._tf import tf
    from upscale2x.model.bundle import load_bundle
    from upscale2x.train.degrade import ORDERS, degrade
    from upscale2x.train.fit import train
    from upscale2x.train.pairs import make_pair

    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((32, 32, 3), dtype=np.float32))
    outs = [degrade(x, tf.constant([0, s], tf.int64), "full").numpy() for s in range(6)]
    np.testing.assert_array_equal(outs[0], degrade(x, tf.constant([0, 0], tf.int64), "full").numpy())
    assert all(o.shape == (32, 32, 3) and 0 <= o.min() and o.max() <= 1 for o in outs)
    assert all(np.abs(o - x.numpy()).mean() > 0.01 for o in outs)  # each differs from the clean input
    assert len({o.tobytes() for o in outs}) == 6 and len(ORDERS) == 24
    img = tf.constant((rng.random((300, 300, 3)) * 255).astype(np.uint8))
    seed = tf.constant([0, 3], tf.int64)
    a, t1 = make_pair(img, seed, "sr8x", True, degrade="full")
    b, t2 = make_pair(img, seed, "sr8x", True)
    np.testing.assert_array_equal(t1.numpy(), t2.numpy())  # the target is untouched
    assert a.shape == b.shape and not np.allclose(a.numpy(), b.numpy())
    assert load_bundle(train(_cfg(images, tmp_path / "deg", "sr8x", degrade="full"))).card.training["degrade"] == "full"
    with pytest.raises(TrainError, match="degrade is for upscaling tasks \\(sr8x\\), not see"):
        _cfg(images, tmp_path / "x", "see", degrade="full")
    with pytest.raises(TrainError, match="degrade must be one of none, jpeg, full, got 'blur'"):
        _cfg(images, tmp_path / "x", "sr8x", degrade="blur")


def test_jpeg_degrade_compresses_on_a_shifted_grid_and_leaves_a_share_clean():
    """--degrade jpeg: each input is a JPEG of itself (quality 30-95) with its 8x8 block grid at a random offset, or
    (about a fifth) the clean input; seeded."""
    from upscale2x.model._tf import tf
    from upscale2x.train.degrade import JPEG_CLEAN_SHARE, degrade

    # a smooth image: JPEG at quality >= 30 stays close to it, and its block edges show in the error
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    x = np.stack([np.sin(3 * xx + yy), np.cos(2 * yy), xx * yy], -1).astype(np.float32) * 0.4 + 0.5
    outs = [degrade(tf.constant(x), tf.constant([1, s], tf.int64), "jpeg").numpy() for s in range(60)]
    np.testing.assert_array_equal(outs[5], degrade(tf.constant(x), tf.constant([1, 5], tf.int64), "jpeg").numpy())
    clean = [o for o in outs if np.array_equal(o, x)]
    assert 0.05 < len(clean) / len(outs) < 0.4 and JPEG_CLEAN_SHARE == 0.2
    comp = [o for o in outs if not np.array_equal(o, x)]
    assert all(o.shape == x.shape and 0 < np.abs(o - x).mean() < 0.05 for o in comp)

    def grid_offset(o):  # the block grid: where the error jumps between neighbouring columns most, modulo 8
        err = (o - x).mean(-1)
        jumps = np.abs(np.diff(err, axis=1)).mean(0)  # between column i and i + 1
        return int(np.argmax([jumps[k::8].mean() for k in range(8)]))

    assert len({grid_offset(o) for o in comp}) >= 4  # not always at the crop's own origin
    assert np.array_equal(degrade(tf.constant(x), tf.constant([1, 0], tf.int64), "none").numpy(), x)


def test_a_run_saved_with_degrade_true_or_false_loads_as_full_or_none(tmp_path, images):
    from upscale2x.train.config import TrainConfig

    for old, new in ((True, "full"), (False, "none")):
        cfg = _cfg(images, tmp_path / "r", "sr8x")
        cfg.save(tmp_path / "c.json")
        data = json.loads((tmp_path / "c.json").read_text())
        (tmp_path / "c.json").write_text(json.dumps({**data, "degrade": old}))
        assert TrainConfig.load(tmp_path / "c.json").degrade == new


def test_resume_takes_the_runs_saved_settings_and_the_options_typed(tmp_path, images):
    # A resumed run needs only --out, --resume and what changes: the flags left out keep the run's values, not the
    # defaults (which used to fail: "--resume cannot change upsample: 'resize' -> 'transpose', ndf: 2 -> 16, ...").
    out = tmp_path / "run"
    first = _cli_train(images, out, 1, 1, "--upsample", "resize", "--padding", "reflect", "--l1-weight", "7")
    r = runner.invoke(app, first)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", "--out", str(out), "--resume", "--epochs", "2", "--lr", "0.0001", "-q"])
    assert r.exit_code == 0, r.output
    saved = json.loads((out / "train_config.json").read_text())
    assert (saved["upsample"], saved["padding"], saved["ndf"], saved["l1_weight"]) == ("resize", "reflect", 2, 7.0)
    assert (saved["epochs"], saved["lr"], saved["data"]) == (2, 0.0001, str(images))
    assert json.loads((out / "checkpoints" / "latest.json").read_text())["epoch"] == 2
    # A setting the run fixed, typed anew, is still refused in one line.
    r = runner.invoke(app, ["train", "--out", str(out), "--resume", "--epochs", "3", "--upsample", "bilinear"])
    assert r.exit_code != 0 and "--resume cannot change upsample: 'resize' -> 'bilinear'" in r.output
    # Without a saved run there is nothing to take the data from.
    r = runner.invoke(app, ["train", "--out", str(tmp_path / "none"), "--resume"])
    assert r.exit_code != 0 and "DATA is required" in r.output


HOLDER = """
import sys, time
from pathlib import Path
from upscale2x.train.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_run_another_process_is_training_is_refused_in_one_line_and_free_once_it_ends(tmp_path, images):
    from upscale2x.train.fit import train

    out = tmp_path / "busy"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TrainError, match=rf"busy: another process \(pid {holder.pid}\) is training this run"):
            train(_cfg(images, out, "sr8x"))
        r = runner.invoke(app, _cli_train(images, out, 1, 2))
        assert r.exit_code == 1 and r.output.count("\n") == 1, r.output
        assert f"another process (pid {holder.pid}) is training this run" in r.output
        assert sorted(p.name for p in out.iterdir()) == [".train.lock"]  # nothing of a second run was written
    finally:
        holder.kill()
        holder.wait()
    train(_cfg(images, out, "sr8x"))  # the lock died with its process: no stale lock to clear by hand
    assert (out / "checkpoints" / "latest.json").is_file()
    assert not (out / ".train.lock").exists()  # a finished run leaves no lock file
