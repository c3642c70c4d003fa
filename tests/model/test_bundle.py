import json
import shutil

import numpy as np
import pytest
from conftest import make_bundle, tiny_generator

from upscale2x.errors import ModelError
from upscale2x.model.bundle import Bundle, Card, load_bundle, read_card, resolve_bundle, save_bundle


def test_round_trip_same_predictions_and_card(tmp_path):
    model = tiny_generator("see")
    card = Card(task="see", base_width=2, max_width=8, name="t", training={"epochs": 3}, metrics={"l1": 0.1})
    folder = save_bundle(Bundle(model, card), tmp_path / "b")
    loaded = load_bundle(folder)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 256, 256, 1)).astype(np.float32)
    a = np.asarray(model(x, training=False))
    b = np.asarray(loaded.model(x, training=False))
    assert np.abs(a - b).max() <= 1e-6
    assert loaded.card.training == {"epochs": 3} and loaded.card.metrics == {"l1": 0.1}
    assert loaded.card.parameters == model.count_params()
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.keras"]


def test_card_json_spells_out_shapes(tiny_bundles):
    data = json.loads((tiny_bundles["sr8x"] / "card.json").read_text())
    assert data["shapes"] == {"scale": 8, "in_cell": 32, "out_cell": 256, "in_channels": 3, "out_channels": 3}
    assert data["preprocessing"]["cell"] == "sr8x_lift"


def test_missing_bundle_and_files(tmp_path, tiny_bundles):
    with pytest.raises(ModelError, match="no such model folder"):
        load_bundle(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"empty: not a model bundle \(no card.json\)"):
        load_bundle(tmp_path / "empty")
    b = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "nokeras")
    (b / "model.keras").unlink()
    with pytest.raises(ModelError, match="no model.keras beside the card"):
        load_bundle(b)


def test_truncated_and_foreign_weights(tmp_path, tiny_bundles):
    b = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "trunc")
    w = b / "model.keras"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    with pytest.raises(ModelError, match=r"model\.keras: (not a Keras \.keras archive|cannot load)"):
        load_bundle(b)
    w.write_bytes(b"GIF89a definitely not keras")
    with pytest.raises(ModelError, match="not a Keras .keras archive"):
        load_bundle(b)
    import zipfile

    with zipfile.ZipFile(w, "w") as z:  # a zip, but not a Keras one
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelError, match="cannot load"):
        load_bundle(b)


def test_corrupt_and_mismatched_cards(tmp_path, tiny_bundles):
    b = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "card")
    (b / "card.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"card\.json: not valid JSON"):
        load_bundle(b)
    (b / "card.json").write_text(json.dumps({"task": "zoom", "base_width": 2}))
    with pytest.raises(ModelError, match="unknown task 'zoom'"):
        read_card(b)
    # sr8x weights (3 -> 3 channels) under a `see` card (1 -> 3)
    (b / "card.json").write_text(json.dumps({"task": "see", "base_width": 2, "max_width": 8}))
    with pytest.raises(ModelError, match=r"card says task see \(1->3 channels\), weights are 3->3"):
        load_bundle(b)
    (b / "card.json").write_text(json.dumps({"task": "sr8x", "base_width": 2, "parameters": 12345}))
    with pytest.raises(ModelError, match="card says 12,345 parameters, weights have"):
        load_bundle(b)
    (b / "card.json").write_text(json.dumps({"task": "sr8x", "base_width": 2, "res_blocks": -2}))
    with pytest.raises(ModelError, match="res_blocks must be 0-64, got -2"):
        read_card(b)
    # A missing field is named with the file (it used to be Python's "Card.__init__() missing 1 required ...").
    (b / "card.json").write_text(json.dumps({"task": "sr8x"}))
    with pytest.raises(ModelError, match=r"card\.json: missing field 'base_width' \(required: task, base_width\)"):
        read_card(b)


def test_resolve_by_name_in_models_dir(tmp_path, monkeypatch):
    make_bundle(tmp_path / "mine", "paired")
    monkeypatch.setenv("UPSCALE2X_MODELS", str(tmp_path))
    assert resolve_bundle("mine") == tmp_path / "mine"
    with pytest.raises(ModelError, match="shipped: mine"):
        resolve_bundle("other")


def test_unknown_fields_are_one_policy_everywhere(tmp_path, tiny_bundles):
    """A card, a run's settings and a series spec all name an unknown field instead of dropping it."""
    from upscale2x.errors import TrainError
    from upscale2x.train.config import TrainConfig

    b = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "card")
    card = json.loads((b / "card.json").read_text())
    (b / "card.json").write_text(json.dumps({**card, "max_widht": 16}))
    with pytest.raises(ModelError, match="card.json: unknown field 'max_widht'; expected one of "):
        read_card(b)
    (b / "card.json").write_text(json.dumps(card))  # the derived shapes/preprocessing keys are fine
    assert read_card(b).task == "sr8x"
    cfg = tmp_path / "train_config.json"
    TrainConfig(data="d", task="sr8x", out="o").save(cfg)
    cfg.write_text(json.dumps({**json.loads(cfg.read_text()), "epoch": 3}))
    with pytest.raises(TrainError, match="train_config.json: unknown field 'epoch'; expected one of "):
        TrainConfig.load(cfg)
    cfg.write_text(json.dumps({"data": "d", "task": "sr8x", "out": "o", "batch": "four"}))
    with pytest.raises(TrainError, match="train_config.json: batch must be an integer, got 'four'"):
        TrainConfig.load(cfg)
    (b / "card.json").write_text(json.dumps({**card, "version": "abc"}))
    with pytest.raises(ModelError, match="card.json: version must be an integer, got 'abc'"):
        read_card(b)
    (b / "card.json").write_text(json.dumps({**card, "preset": 5}))
    with pytest.raises(ModelError, match="card.json: preset must be a string or null, got 5"):
        read_card(b)


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"a":' * 200000 + "1" + "}" * 200000, "nested too deeply"),
        ('{"task": "sr8x", "base_width": ' + "9" * 5001 + "}", r"not a card \(Exceeds the limit"),
        ("[1, 2]", "expected a JSON object, got list"),
    ],
)
def test_a_hostile_card_is_one_error_and_listing_skips_it_with_a_warning(
    tmp_path, tiny_bundles, monkeypatch, text, message
):
    from typer.testing import CliRunner

    from upscale2x.cli import app
    from upscale2x.model.bundle import list_bundles, read_card

    root = tmp_path / "models"
    shutil.copytree(tiny_bundles["sr8x"], root / "good")
    (root / "bad").mkdir()
    (root / "bad" / "card.json").write_text(text)
    with pytest.raises(ModelError, match=message):
        read_card(root / "bad")
    monkeypatch.setenv("UPSCALE2X_MODELS", str(root))
    skipped = []
    assert [n for n, _ in list_bundles(on_skip=skipped.append)] == ["good"] and len(skipped) == 1
    r = CliRunner().invoke(app, ["models"])
    assert r.exit_code == 0 and "warning:" in r.output and "good" in r.output
