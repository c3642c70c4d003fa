"""LiteRT export (export.py), the engine choice (engines.py) and rendering on LiteRT without TensorFlow."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.errors import ModelError, RenderError
from upscale2x.io.write import write_image
from upscale2x.model.bundle import load_bundle, read_card
from upscale2x.model.engines import TFLITE, LiteRTCell, choose_engine, litert_record
from upscale2x.model.export import export_litert, keras_cells
from upscale2x.render.stages import Stage, open_stage

runner = CliRunner()


@pytest.fixture(scope="module")
def exported(tiny_bundles, tmp_path_factory):
    """{(task, quantize): folder} of tiny bundles exported to LiteRT (copies; the originals stay Keras-only)."""
    root = tmp_path_factory.mktemp("exported")
    out = {}
    for task in ("sr8x", "see"):
        for q in ("none", "int8"):
            out[task, q] = export_litert(tiny_bundles[task], q, root / f"{task}-{q}", max_error=1.0)[0]
    return out


def _cells(task, n=3, seed=7):
    from upscale2x.model.tasks import TASKS

    s = TASKS[task]
    return np.random.default_rng(seed).random((n, s.out_cell, s.out_cell, s.in_channels), dtype=np.float32)


@pytest.mark.parametrize("task", ["sr8x", "see"])
@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_export_round_trip_matches_keras_within_the_cards_error(exported, task, quantize):
    folder = exported[task, quantize]
    card = read_card(folder)
    rec = litert_record(card)
    assert rec["quantize"] == quantize and rec["bytes"] == (folder / TFLITE).stat().st_size
    assert 0 <= rec["mean_error"] <= rec["max_error"]
    cells = _cells(task)  # not the probe set
    got = LiteRTCell(folder, card)(cells)
    want = np.asarray(keras_cells(load_bundle(folder).model, card, cells))
    assert got.shape == want.shape
    bound = 1e-5 if quantize == "none" else 2 * rec["max_error"] + 1e-4
    assert np.abs(got - want).max() <= bound


def test_int8_is_a_quarter_of_float32(exported):
    sizes = {q: litert_record(read_card(exported["sr8x", q]))["bytes"] for q in ("none", "int8")}
    assert sizes["int8"] < 0.5 * sizes["none"]


def test_export_in_place_keeps_the_card_and_weights(tiny_bundles, tmp_path):
    folder = shutil.copytree(tiny_bundles["see"], tmp_path / "b")
    before = read_card(folder)
    export_litert(folder, "none")
    after = read_card(folder)
    assert litert_record(after)["quantize"] == "none" and (folder / TFLITE).is_file()
    assert (after.task, after.parameters, after.training) == (before.task, before.parameters, before.training)


def test_an_export_that_fails_its_error_check_writes_nothing(tiny_bundles, tmp_path):
    folder = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "b")
    card_text = (folder / "card.json").read_text()
    with pytest.raises(ModelError, match=r"int8 LiteRT export is .* from Keras at worst .*nothing written"):
        export_litert(folder, "int8", max_error=0.0)
    with pytest.raises(ModelError, match="nothing written"):
        export_litert(folder, "int8", tmp_path / "copy", max_error=0.0)
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.keras"]
    assert (folder / "card.json").read_text() == card_text and not (tmp_path / "copy").exists()
    with pytest.raises(ModelError, match="--quantize must be one of none, fp16, int8"):
        export_litert(folder, "int4")


@pytest.mark.parametrize("task", ["sr8x", "see"])
def test_stages_on_both_engines_agree(exported, task):
    folder = exported[task, "none"]
    rng = np.random.default_rng(1)
    image = rng.random((40, 52, 4), dtype=np.float32)  # with alpha
    keras_stage, _ = open_stage(folder, "keras", batch=4)
    lite_stage, note = open_stage(folder, "auto", batch=4)
    assert (keras_stage.engine, lite_stage.engine, note) == ("keras", "litert", None)
    a, b = keras_stage.run(image), lite_stage.run(image)
    assert a.shape == b.shape == (40 * keras_stage.scale, 52 * keras_stage.scale, 4)
    np.testing.assert_allclose(a, b, atol=2e-5)


def _break(folder, how, other=None):
    path = folder / TFLITE
    if how == "missing":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif how == "foreign":  # another model's file, its card entry updated to match: the shapes give it away
        shutil.copyfile(other / TFLITE, path)
        card = json.loads((folder / "card.json").read_text())
        card["exports"]["litert"] |= {k: litert_record(read_card(other))[k] for k in ("bytes", "sha256")}
        (folder / "card.json").write_text(json.dumps(card))
    elif how == "garbage":
        data = b"not a flatbuffer" * 100
        path.write_bytes(data)
        card = json.loads((folder / "card.json").read_text())
        from upscale2x.model.engines import sha256

        card["exports"]["litert"] |= {"bytes": len(data), "sha256": sha256(path)}
        (folder / "card.json").write_text(json.dumps(card))


@pytest.mark.parametrize(
    "how,message",
    [
        ("missing", "model.tflite: missing"),
        ("truncated", "model.tflite: does not match its card"),
        ("foreign", r"model.tflite: does not match its card \(a sr8x cell function takes"),
        ("garbage", "model.tflite: cannot load"),
    ],
)
def test_a_bad_tflite_is_an_error_with_litert_and_a_fallback_with_auto(exported, tmp_path, how, message):
    folder = shutil.copytree(exported["sr8x", "none"], tmp_path / "b")
    _break(folder, how, other=exported["see", "none"])
    card = read_card(folder)
    with pytest.raises(ModelError, match=message):
        choose_engine(folder, card, "litert")
    engine, note = choose_engine(folder, card, "auto")
    assert engine == "keras" and note is not None and message.split(":")[0] in note and note.endswith("using Keras")
    src = write_image(tmp_path / "in.png", np.full((16, 16, 3), 0.5, np.float32))
    r = runner.invoke(app, ["render", str(src), "--model", str(folder), "--engine", "litert", "-q"])
    assert r.exit_code == 1 and "error:" in r.output and "model.tflite" in r.output
    assert not (tmp_path / "in_x8.png").exists()
    r = runner.invoke(app, ["render", str(src), "--model", str(folder), "-q"])
    assert r.exit_code == 0 and "warning:" in r.output and (tmp_path / "in_x8.png").is_file()


def test_engine_choice(tiny_bundles, exported):
    keras_only = tiny_bundles["sr8x"]
    assert choose_engine(keras_only, read_card(keras_only), "auto") == ("keras", None)
    with pytest.raises(ModelError, match="has no LiteRT export"):
        choose_engine(keras_only, read_card(keras_only), "litert")
    lite = exported["sr8x", "int8"]
    assert choose_engine(lite, read_card(lite), "auto") == ("litert", None)
    assert choose_engine(lite, read_card(lite), "keras") == ("keras", None)
    assert choose_engine(lite, read_card(lite), "auto", noisy=True) == ("keras", None)
    with pytest.raises(ModelError, match="noise seed needs dropout"):
        choose_engine(lite, read_card(lite), "litert", noisy=True)
    with pytest.raises(RenderError, match="--engine must be one of auto, keras, litert"):
        from upscale2x.render.files import RenderOptions

        RenderOptions(engine="onnx")
    with pytest.raises(RenderError, match="cannot take a noise seed"):
        Stage(load_bundle(lite), noise_seed=1, engine="litert")


def test_a_litert_render_never_imports_tensorflow(exported, tmp_path):
    see, sr = exported["see", "int8"], exported["sr8x", "int8"]
    src = write_image(tmp_path / "in.png", np.random.default_rng(0).random((30, 40, 3), dtype=np.float32))
    code = (
        "import sys\n"
        "from upscale2x.cli import main\n"
        f"sys.argv = ['upscale2x', 'render', {str(src)!r}, '--chain', {f'{see},{sr}'!r}, '-o', "
        f"{str(tmp_path / 'out.png')!r}, '--scale', '4', '-q']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]
    from upscale2x.io.read import read_image

    assert read_image(tmp_path / "out.png").size == (120, 160)


def test_export_cli(tiny_bundles, tmp_path):
    r = runner.invoke(app, ["export", str(tiny_bundles["see"]), "--quantize", "fp16", "-o", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "fp16" in r.output
    assert litert_record(read_card(tmp_path / "c"))["quantize"] == "fp16"
    assert (tmp_path / "c" / "model.keras").is_file()
    r = runner.invoke(app, ["export", str(tiny_bundles["see"]), "-o", str(tmp_path / "c")])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(app, ["export", str(tmp_path / "nowhere")])
    assert r.exit_code == 1 and r.output.startswith("error:") and "nowhere" in r.output
